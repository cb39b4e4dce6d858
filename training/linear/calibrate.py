"""Calibration: a softmax temperature fitted on out-of-fold scores, so that a confidence of
0.6 is right about 60 % of the time and the fallback threshold means something."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.classify.linear import LinearClassifier, LinearHyper
from training.linear.fit import Analyzers, fit_scores


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax inverse temperature that minimises held-out negative log-likelihood."""
    from scipy.optimize import minimize_scalar  # heavy; needed only when calibrating

    def nll(log_t: float) -> float:
        z = scores * np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))
        return float(-logp.mean())

    res = minimize_scalar(nll, bounds=(-3.0, 5.0), method="bounded")
    return float(np.exp(res.x))


def out_of_fold_scores(
    texts: list[str], y: np.ndarray, labels: Sequence[str], hyper: LinearHyper, seed: int,
    extra: int, analyzers: Analyzers,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores for every real example from a model that did not see it (stratified folds).

    The last ``extra`` texts (category names, bot answers) are always trained on, never
    scored.
    """
    k = hyper.calibration_folds
    n_real = len(texts) - extra
    rng = np.random.default_rng(seed)
    fold = np.zeros(n_real, dtype=np.int64)
    for label in np.unique(y[:n_real]):
        members = rng.permutation(np.flatnonzero(y[:n_real] == label))
        fold[members] = np.arange(len(members)) % k
    rows, truth = [], []
    for f in range(k):
        train_mask = np.concatenate([fold != f, np.ones(extra, dtype=bool)])
        test_idx = np.flatnonzero(fold == f)
        if not len(test_idx):
            continue
        sub = [texts[i] for i in np.flatnonzero(train_mask)]
        space, w, b = fit_scores(sub, y[train_mask], labels, hyper, seed, analyzers,
                                  weights[train_mask])
        clf = LinearClassifier(list(labels), space, w, b, 1.0, hyper)
        s = clf.scores([texts[i] for i in test_idx])
        seen = b[y[test_idx]] > -1e3  # skip labels absent from this fold's training part
        rows.append(s[seen])
        truth.append(y[test_idx][seen])
    return np.vstack(rows), np.concatenate(truth)
