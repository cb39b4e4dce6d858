"""``train_linear``: a dataset in, a complete linear model folder out (weights, manifest,
answers), reproducible from the seed."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from core.classify.linear import BACKEND, LinearClassifier, LinearHyper, feature_space
from core.classify.model_folder import Manifest, write_manifest
from core.dataset.records import Dataset
from core.errors import DataFormatError
from training.linear.calibrate import fit_temperature, out_of_fold_scores
from training.linear.examples import answer_examples, category_name_examples, resolve_conflicts
from training.linear.fit import fit_scores, memoized_analyzers

log = logging.getLogger(__name__)


def train_linear(
    dataset: Dataset, out_dir: Path, seed: int = 42, data_hash: str = "", **hyper: Any
) -> LinearClassifier:
    """Train on ``dataset`` and write a complete model folder to ``out_dir``."""
    hp = LinearHyper.from_dict(hyper)
    started = time.perf_counter()
    texts, cats = resolve_conflicts(dataset)
    labels = sorted(set(cats))
    if len(labels) < 2:
        raise DataFormatError("training data", None, "needs at least two categories to learn")
    index = {c: i for i, c in enumerate(labels)}
    y = np.array([index[c] for c in cats], dtype=np.int64)
    analyzers = memoized_analyzers(hp)
    n_real = len(texts)
    weights = np.ones(n_real)
    if hp.category_names:
        names, name_y = category_name_examples(labels)
        texts, y = texts + names, np.concatenate([y, name_y])
        weights = np.concatenate([weights, np.ones(len(names))])
    if hp.answer_weight > 0:
        answers, answer_y = answer_examples(dataset, index)
        texts, y = texts + answers, np.concatenate([y, answer_y])
        weights = np.concatenate([weights, np.full(len(answers), hp.answer_weight)])
    extra = len(texts) - n_real
    temperature = 1.0
    if hp.calibration_folds >= 2 and n_real >= 2 * hp.calibration_folds:
        oof, truth = out_of_fold_scores(texts, y, labels, hp, seed, extra, analyzers, weights)
        if len(truth):
            temperature = fit_temperature(oof, truth)
    space, w, b = fit_scores(texts, y, labels, hp, seed, analyzers, weights)
    space = feature_space(hp, [v for v, _, _ in space.views])  # drop the training memo
    w = w.astype(np.float16).astype(np.float32)  # exactly what a reload will see
    digest = LinearClassifier(labels, space, w, b, temperature, hp).save(Path(out_dir))
    clf = LinearClassifier(labels, space, w, b, temperature, hp, model_id=f"linear-{digest[:12]}")
    seconds = time.perf_counter() - started
    write_manifest(
        Path(out_dir),
        Manifest(
            backend=BACKEND, labels=labels, data_hash=data_hash, model_id=clf.model_id,
            extra={"hyper": asdict(hp), "seed": seed, "n_examples": n_real,
                   "temperature": temperature, "train_seconds": round(seconds, 2)},
        ),
        {c: list(a) for c, a in dataset.answers.items()},
    )
    log.info("trained %s on %d utterances, %d categories in %.1f s",
             clf.model_id, n_real, len(labels), seconds)
    return clf
