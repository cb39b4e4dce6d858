"""Transformer fine-tuning (KoBERT, e5 or any BERT-family base): data, model, loop,
checkpoints and the model-folder writer. The package keeps its first name, ``kobert``.

:func:`train_kobert` is what ``buddy train --backend transformer`` (alias ``kobert``) calls
(through the backend
registry in :mod:`training.train`); :func:`run_training` does the work and is shared with
``python -m training.kobert``, the entry point for ``accelerate launch`` on several GPUs.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path
from typing import Any

from core.classify.kobert import KoBertClassifier
from core.classify.onnx_runtime import export_onnx
from core.dataset.records import Dataset
from core.errors import ConfigError
from training.kobert.args import KoBertArgs, TransformerArgs
from training.kobert.save import save_model_folder
from training.split import stratified_split

__all__ = ["KoBertArgs", "TransformerArgs", "run_training", "train_kobert", "train_transformer"]

log = logging.getLogger(__name__)


def run_training(
    dataset: Dataset,
    out: Path,
    args: KoBertArgs | None = None,
    data_hash: str = "",
    data_summary: dict[str, Any] | None = None,
    keep_checkpoints: bool = False,
) -> Path:
    """Hold out ``args.val_size`` for early stopping, fine-tune, write the model folder.

    ``dataset`` is the training part only: the caller keeps its test part away from here.
    """
    from training.kobert.train_loop import fine_tune  # imports torch: only when training


    args = args or KoBertArgs()
    if args.val_size > 0:
        split = stratified_split(dataset, test_size=args.val_size, seed=args.seed)
        train, val = split.train, split.test
    else:
        train, val = dataset, None
    summary = {"n_train": len(train.examples), "n_val": len(val.examples) if val else 0}
    summary.update(data_summary or {})
    result = fine_tune(train, val, args, Path(out), keep_checkpoints=keep_checkpoints)
    if result.is_main_process:
        save_model_folder(result, Path(out), args, dataset.answers, data_hash, summary)
        _export_serving_path(Path(out), [e.text for e in train.examples])
    result.wait_for_everyone()
    return Path(out)


def _export_serving_path(folder: Path, calibration_texts: list[str]) -> None:
    """Write the int8 ONNX file the bot serves on CPU; PyTorch stays the fallback.

    ``calibration_texts`` are training utterances: the SmoothQuant scaling is measured on
    them (the held-out parts never reach this function).
    """
    try:
        export_onnx(folder, calibration_texts=calibration_texts)
    except Exception as exc:  # serving still works from model.safetensors
        log.warning("ONNX export failed (%s); Buddy will serve this model with PyTorch", exc)


def train_kobert(
    dataset: Dataset, out_dir: Path, seed: int = 42, data_hash: str = "", **options: Any
) -> Any:
    """The ``kobert`` entry of :data:`training.train.TRAINERS`; returns the loaded classifier.

    ``options`` are :class:`KoBertArgs` fields (``buddy train --base DIR --set epochs=5``),
    plus ``config`` (a JSON file of arguments, overridden by the other options) and
    ``keep_checkpoints``.
    """
    options = dict(options)
    keep = bool(options.pop("keep_checkpoints", False))
    config = options.pop("config", None)
    known = {f.name for f in fields(KoBertArgs)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"unknown transformer options {unknown}; known: {', '.join(sorted(known))}, "
            "config, keep_checkpoints"
        )
    options.setdefault("seed", seed)
    args = KoBertArgs.from_json(Path(config), **options) if config else KoBertArgs(**options)
    run_training(dataset, Path(out_dir), args, data_hash=data_hash, keep_checkpoints=keep)
    return KoBertClassifier.load(Path(out_dir))


train_transformer = train_kobert
