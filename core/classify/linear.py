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

A model folder holds ``linear.json`` (hyper-parameters, labels, vocabularies) and
``linear.safetensors`` (idf vectors, weight matrix, bias) next to the manifest: no pickle,
and inference is plain numpy (scikit-learn is needed only to train).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from core.classify.base import Prediction
from core.classify.features import (
    FeatureSpace,
    TfidfView,
    char_ngrams,
    morph_terms,
    prefetch_morph_terms,
)
from core.classify.model_folder import Manifest, write_manifest
from core.dataset.records import Dataset
from core.errors import DataFormatError, ModelError
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


def _analyzers(hyper: LinearHyper) -> list[tuple[Callable[[str], list[str]], float, int]]:
    """Each view's analyzer, weight and ``min_df``, in column order."""
    out: list[tuple[Callable[[str], list[str]], float, int]] = [
        (partial(char_ngrams, lo=hyper.char_lo, hi=hyper.char_hi), 1.0, hyper.char_min_df)
    ]
    if hyper.morph:
        out.append((partial(morph_terms, bigrams=hyper.morph_bigrams), hyper.morph_weight, 1))
    return out


def _feature_space(
    hyper: LinearHyper,
    views: list[TfidfView],
    analyzers: list[tuple[Callable[[str], list[str]], float, int]] | None = None,
) -> FeatureSpace:
    analyzers = analyzers or _analyzers(hyper)
    return FeatureSpace([(v, an, w) for v, (an, w, _) in zip(views, analyzers, strict=True)])


def _memoized(hyper: LinearHyper) -> list[tuple[Callable[[str], list[str]], float, int]]:
    """Analyzers that remember each text's terms: training featurises every text once per
    calibration fold, and Kiwi is the slow part."""
    out = []
    for an, w, min_df in _analyzers(hyper):
        memo: dict[str, list[str]] = {}

        def cached(text: str, an: Callable[[str], list[str]] = an,
                   memo: dict[str, list[str]] = memo) -> list[str]:
            if text not in memo:
                memo[text] = an(text)
            return memo[text]

        out.append((cached, w, min_df))
    return out


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
        from safetensors.numpy import save_file

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
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

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
        space = _feature_space(hyper, views)
        if weights.shape != (space.width, len(labels)) or bias.shape != (len(labels),):
            raise ModelError(f"linear model in {folder} has inconsistent shapes. {fix}")
        return cls(labels, space, weights, bias, temperature, hyper, model_id or "linear")


# ---- training ---------------------------------------------------------------------------


def _resolve_conflicts(dataset: Dataset) -> tuple[list[str], list[str]]:
    """Texts and labels with duplicates removed; a text labelled twice keeps its LAST label,
    so corrections exported by log review (passed after the base data) win."""
    last: dict[str, str] = {}
    for e in dataset.examples:
        last.pop(e.text, None)
        last[e.text] = e.category
    return list(last.keys()), list(last.values())


def _svm_columns(
    X: Any, y: np.ndarray, n_classes: int, weights: np.ndarray, hyper: LinearHyper, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest linear SVM as a (features × n_classes) weight matrix and a bias; classes
    absent from ``y`` get bias -1e3 so they never win."""
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


def _fit_scores(
    texts: list[str], y: np.ndarray, labels: Sequence[str], hyper: LinearHyper, seed: int,
    analyzers: list[tuple[Callable[[str], list[str]], float, int]],
    weights: np.ndarray | None = None,
) -> tuple[FeatureSpace, np.ndarray, np.ndarray]:
    """Fit the views and the SVMs on the given texts; returns space, weights, bias.

    Ancestor classifiers are folded into the leaf weights (``w_leaf + β·w_parent``), so a
    model folder stays one matrix and inference does not change.
    """
    views = [TfidfView.fit([an(t) for t in texts], min_df) for an, _, min_df in analyzers]
    space = _feature_space(hyper, views, analyzers)
    X = space.matrix(texts)
    sw = np.ones(len(texts)) if weights is None else weights
    w, b = _svm_columns(X, y, len(labels), sw, hyper, seed)
    for depth, beta in enumerate(hyper.parent_weights, start=1):
        groups = ancestor_groups(labels, depth)
        n_groups = int(groups.max()) + 1
        if not beta or n_groups < 2 or len(np.unique(groups[y])) < 2:
            continue
        gw, gb = _svm_columns(X, groups[y], n_groups, sw, hyper, seed)
        for g in np.unique(groups[b > -1e3]):  # per group: no (features × labels) temporary
            members = np.flatnonzero((groups == g) & (b > -1e3))
            w[:, members] += beta * gw[:, g : g + 1]
            b[members] += beta * gb[g]
    return space, w, b


def _category_name_examples(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """Two pseudo-utterances per category: its last segment (``우울감``) and its whole path
    in words (``감정 우울감``)."""
    texts, ys = [], []
    for i, label in enumerate(labels):
        for text in dict.fromkeys([label.rsplit("/", 1)[-1], label.replace("/", " ")]):
            texts.append(text)
            ys.append(i)
    return texts, np.array(ys, dtype=np.int64)


def _answer_examples(
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


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax inverse temperature that minimises held-out negative log-likelihood."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = scores * np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))
        return float(-logp.mean())

    res = minimize_scalar(nll, bounds=(-3.0, 5.0), method="bounded")
    return float(np.exp(res.x))


def _out_of_fold_scores(
    texts: list[str], y: np.ndarray, labels: Sequence[str], hyper: LinearHyper, seed: int,
    extra: int, analyzers: list[tuple[Callable[[str], list[str]], float, int]],
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
        space, w, b = _fit_scores(sub, y[train_mask], labels, hyper, seed, analyzers,
                                  weights[train_mask])
        clf = LinearClassifier(list(labels), space, w, b, 1.0, hyper)
        s = clf.scores([texts[i] for i in test_idx])
        seen = b[y[test_idx]] > -1e3  # skip labels absent from this fold's training part
        rows.append(s[seen])
        truth.append(y[test_idx][seen])
    return np.vstack(rows), np.concatenate(truth)


def train_linear(
    dataset: Dataset, out_dir: Path, seed: int = 42, data_hash: str = "", **hyper: Any
) -> LinearClassifier:
    """Train on ``dataset`` and write a complete model folder to ``out_dir``."""
    hp = LinearHyper.from_dict(hyper)
    started = time.perf_counter()
    texts, cats = _resolve_conflicts(dataset)
    labels = sorted(set(cats))
    if len(labels) < 2:
        raise DataFormatError("training data", None, "needs at least two categories to learn")
    index = {c: i for i, c in enumerate(labels)}
    y = np.array([index[c] for c in cats], dtype=np.int64)
    analyzers = _memoized(hp)
    n_real = len(texts)
    weights = np.ones(n_real)
    if hp.category_names:
        names, name_y = _category_name_examples(labels)
        texts, y = texts + names, np.concatenate([y, name_y])
        weights = np.concatenate([weights, np.ones(len(names))])
    if hp.answer_weight > 0:
        answers, answer_y = _answer_examples(dataset, index)
        texts, y = texts + answers, np.concatenate([y, answer_y])
        weights = np.concatenate([weights, np.full(len(answers), hp.answer_weight)])
    extra = len(texts) - n_real
    temperature = 1.0
    if hp.calibration_folds >= 2 and n_real >= 2 * hp.calibration_folds:
        oof, truth = _out_of_fold_scores(texts, y, labels, hp, seed, extra, analyzers, weights)
        if len(truth):
            temperature = _fit_temperature(oof, truth)
    space, w, b = _fit_scores(texts, y, labels, hp, seed, analyzers, weights)
    space = _feature_space(hp, [v for v, _, _ in space.views])  # drop the training memo
    w = w.astype(np.float16).astype(np.float32)  # exactly what a reload will see
    clf = LinearClassifier(labels, space, w, b, temperature, hp)
    digest = clf.save(Path(out_dir))
    clf._model_id = f"linear-{digest[:12]}"
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
