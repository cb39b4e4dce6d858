"""Measure a model folder on labelled data and describe the result as one JSON-able dict.

The dict returned by :func:`evaluate` (and written as ``metrics.json``):

==========================  ===========================================================
``model_id``, ``backend``   which model was measured
``data``, ``split``         which data: paths, and ``{"part", "test_size", "seed"}`` or null
``n``, ``n_categories``     utterances and distinct true categories measured
``accuracy``                top-1 accuracy
``top3_accuracy``,
``top5_accuracy``           the true category among the first 3 / 5 predictions
``macro_f1``                mean F1 over the true categories
``ece``                     expected calibration error, 10 equal-width bins
``mean_confidence``         mean top-1 probability
``suggested_threshold``     fallback-reply confidence threshold (see
                            :func:`training.metrics.suggest_threshold`), with
                            ``threshold_target_accuracy``, ``coverage_at_threshold``
                            and ``accuracy_at_threshold``
``reliability``             the bins: ``lo``, ``hi``, ``count``, ``confidence``, ``accuracy``
``per_category``            ``{category: {precision, recall, f1, support}}``
``confused_pairs``          ``[{true, predicted, count}]``, most frequent first
``ms_per_utterance``        mean prediction time in a batch (informative only)
==========================  ===========================================================
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.classify.base import Classifier
from core.classify.loader import load_model
from core.classify.model_folder import read_manifest
from core.dataset.formats import deduplicate, load_datasets
from core.dataset.records import Dataset
from training.metrics import summarize
from training.split import SPLIT_FILE, stratified_split

METRICS_FILE = "metrics.json"


def evaluate_dataset(
    model: Classifier, dataset: Dataset, threshold_target: float = 0.5, batch: int = 256
) -> dict[str, Any]:
    """Predict every example of ``dataset`` and summarise (no file access)."""
    texts = [e.text for e in dataset.examples]
    truth = [e.category for e in dataset.examples]
    ranked: list[list[str]] = []
    confidence: list[float] = []
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        for p in model.predict(texts[i : i + batch], top_k=5):
            ranked.append([c for c, _ in p.top_k] or [p.category])
            confidence.append(p.confidence)
    elapsed = time.perf_counter() - started
    out = {"model_id": model.model_id}
    out.update(summarize(truth, ranked, confidence, threshold_target))
    out["ms_per_utterance"] = round(1000 * elapsed / len(texts), 3) if texts else 0.0
    return out


def _split_params(model_dir: Path, test_size: float | None, seed: int | None) -> tuple[float, int]:
    """Explicit values win; else those ``buddy train --eval-split`` recorded; else 0.2 / 42."""
    recorded: dict[str, Any] = {}
    path = model_dir / SPLIT_FILE
    if path.is_file():
        recorded = json.loads(path.read_text("utf-8"))
    return (
        test_size if test_size is not None else float(recorded.get("test_size", 0.2)),
        seed if seed is not None else int(recorded.get("seed", 42)),
    )


def evaluate(
    model_dir: Path,
    data_paths: Sequence[Path] | Path,
    split: str | None = None,
    test_size: float | None = None,
    seed: int | None = None,
    out_dir: Path | None = None,
    threshold_target: float = 0.5,
) -> dict[str, Any]:
    """Evaluate ``model_dir`` on the data (all of it, or the ``split`` part "test"/"train").

    The data is loaded and deduplicated exactly as ``training.train.train`` does, so the
    ``test`` part here is the part that training held out with the same size and seed.
    """
    model_dir = Path(model_dir)
    paths = [Path(data_paths)] if isinstance(data_paths, (str, Path)) else [Path(p) for p in data_paths]
    if split not in (None, "all", "test", "train"):
        raise ValueError(f"split must be 'all', 'test' or 'train', not {split!r}")
    model = load_model(model_dir)
    dataset, _ = deduplicate(load_datasets(paths))
    split_info = None
    if split in ("test", "train"):
        size, seed_ = _split_params(model_dir, test_size, seed)
        parts = stratified_split(dataset, size, seed_)
        dataset = parts.test if split == "test" else parts.train
        split_info = {"part": split, "test_size": size, "seed": seed_}
    metrics = evaluate_dataset(model, dataset, threshold_target)
    metrics["backend"] = read_manifest(model_dir).backend
    metrics["data"] = [str(p) for p in paths]
    metrics["split"] = split_info
    if out_dir is not None:
        write_metrics(metrics, Path(out_dir))
    return metrics


def write_metrics(metrics: dict[str, Any], out_dir: Path) -> Path:
    """Write ``metrics.json`` (UTF-8, Korean kept readable) and ``report.md`` with its plots."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / METRICS_FILE
    path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), "utf-8")
    from training.report import write_report  # matplotlib (slow to import): only when asked

    write_report(metrics, out_dir, title=f"Evaluation of {metrics.get('model_id', 'a model')}")
    return path
