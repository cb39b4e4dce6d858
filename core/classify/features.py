"""TF-IDF feature views for the linear classifier, written out so training and serving share
one code path and a model folder needs nothing but JSON and arrays to be rebuilt.

Two views: character n-grams within words (robust to spacing and spelling slips, which chat
is full of) and Kiwi morphemes (``form/TAG``, which see through Korean endings so that
"우울해요" and "우울했어" share ``우울/XR``). Each view is ``(1 + ln tf) * idf``, rows
L2-normalised, like scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.morph import analyse_many, lemmas

log = logging.getLogger(__name__)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams of each space-padded word, like ``analyzer="char_wb"``.

    Only single characters can be blank (the two pads): a word from ``split()`` holds no
    whitespace, so its 1-grams are its characters and every longer window holds one of them.
    Building them without a per-gram test halves the classifier's feature time; the list is
    the same, in the same order.
    """
    out: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        size = len(padded)
        for n in range(max(lo, 1), hi + 1):
            if n == 1:
                out.extend(word)
            else:
                out.extend([padded[i : i + n] for i in range(size - n + 1)])
    return out


def prefetch_morph_terms(texts: Sequence[str]) -> None:
    """Analyse a batch for :func:`morph_terms` in one Kiwi call (which runs without the GIL).

    Only a speed-up: if the batched call fails, :func:`morph_terms` analyses text by text.
    """
    try:
        analyse_many(text.lower() for text in texts)
    except Exception:
        log.warning("batched morpheme analysis failed; analysing one text at a time",
                    exc_info=True)


def morph_terms(text: str, bigrams: bool = False) -> list[str]:
    """Kiwi morphemes as ``form/TAG``, optionally with adjacent pairs."""
    terms = lemmas(text.lower())
    if bigrams:
        terms = terms + [f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False)]
    return terms


@dataclass
class TfidfView:
    """One fitted view: its vocabulary (term → column) and idf weights."""

    vocab: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, docs: Sequence[list[str]], min_df: int = 1) -> TfidfView:
        """Learn the vocabulary (terms in at least ``min_df`` documents, sorted) and idf."""
        df: Counter[str] = Counter()
        for terms in docs:
            df.update(set(terms))
        terms = sorted(t for t, c in df.items() if c >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float32)
        return cls({t: i for i, t in enumerate(terms)}, idf)

    @property
    def terms(self) -> list[str]:
        """Vocabulary in column order, for saving."""
        out = [""] * len(self.vocab)
        for t, i in self.vocab.items():
            out[i] = t
        return out

    def row(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Column indexes (in order of first occurrence) and L2-normalised tf-idf values of
        one document."""
        counts = Counter(map(self.vocab.get, terms))  # counted in C; None: not in vocab
        counts.pop(None, None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.array(list(counts), dtype=np.int64)
        tf = np.array(list(counts.values()), dtype=np.float32)
        val = (1.0 + np.log(tf)) * self.idf[idx]
        # what np.linalg.norm computes for a float vector, without its argument handling
        return idx, val / np.sqrt(val.dot(val))


@dataclass
class FeatureSpace:
    """The views side by side, each scaled by its weight: one sparse row per text."""

    views: list[tuple[TfidfView, Callable[[str], list[str]], float]]

    @property
    def width(self) -> int:
        return sum(len(v.vocab) for v, _, _ in self.views)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated column indexes and values for one text."""
        idxs, vals, offset = [], [], 0
        for view, analyzer, weight in self.views:
            i, v = view.row(analyzer(text))
            idxs.append(i + offset if offset else i)
            vals.append(v * weight if weight != 1.0 else v)  # x * 1.0 == x exactly
            offset += len(view.vocab)
        if len(idxs) == 1:
            return idxs[0], vals[0]
        return np.concatenate(idxs), np.concatenate(vals)

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """A CSR matrix for training (prediction uses :meth:`row` directly)."""
        indptr, indices, data = [0], [], []
        for text in texts:
            i, v = self.row(text)
            indices.append(i)
            data.append(v)
            indptr.append(indptr[-1] + len(i))
        return sparse.csr_matrix(
            (np.concatenate(data) if data else np.zeros(0, np.float32),
             np.concatenate(indices) if indices else np.zeros(0, np.int64),
             np.array(indptr)),
            shape=(len(texts), self.width),
        )
