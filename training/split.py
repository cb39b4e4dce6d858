"""A seeded, stratified train/test split that any user can reproduce from the seed alone.

Each category is shuffled on its own (numpy ``default_rng(seed)``, categories in sorted
order) and ``round(n * test_size)`` of its ``n`` utterances go to the test part, at least
one and never all of them. A category with fewer than ``min_per_category`` utterances
(default 2) stays wholly in train: a model cannot be tested on a category it never saw,
and one example cannot be split. Such categories are listed in ``Split.train_only``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from core.dataset.records import Dataset, Example

# the file, inside a model folder, recording a held-out split's parameters (written by
# training.train, read by training.evaluate to rebuild the same split)
SPLIT_FILE = "split.json"


@dataclass
class Split:
    """The two parts of a dataset; answers are shared by both."""

    train: Dataset
    test: Dataset
    train_only: list[str] = field(default_factory=list)


def stratified_split(
    dataset: Dataset, test_size: float = 0.2, seed: int = 42, min_per_category: int = 2
) -> Split:
    """Split every category ``test_size`` : ``1 - test_size`` (see the module docstring)."""
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    by_cat: dict[str, list[Example]] = defaultdict(list)
    for e in dataset.examples:
        by_cat[e.category].append(e)
    rng = np.random.default_rng(seed)
    train: list[Example] = []
    test: list[Example] = []
    train_only: list[str] = []
    for cat in sorted(by_cat):
        items = by_cat[cat]
        n = len(items)
        if n < max(2, min_per_category):
            train.extend(items)
            train_only.append(cat)
            continue
        order = rng.permutation(n)
        n_test = min(max(1, math.floor(n * test_size + 0.5)), n - 1)
        test_idx = set(order[:n_test].tolist())
        for i, e in enumerate(items):
            (test if i in test_idx else train).append(e)
    answers = {k: list(v) for k, v in dataset.answers.items()}
    return Split(Dataset(train, answers), Dataset(test, dict(answers)), train_only)
