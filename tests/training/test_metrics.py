"""Metrics on small cases worked out by hand, and the split's promises."""

from __future__ import annotations

import json

import pytest

from core.dataset.records import Dataset, Example
from training.metrics import (
    accuracy,
    confused_pairs,
    expected_calibration_error,
    isotonic_accuracy,
    macro_f1,
    per_category,
    reliability_bins,
    suggest_threshold,
    summarize,
    top_k_accuracy,
)
from training.split import stratified_split

TRUE = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_accuracy_and_top_k() -> None:
    assert accuracy(TRUE, PRED) == pytest.approx(4 / 6)
    ranked = [["b", "a"], ["a"], ["c", "b", "a"], ["b"], ["c", "a", "b"], ["a", "b"]]
    assert top_k_accuracy(TRUE, ranked, 1) == pytest.approx(2 / 6)
    assert top_k_accuracy(TRUE, ranked, 3) == pytest.approx(5 / 6)
    assert accuracy([], []) == 0.0


def test_per_category_and_macro_f1() -> None:
    table = per_category(TRUE, PRED)
    # a: tp 2, predicted 2, true 3 → p 1, r 2/3, f1 0.8
    assert table["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    # b: tp 1, predicted 2, true 2 → 0.5 / 0.5 / 0.5; c: tp 1, predicted 2, true 1 → 0.5/1/(2/3)
    assert table["b"]["f1"] == pytest.approx(0.5)
    assert table["c"]["f1"] == pytest.approx(2 / 3)
    assert macro_f1(TRUE, PRED) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_category_never_predicted_scores_zero() -> None:
    table = per_category(["a", "b"], ["a", "a"])
    assert table["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_confused_pairs_most_frequent_first() -> None:
    pairs = confused_pairs(["a", "a", "b", "c"], ["b", "b", "c", "c"])
    assert pairs == [{"true": "a", "predicted": "b", "count": 2},
                     {"true": "b", "predicted": "c", "count": 1}]


def test_reliability_and_ece() -> None:
    conf = [0.05, 0.95, 0.95, 0.55]
    ok = [False, True, False, True]
    bins = reliability_bins(conf, ok, n_bins=2)
    assert [b["count"] for b in bins] == [1, 3]
    assert bins[1]["accuracy"] == pytest.approx(2 / 3)
    # |0.05 - 0| * 1/4 + |0.8167 - 0.6667| * 3/4
    assert expected_calibration_error(conf, ok, n_bins=2) == pytest.approx(
        0.05 / 4 + abs((0.95 + 0.95 + 0.55) / 3 - 2 / 3) * 3 / 4)
    assert expected_calibration_error([1.0, 0.0], [True, False], n_bins=10) == 0.0


def test_isotonic_accuracy_is_monotone() -> None:
    curve = isotonic_accuracy([0.1, 0.2, 0.3, 0.4], [False, True, False, True])
    assert [f for _, f in curve] == [0.0, 0.5, 0.5, 1.0]


def test_suggested_threshold() -> None:
    # below 0.5 the model is right 1 time in 4, from 0.5 up 3 times in 4 (0.2 always right)
    conf = [0.1, 0.2, 0.3, 0.4] * 5 + [0.5, 0.6, 0.7, 0.8] * 5
    ok = [False, True, False, False] * 5 + [True, True, False, True] * 5
    assert suggest_threshold(conf, ok, target=0.5) == pytest.approx(0.5)
    assert suggest_threshold(conf, ok, target=0.0) == 0.0
    assert suggest_threshold(conf, [False] * 40, target=0.5) == pytest.approx(0.8)
    assert suggest_threshold(conf[:5], ok[:5], target=0.5) == 0.0  # too little evidence


def test_summary_is_json_serialisable() -> None:
    out = summarize(TRUE, [[p, "a"] for p in PRED], [0.9, 0.8, 0.4, 0.7, 0.3, 0.6])
    again = json.loads(json.dumps(out))
    assert again["n"] == 6 and again["accuracy"] == pytest.approx(4 / 6)
    assert {"top3_accuracy", "macro_f1", "ece", "suggested_threshold", "per_category",
            "confused_pairs", "reliability"} <= set(again)


def _dataset(sizes: dict[str, int]) -> Dataset:
    return Dataset([Example(f"{c}-{i}", c) for c, n in sizes.items() for i in range(n)])


def test_split_is_stratified_seeded_and_keeps_rare_categories_in_train() -> None:
    ds = _dataset({"big": 20, "mid": 5, "rare": 1})
    s = stratified_split(ds, 0.2, seed=42)
    test_counts = {c: sum(e.category == c for e in s.test.examples) for c in ("big", "mid", "rare")}
    assert test_counts == {"big": 4, "mid": 1, "rare": 0}
    assert s.train_only == ["rare"]
    assert len(s.train.examples) + len(s.test.examples) == 26
    assert not {e.text for e in s.train.examples} & {e.text for e in s.test.examples}
    again = stratified_split(ds, 0.2, seed=42)
    assert [e.text for e in again.test.examples] == [e.text for e in s.test.examples]
    other = stratified_split(ds, 0.2, seed=7)
    assert [e.text for e in other.test.examples] != [e.text for e in s.test.examples]
