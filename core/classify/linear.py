"""The embedded default backend: TF-IDF (character n-grams + Kiwi morphemes) → linear SVM,
with a softmax temperature fitted on out-of-fold scores so confidences mean something.

Why this shape: 5k utterances over 359 categories leave ~10 examples per category, too
few for a large model to shine without a GPU, while a linear model trains in seconds on a
laptop and answers in about a millisecond. Category names (``감정/우울감`` → ``우울감``)
are added as one extra example each: they are the most condensed description of the
category there is, and on the wellness data they add about 1.5 points of accuracy.
Two more things help the many categories with ~5 examples: SVMs over each category's
ancestors (``배경`` and ``배경/학교`` for ``배경/학교/결석``), folded into the leaf weights,
and the bot replies as down-weighted examples (CV on the train part: top-1 45.8 → 47.3 %).

Training (cross-validated calibration, the SVMs, the ancestor classifiers) lives in
:mod:`training.linear`; this module only loads a model folder and predicts.

A model folder holds ``linear.json`` (hyper-parameters, labels, vocabularies) and
``linear.safetensors`` (idf vectors, weight matrix, bias) next to the manifest: no pickle,
and inference is plain numpy (scikit-learn is needed only to train).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from core.classify.base import Prediction
from core.classify.features import (
    FeatureSpace,
    TfidfView,
    char_ngrams,
    morph_terms,
    prefetch_morph_terms,
)
from core.errors import ModelError
from core.morph import is_cached

log = logging.getLogger(__name__)

CONFIG_FILE = "linear.json"
WEIGHTS_FILE = "linear.safetensors"
BACKEND = "linear"


@dataclass
class LinearHyper:
    """Hyper-parameters; the defaults are the ones chosen by cross-validation on the wellness
    train split (see ``docs`` / the training report), never on its test part."""

    char_lo: int = 1
    char_hi: int = 4
    char_min_df: int = 1
    morph: bool = True
    morph_bigrams: bool = False
    morph_weight: float = 1.0
    C: float = 0.3
    category_names: bool = True
    # The bot replies of a category, as training examples of that weight (0 = unused):
    # they name the topic in other words; on the wellness train part CV +0.7 points top-1.
    answer_weight: float = 0.3
    # Scores of classifiers over the category's ancestors (``배경`` and ``배경/학교`` for
    # ``배경/학교/결석``), added with these weights, shallowest first: siblings share
    # evidence, which helps the many 5-example leaves (CV +0.7 points top-1, +1.6 top-3).
    parent_weights: list[float] = field(default_factory=lambda: [0.2, 0.7])
    calibration_folds: int = 3
    max_iter: int = 5000
    tol: float = 1e-3  # 1e-4 gives identical CV figures and costs ~25% more time

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearHyper:
        """Build from JSON/CLI options, refusing unknown names (a typo should not pass)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown linear options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def analyzers(hyper: LinearHyper) -> list[tuple[Callable[[str], list[str]], float, int]]:
    """Each view's analyzer, weight and ``min_df``, in column order."""
    out: list[tuple[Callable[[str], list[str]], float, int]] = [
        (partial(char_ngrams, lo=hyper.char_lo, hi=hyper.char_hi), 1.0, hyper.char_min_df)
    ]
    if hyper.morph:
        out.append((partial(morph_terms, bigrams=hyper.morph_bigrams), hyper.morph_weight, 1))
    return out


def feature_space(
    hyper: LinearHyper,
    views: list[TfidfView],
    view_analyzers: list[tuple[Callable[[str], list[str]], float, int]] | None = None,
) -> FeatureSpace:
    """The model's feature space from fitted ``views`` and their analyzers (by default the
    ones ``hyper`` names; training passes memoizing ones)."""
    view_analyzers = view_analyzers or analyzers(hyper)
    return FeatureSpace(
        [(v, an, w) for v, (an, w, _) in zip(views, view_analyzers, strict=True)]
    )


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LinearClassifier:
    """A trained linear model; implements :class:`core.classify.base.Classifier`."""

    def __init__(
        self,
        labels: list[str],
        space: FeatureSpace,
        weights: np.ndarray,
        bias: np.ndarray,
        temperature: float,
        hyper: LinearHyper,
        model_id: str = "linear",
    ) -> None:
        self._labels = labels
        self._space = space
        self._w = weights
        self._b = bias
        self._t = temperature
        self.hyper = hyper
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def labels(self) -> Sequence[str]:
        return self._labels

    @property
    def temperature(self) -> float:
        """Scores are multiplied by this before the softmax (fitted at training time)."""
        return self._t

    def morph_inputs(self, text: str) -> list[str]:
        """The exact texts :meth:`predict` hands Kiwi for ``text`` (none without the morpheme
        view), so a caller may analyse them early, batched with other Kiwi work; the results
        land in :mod:`core.morph`'s cache and the prediction is unchanged."""
        return [text.lower()] if self.hyper.morph else []

    def predicts_inline(self, texts: Sequence[str]) -> bool:
        """True when predicting ``texts`` needs no Kiwi (their morphemes are cached), only
        about 60 µs of numpy per text: cheap enough to run on the caller's event loop."""
        return not self.hyper.morph or all(is_cached(t.lower()) for t in texts)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw decision scores, one row per text, one column per label."""
        out = np.empty((len(texts), len(self._labels)), dtype=np.float32)
        if self.hyper.morph and len(texts) > 1:
            prefetch_morph_terms(texts)
        for r, text in enumerate(texts):
            idx, val = self._space.row(text)
            out[r] = self._b + val @ self._w[idx] if len(idx) else self._b
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one row per text."""
        return _softmax(self.scores(texts) * self._t)

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        probs = self.predict_proba(texts)
        k = max(1, min(top_k, len(self._labels)))
        best = np.argsort(-probs, axis=1, kind="stable")[:, :k]  # the batch in one call
        labels = self._labels
        out = []
        for row, top in zip(probs.tolist(), best.tolist(), strict=True):
            pairs = tuple((labels[i], row[i]) for i in top)
            out.append(Prediction(pairs[0][0], pairs[0][1], pairs))
        return out

    # ---- persistence -------------------------------------------------------------------

    def save(self, folder: Path) -> str:
        """Write ``linear.json`` + ``linear.safetensors``; returns the content hash."""
        folder.mkdir(parents=True, exist_ok=True)
        # float16 halves the folder; scores move by ~1e-3, far below any decision margin.
        tensors = {"weights": self._w.astype(np.float16), "bias": self._b}
        for n, (view, _, _) in enumerate(self._space.views):
            tensors[f"idf_{n}"] = view.idf
        save_file(tensors, str(folder / WEIGHTS_FILE))
        config = {
            "hyper": asdict(self.hyper),
            "labels": self._labels,
            "temperature": self._t,
            "vocabularies": [view.terms for view, _, _ in self._space.views],
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False), "utf-8")
        h = hashlib.sha256((folder / WEIGHTS_FILE).read_bytes())
        h.update((folder / CONFIG_FILE).read_bytes())
        return h.hexdigest()

    @classmethod
    def load(cls, folder: Path, model_id: str = "") -> LinearClassifier:
        """Rebuild from a model folder; damaged or missing files raise :class:`ModelError`."""
        folder = Path(folder)
        fix = "Retrain it with `buddy train --data PATH --out DIR`."
        try:
            config = json.loads((folder / CONFIG_FILE).read_text("utf-8"))
            tensors = load_file(str(folder / WEIGHTS_FILE))
            hyper = LinearHyper.from_dict(config["hyper"])
            labels = list(config["labels"])
            vocabs = config["vocabularies"]
            views = [
                TfidfView({t: i for i, t in enumerate(v)}, tensors[f"idf_{n}"])
                for n, v in enumerate(vocabs)
            ]
            weights, bias = tensors["weights"].astype(np.float32), tensors["bias"]
            temperature = float(config["temperature"])
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
            raise ModelError(f"linear model in {folder} is missing or damaged ({exc}). {fix}") from exc
        space = feature_space(hyper, views)
        if weights.shape != (space.width, len(labels)) or bias.shape != (len(labels),):
            raise ModelError(f"linear model in {folder} has inconsistent shapes. {fix}")
        return cls(labels, space, weights, bias, temperature, hyper, model_id or "linear")
