"""What the linear model learns from: the dataset's utterances with conflicts resolved, plus
pseudo-utterances from the category names and the bot's own answers (see
:mod:`core.classify.linear` for why each helps)."""

from __future__ import annotations

import numpy as np

from core.dataset.records import Dataset


def resolve_conflicts(dataset: Dataset) -> tuple[list[str], list[str]]:
    """Texts and labels with duplicates removed; a text labelled twice keeps its LAST label,
    so corrections exported by log review (passed after the base data) win."""
    last: dict[str, str] = {}
    for e in dataset.examples:
        last.pop(e.text, None)
        last[e.text] = e.category
    return list(last.keys()), list(last.values())


def category_name_examples(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """Two pseudo-utterances per category: its last segment (``우울감``) and its whole path
    in words (``감정 우울감``)."""
    texts, ys = [], []
    for i, label in enumerate(labels):
        for text in dict.fromkeys([label.rsplit("/", 1)[-1], label.replace("/", " ")]):
            texts.append(text)
            ys.append(i)
    return texts, np.array(ys, dtype=np.int64)


def answer_examples(
    dataset: Dataset, index: dict[str, int]
) -> tuple[list[str], np.ndarray]:
    """The bot replies of each known category, as extra (down-weighted) examples."""
    texts, ys = [], []
    for cat in sorted(dataset.answers):
        if cat in index:
            for answer in dict.fromkeys(dataset.answers[cat]):
                if answer.strip():
                    texts.append(answer)
                    ys.append(index[cat])
    return texts, np.array(ys, dtype=np.int64)
