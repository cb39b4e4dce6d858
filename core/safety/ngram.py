"""Hashed character n-grams: the cheap first stage of the learned crisis model.

Why hashing: the model is trained once by ``training/crisis`` and shipped as a fixed-size
weight vector (safetensors), so start-up needs no training, no vocabulary file and no
scikit-learn. CRC32 is stable across processes and platforms (Python's ``hash`` is salted).
Features are the spaced view's word-bounded 1–4-grams and the compact view's 2–4-grams
(the same views the rules read, so spacing and obfuscation tricks are already undone),
binary and L2-normalised.
"""

from __future__ import annotations

import zlib

import numpy as np

from core.classify.features import char_ngrams
from core.safety.normalize import Views

N_FEATURES = 1 << 18


def _grams(v: Views) -> list[str]:
    spaced = ["s" + g for g in char_ngrams(v.spaced, 1, 4)]
    compact = v.compact
    grams = [
        "c" + compact[i : i + n] for n in (2, 3, 4) for i in range(len(compact) - n + 1)
    ]
    return spaced + grams


def feature_indices(v: Views) -> np.ndarray:
    """Sorted unique feature indices of one message (each with value 1/sqrt(count))."""
    idx = {zlib.crc32(g.encode("utf-8", "replace")) & (N_FEATURES - 1) for g in _grams(v)}
    return np.fromiter(idx, dtype=np.int64, count=len(idx))


def score(weights: np.ndarray, bias: float, v: Views) -> float:
    """The linear score of one message: ``w·x + b`` with ``x`` binary and L2-normalised."""
    idx = feature_indices(v)
    if not len(idx):
        return bias
    return float(weights[idx].sum() / np.sqrt(len(idx)) + bias)


def matrix(all_views: list[Views]):  # -> scipy.sparse.csr_matrix (training only)
    """The training matrix for many messages (needs scipy, which scikit-learn brings)."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for r, v in enumerate(all_views):
        idx = feature_indices(v)
        rows.extend([r] * len(idx))
        cols.extend(idx.tolist())
        vals.extend([1.0 / np.sqrt(max(len(idx), 1))] * len(idx))
    return csr_matrix((vals, (rows, cols)), shape=(len(all_views), N_FEATURES), dtype=np.float32)
