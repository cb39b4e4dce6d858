"""Resumable training checkpoints without pickle: safetensors for tensors, JSON for the rest.

``accelerate``'s own ``save_state`` writes the optimizer with ``torch.save`` and the random
states as ``.pkl``; Buddy keeps "no pickle anywhere", so a checkpoint here is:

- ``model.safetensors`` — the model's weights;
- ``optimizer.safetensors`` — AdamW's moment tensors, keyed ``"<param id>.<name>"``;
- ``state.json`` — optimizer param groups, scheduler and loss-scaler state, and the
  trainer's own progress (epochs done, update count, best score, history).

Random states are not saved: every epoch reseeds with ``seed + epoch``, so a run resumed at
an epoch boundary shuffles and drops out exactly as an uninterrupted one would.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from core.errors import ConfigError

log = logging.getLogger(__name__)

LAST = "last"
BEST = "best"
STATE_FILE = "state.json"
WEIGHTS = "model.safetensors"
OPTIMIZER = "optimizer.safetensors"


@dataclass
class TrainerState:
    """Progress that must survive an interruption."""

    epochs_done: int = 0
    global_step: int = 0
    best_score: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return None  # callables (scheduler lambdas) are rebuilt by the code, not stored


def save_weights(model: torch.nn.Module, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(tensors, str(folder / WEIGHTS))


def load_weights(model: torch.nn.Module, folder: Path) -> None:
    model.load_state_dict(load_file(str(folder / WEIGHTS)))


def save_checkpoint(
    folder: Path, model: torch.nn.Module, optimizer: Any, scheduler: Any, scaler: Any,
    state: TrainerState,
) -> None:
    """Write the ``last`` checkpoint atomically (to a temp folder, then renamed)."""
    tmp = folder / f"{LAST}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    save_weights(model, tmp)
    opt = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, entries in opt["state"].items():
        for name, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{name}"] = value.detach().contiguous().cpu()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    save_file(tensors, str(tmp / OPTIMIZER))
    doc = {
        "trainer": asdict(state),
        "optimizer": {"param_groups": _jsonable(opt["param_groups"]), "scalars": scalars},
        "scheduler": _jsonable(scheduler.state_dict()),
        "scaler": _jsonable(scaler.state_dict()) if scaler is not None else None,
    }
    (tmp / STATE_FILE).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    final = folder / LAST
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)


def load_checkpoint(
    folder: Path, model: torch.nn.Module, optimizer: Any, scheduler: Any, scaler: Any
) -> TrainerState:
    """Restore everything :func:`save_checkpoint` wrote; says what to do when it is missing."""
    last = folder / LAST
    if not (last / STATE_FILE).is_file():
        raise ConfigError(
            f"--resume: no checkpoint in {last}. Train without --resume first "
            "(checkpoints are written after every epoch; add --keep-checkpoints to keep them "
            "after a finished run)."
        )
    doc = json.loads((last / STATE_FILE).read_text(encoding="utf-8"))
    load_weights(model, last)
    tensors = load_file(str(last / OPTIMIZER))
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    for pid, extras in doc["optimizer"]["scalars"].items():
        state.setdefault(int(pid), {}).update(extras)
    optimizer.load_state_dict({"state": state, "param_groups": doc["optimizer"]["param_groups"]})
    scheduler.load_state_dict(dict(doc["scheduler"]))
    if scaler is not None and doc.get("scaler"):
        scaler.load_state_dict(doc["scaler"])
    trainer = TrainerState(**doc["trainer"])
    log.info("resumed after epoch %d (update %d)", trainer.epochs_done, trainer.global_step)
    return trainer
