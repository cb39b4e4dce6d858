"""Every transformer training setting in one dataclass, reproducible from one JSON file.

``buddy train --backend transformer --config args.json`` reads the same fields that the
command-line options set; the model folder keeps the values actually used as
``training_args.json`` so anyone can retrain the same model.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.classify.pooling import POOLING_CHOICES
from core.errors import ConfigError

ARGS_FILE = "training_args.json"
BALANCE_CHOICES = ("none", "loss", "sampler")
PRECISION_CHOICES = ("auto", "no", "fp16", "bf16")


@dataclass
class TransformerArgs:
    """Settings for one fine-tuning run of a BERT-family base (each field's ``help`` says what
    it does). The default base is KoBERT; ``buddy base e5`` writes another one offline."""

    base: str = field(
        default="monologg/kobert",
        metadata={"help": "Hugging Face id or local folder of the pre-trained encoder "
                          "(KoBERT, or e.g. a folder written by `buddy base e5`)."},
    )
    epochs: int = field(default=10, metadata={"help": "Most passes over the training data."})
    batch_size: int = field(default=32, metadata={"help": "Utterances per device per step."})
    grad_accum: int = field(
        default=1, metadata={"help": "Steps whose gradients add up before one update."}
    )
    lr: float = field(default=5e-5, metadata={"help": "Peak learning rate of AdamW."})
    head_lr: float = field(
        default=0.0,
        metadata={"help": "Peak learning rate of the new classification head (0: same as lr)."},
    )
    weight_decay: float = field(
        default=0.01, metadata={"help": "AdamW weight decay (not applied to biases/LayerNorm)."}
    )
    warmup_ratio: float = field(
        default=0.1, metadata={"help": "Share of updates spent warming the learning rate up."}
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm."})
    max_length: int = field(
        default=64, metadata={"help": "Longest utterance in tokens; longer ones are cut."}
    )
    val_size: float = field(
        default=0.1,
        metadata={"help": "Share of the training data held out for early stopping."},
    )
    patience: int = field(
        default=3,
        metadata={"help": "Epochs without a better validation macro-F1 before stopping."},
    )
    balance: str = field(
        default="loss",
        metadata={"help": "Imbalance handling: none | loss (weighted loss) | sampler."},
    )
    precision: str = field(
        default="auto",
        metadata={"help": "Mixed precision: auto (fp16 on CUDA, off on CPU) | no | fp16 | bf16."},
    )
    seed: int = field(default=42, metadata={"help": "Seed for the split, init and shuffling."})
    max_steps: int = field(
        default=0, metadata={"help": "Stop after this many updates (0: no limit); for smoke runs."}
    )
    eval_batch_size: int = field(default=64, metadata={"help": "Utterances per validation step."})
    resume: bool = field(
        default=False, metadata={"help": "Continue from the last checkpoint in OUT/checkpoints."}
    )
    progress: bool = field(default=True, metadata={"help": "Show a progress bar."})
    freeze_embeddings: bool = field(
        default=False,
        metadata={"help": "Keep the word embeddings fixed: most of a multilingual base's "
                          "weights, rarely worth their optimizer state on a small dataset."},
    )
    freeze_layers: int = field(
        default=0, metadata={"help": "Keep the lowest N encoder layers fixed (faster steps)."}
    )
    pooling: str = field(
        default="auto",
        metadata={"help": "Sentence vector for the head: mean (over real tokens, as e5 was "
                          "pre-trained) | cls (BERT's pooled first token, as KoBERT) | auto "
                          "(mean for e5-format bases, cls otherwise)."},
    )
    time_budget_min: float = field(
        default=0.0,
        metadata={"help": "Stop after the epoch that would overrun this many minutes of "
                          "training (0: no limit); the best epoch so far is kept."},
    )

    def __post_init__(self) -> None:
        if self.balance not in BALANCE_CHOICES:
            raise ConfigError(f"balance must be one of {', '.join(BALANCE_CHOICES)}")
        if self.precision not in PRECISION_CHOICES:
            raise ConfigError(f"precision must be one of {', '.join(PRECISION_CHOICES)}")
        if self.pooling not in POOLING_CHOICES:
            raise ConfigError(f"pooling must be one of {', '.join(POOLING_CHOICES)}")
        if self.freeze_layers < 0 or self.time_budget_min < 0 or self.head_lr < 0:
            raise ConfigError("freeze_layers, time_budget_min and head_lr must not be negative")
        for name in ("epochs", "batch_size", "grad_accum", "max_length", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.val_size < 1.0:
            raise ConfigError(f"val_size must be in [0, 1), got {self.val_size}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, folder: Path) -> Path:
        """Write ``training_args.json`` into ``folder``."""
        path = Path(folder) / ARGS_FILE
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path: Path, **overrides: Any) -> TransformerArgs:
        """Read arguments from a JSON file; ``overrides`` (e.g. CLI options) win."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read training arguments from {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a JSON object of training arguments")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{path}: unknown training arguments {unknown}; known: {sorted(known)}"
            )
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)

    @classmethod
    def help_table(cls) -> list[tuple[str, Any, str]]:
        """``(name, default, help)`` for every field, for ``--help`` texts and docs."""
        rows = []
        for f in fields(cls):
            default = None if f.default is MISSING else f.default
            rows.append((f.name, default, str(f.metadata.get("help", ""))))
        return rows


# The class's first name, from when KoBERT was the only base; configs and imports still use it.
KoBertArgs = TransformerArgs
