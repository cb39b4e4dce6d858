"""Fitting the linear model's parts: TF-IDF views, one-vs-rest SVMs and the ancestor
classifiers folded into the leaf weights. scikit-learn is needed here only, never to serve."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core.classify.features import FeatureSpace, TfidfView
from core.classify.linear import LinearHyper, analyzers, feature_space

Analyzers = list[tuple[Callable[[str], list[str]], float, int]]


def memoized_analyzers(hyper: LinearHyper) -> Analyzers:
    """Analyzers that remember each text's terms: training featurises every text once per
    calibration fold, and Kiwi is the slow part."""
    out = []
    for an, w, min_df in analyzers(hyper):
        memo: dict[str, list[str]] = {}

        def cached(text: str, an: Callable[[str], list[str]] = an,
                   memo: dict[str, list[str]] = memo) -> list[str]:
            if text not in memo:
                memo[text] = an(text)
            return memo[text]

        out.append((cached, w, min_df))
    return out



def svm_columns(
    X: Any, y: np.ndarray, n_classes: int, weights: np.ndarray, hyper: LinearHyper, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest linear SVM as a (features × n_classes) weight matrix and a bias; classes
    absent from ``y`` get bias -1e3 so they never win."""
    # scikit-learn (~1 s to import) is needed to train only; serving never loads it
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=hyper.C, random_state=seed, max_iter=hyper.max_iter, tol=hyper.tol)
    svm.fit(X, y, sample_weight=weights)
    w = np.zeros((X.shape[1], n_classes), dtype=np.float32)
    b = np.full(n_classes, -1e3, dtype=np.float32)
    cols = svm.classes_
    if len(cols) == 2:  # binary LinearSVC returns one score for the second class
        coef = np.vstack([-svm.coef_[0], svm.coef_[0]]) / 2
        icpt = np.array([-svm.intercept_[0], svm.intercept_[0]]) / 2
    else:
        coef, icpt = svm.coef_, svm.intercept_
    w[:, cols] = coef.T
    b[cols] = icpt
    return w, b


def ancestor_groups(labels: Sequence[str], depth: int) -> np.ndarray:
    """For each label, the index of its ancestor ``depth`` segments deep (a label that is
    not deeper than that is its own group), in sorted group order."""
    keys = ["/".join(lab.split("/")[:depth]) for lab in labels]
    groups = sorted(set(keys))
    index = {g: i for i, g in enumerate(groups)}
    return np.array([index[k] for k in keys], dtype=np.int64)


def fit_scores(
    texts: list[str], y: np.ndarray, labels: Sequence[str], hyper: LinearHyper, seed: int,
    view_analyzers: Analyzers,
    weights: np.ndarray | None = None,
) -> tuple[FeatureSpace, np.ndarray, np.ndarray]:
    """Fit the views and the SVMs on the given texts; returns space, weights, bias.

    Ancestor classifiers are folded into the leaf weights (``w_leaf + β·w_parent``), so a
    model folder stays one matrix and inference does not change.
    """
    views = [TfidfView.fit([an(t) for t in texts], min_df) for an, _, min_df in view_analyzers]
    space = feature_space(hyper, views, view_analyzers)
    X = space.matrix(texts)
    sw = np.ones(len(texts)) if weights is None else weights
    w, b = svm_columns(X, y, len(labels), sw, hyper, seed)
    for depth, beta in enumerate(hyper.parent_weights, start=1):
        groups = ancestor_groups(labels, depth)
        n_groups = int(groups.max()) + 1
        if not beta or n_groups < 2 or len(np.unique(groups[y])) < 2:
            continue
        gw, gb = svm_columns(X, groups[y], n_groups, sw, hyper, seed)
        for g in np.unique(groups[b > -1e3]):  # per group: no (features × labels) temporary
            members = np.flatnonzero((groups == g) & (b > -1e3))
            w[:, members] += beta * gw[:, g : g + 1]
            b[members] += beta * gb[g]
    return space, w, b
