"""Evaluation metrics as pure functions over labels, predictions and probabilities.

Inputs are plain sequences: ``y_true`` (categories), ``ranked`` (each utterance's
predicted categories, best first) and ``confidence`` (the probability of the top
prediction). No scikit-learn: the definitions are short, and writing them out keeps their
edge cases (a category never predicted, an empty bin) explicit and tested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Share of utterances whose top prediction is right (0.0 for no utterances)."""
    if not y_true:
        return 0.0
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def top_k_accuracy(y_true: Sequence[str], ranked: Sequence[Sequence[str]], k: int = 3) -> float:
    """Share of utterances whose category is among the first ``k`` predictions."""
    if not y_true:
        return 0.0
    return sum(t in r[:k] for t, r in zip(y_true, ranked, strict=True)) / len(y_true)


def per_category(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for every category that occurs in truth or prediction.

    A category never predicted has precision 0; one absent from the truth has support 0 and
    recall 0 (the convention of scikit-learn's ``zero_division=0``).
    """
    tp: Counter[str] = Counter()
    pred_n: Counter[str] = Counter(y_pred)
    true_n: Counter[str] = Counter(y_true)
    for t, p in zip(y_true, y_pred, strict=True):
        if t == p:
            tp[t] += 1
    out: dict[str, dict[str, float]] = {}
    for cat in sorted(set(true_n) | set(pred_n)):
        precision = tp[cat] / pred_n[cat] if pred_n[cat] else 0.0
        recall = tp[cat] / true_n[cat] if true_n[cat] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[cat] = {"precision": precision, "recall": recall, "f1": f1, "support": true_n[cat]}
    return out


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Unweighted mean F1 over the categories present in the truth.

    Averaging over the truth's categories (not the union with predictions) keeps the figure
    comparable between models that make different mistakes.
    """
    cats = set(y_true)
    if not cats:
        return 0.0
    table = per_category(y_true, y_pred)
    return sum(table[c]["f1"] for c in cats) / len(cats)


def confused_pairs(
    y_true: Sequence[str], y_pred: Sequence[str], top: int = 20
) -> list[dict[str, Any]]:
    """The most frequent (true → predicted) mistakes, most frequent first, ties by name."""
    counts = Counter((t, p) for t, p in zip(y_true, y_pred, strict=True) if t != p)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"true": t, "predicted": p, "count": n} for (t, p), n in ranked[:top]]


def reliability_bins(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[dict[str, float]]:
    """Equal-width confidence bins ``(lo, hi]`` (the first also takes 0) with each bin's
    count, mean confidence and accuracy; empty bins are listed with count 0."""
    bins = []
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        members = [
            (c, ok) for c, ok in zip(confidence, correct, strict=True)
            if (lo < c <= hi) or (b == 0 and c <= lo)
        ]
        n = len(members)
        bins.append({
            "lo": lo, "hi": hi, "count": n,
            "confidence": sum(c for c, _ in members) / n if n else 0.0,
            "accuracy": sum(ok for _, ok in members) / n if n else 0.0,
        })
    return bins


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins."""
    total = len(confidence)
    if not total:
        return 0.0
    return sum(
        b["count"] / total * abs(b["confidence"] - b["accuracy"])
        for b in reliability_bins(confidence, correct, n_bins)
    )


def isotonic_accuracy(
    confidence: Sequence[float], correct: Sequence[bool]
) -> list[tuple[float, float]]:
    """Accuracy as a non-decreasing function of confidence (pool-adjacent-violators).

    Returns ``(confidence, fitted accuracy)`` for every prediction, sorted by confidence.
    The fit irons out the noise of small bins while keeping "more confident is never less
    accurate", which is what a threshold assumes.
    """
    pairs = sorted(zip(confidence, correct, strict=True))
    blocks: list[list[float]] = []  # [sum_correct, count]
    for _, ok in pairs:
        blocks.append([float(ok), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
    fitted = [b[0] / b[1] for b in blocks for _ in range(int(b[1]))]
    return [(c, f) for (c, _), f in zip(pairs, fitted, strict=True)]


def suggest_threshold(
    confidence: Sequence[float],
    correct: Sequence[bool],
    target: float = 0.5,
    min_count: int = 20,
) -> float:
    """The confidence below which Buddy should give its fallback reply instead of an answer.

    Rule: fit accuracy as a non-decreasing function of confidence
    (:func:`isotonic_accuracy`) and return the lowest confidence whose fitted accuracy
    reaches ``target``. Below the suggestion, answers are expected to be right less often
    than ``target``. Returns 0.0 when even the least confident predictions meet the target
    or with fewer than ``min_count`` predictions (not enough evidence to suggest anything),
    and the highest confidence seen when no prediction reaches the target.
    """
    if len(confidence) < min_count:
        return 0.0
    curve = isotonic_accuracy(confidence, correct)
    for conf, fitted in curve:
        if fitted >= target:
            return 0.0 if conf == curve[0][0] else float(conf)
    return float(curve[-1][0])


def summarize(
    y_true: Sequence[str],
    ranked: Sequence[Sequence[str]],
    confidence: Sequence[float],
    threshold_target: float = 0.5,
) -> dict[str, Any]:
    """Every metric above in one JSON-serialisable dict (see ``training.evaluate``)."""
    y_pred = [r[0] for r in ranked]
    correct = [t == p for t, p in zip(y_true, y_pred, strict=True)]
    threshold = suggest_threshold(confidence, correct, threshold_target)
    above = [ok for c, ok in zip(confidence, correct, strict=True) if c >= threshold]
    return {
        "n": len(y_true),
        "n_categories": len(set(y_true)),
        "accuracy": accuracy(y_true, y_pred),
        "top3_accuracy": top_k_accuracy(y_true, ranked, 3),
        "top5_accuracy": top_k_accuracy(y_true, ranked, 5),
        "macro_f1": macro_f1(y_true, y_pred),
        "ece": expected_calibration_error(confidence, correct),
        "mean_confidence": sum(confidence) / len(confidence) if confidence else 0.0,
        "suggested_threshold": threshold,
        "threshold_target_accuracy": threshold_target,
        "coverage_at_threshold": len(above) / len(y_true) if y_true else 0.0,
        "accuracy_at_threshold": sum(above) / len(above) if above else 0.0,
        "reliability": reliability_bins(confidence, correct),
        "per_category": per_category(y_true, y_pred),
        "confused_pairs": confused_pairs(y_true, y_pred),
    }
