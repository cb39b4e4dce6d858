"""Train a model folder from data files with a chosen backend.

Backends register in :data:`TRAINERS`: a function ``(dataset, out_dir, seed, data_hash,
**options) -> Classifier`` that writes a complete model folder (manifest included). Adding
a backend is one entry, e.g. ``TRAINERS["kobert"] = train_kobert``; :func:`register`
does it from the backend's own module so this file need not import torch.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.classify.base import Classifier
from core.dataset.formats import data_hash, deduplicate, load_datasets
from core.dataset.records import Dataset
from training.evaluate import evaluate_dataset, write_metrics
from training.linear import train_linear
from training.split import SPLIT_FILE, stratified_split

log = logging.getLogger(__name__)

Trainer = Callable[..., Classifier]


def _train_linear(dataset: Dataset, out_dir: Path, seed: int, data_hash: str,
                  **options: Any) -> Classifier:
    return train_linear(dataset, out_dir, seed=seed, data_hash=data_hash, **options)


def _train_kobert(dataset: Dataset, out_dir: Path, seed: int, data_hash: str,
                  **options: Any) -> Classifier:
    try:
        from training.kobert import train_kobert  # torch and transformers: the optional extra
    except ImportError as exc:
        raise ValueError(
            f"the transformer backend is not available ({exc}); install the extra with "
            "`pip install -e '.[kobert]'`"
        ) from exc
    return train_kobert(dataset, out_dir, seed=seed, data_hash=data_hash, **options)


# "transformer" fine-tunes any BERT-family base (KoBERT by default, e5 from `buddy base e5`);
# "kobert" is its older name, kept so existing commands and configs still work.
TRAINERS: dict[str, Trainer] = {
    "linear": _train_linear, "transformer": _train_kobert, "kobert": _train_kobert,
}


def register(name: str, trainer: Trainer) -> None:
    """Make ``buddy train --backend NAME`` use ``trainer``."""
    TRAINERS[name] = trainer


def train(
    data_paths: Sequence[Path],
    out_dir: Path,
    backend: str = "linear",
    seed: int = 42,
    eval_split: float = 0.0,
    **options: Any,
) -> dict[str, Any]:
    """Load, deduplicate, (optionally) hold out a split, train, and evaluate the held-out part.

    With ``eval_split`` > 0 the model is trained on the train part of
    ``stratified_split(data, eval_split, seed)`` only, ``metrics.json`` describes the test
    part, and ``split.json`` records the parameters, so that
    ``buddy evaluate --model OUT --data SAME --split test`` reproduces the figure.
    Returns a summary dict (model id, counts, seconds, metrics when evaluated).
    """
    if backend not in TRAINERS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {sorted(TRAINERS)}")
    paths = [Path(p) for p in data_paths]
    dataset, report = deduplicate(load_datasets(paths))
    if report.dropped:
        log.info("dropped %d duplicate utterances", report.dropped)
    if report.conflicts:
        log.warning("%d utterances carry several categories; the last one wins",
                    len(report.conflicts))
    digest = data_hash(paths)
    split = stratified_split(dataset, eval_split, seed) if eval_split > 0 else None
    train_part = split.train if split else dataset
    out_dir = Path(out_dir)
    started = time.perf_counter()
    model = TRAINERS[backend](train_part, out_dir, seed=seed, data_hash=digest, **options)
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {
        "model_id": model.model_id,
        "backend": backend,
        "out": str(out_dir),
        "n_examples": len(train_part.examples),
        "n_categories": len(model.labels),
        "train_seconds": round(seconds, 2),
        "duplicates_dropped": report.dropped,
    }
    if split is not None:
        (out_dir / SPLIT_FILE).write_text(json.dumps({
            "test_size": eval_split, "seed": seed, "data": [str(p) for p in paths],
            "data_hash": digest, "n_train": len(split.train.examples),
            "n_test": len(split.test.examples), "train_only": split.train_only,
        }, ensure_ascii=False, indent=2), "utf-8")
        metrics = evaluate_dataset(model, split.test)
        metrics["split"] = {"part": "test", "test_size": eval_split, "seed": seed}
        write_metrics(metrics, out_dir)
        summary["metrics"] = metrics
    return summary
