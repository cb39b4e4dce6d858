"""A learned crisis signal: character n-grams → linear SVM, trained in memory at first use.

Why: the rules reach 0.95+ on phrasing they were tuned on but every new set of unseen
phrasing (euphemism, dark humour, rhetorical questions, self-harm told by its effects)
scored 0.34–0.66 recall before tuning. A small binary model over our own labelled texts
generalises a little past the exact words: on the sealed holdout7 set, rules alone caught
0.34 with 0.05 false alarms; rules OR this model caught 0.57 with the same 0.05, and on the
wellness CSV (never trained on) false alarms went from 0.0024 to 0.0082, recall unchanged
(0.984). Figures and method: issue #5 and docs/BENCHMARKS.md; :data:`ENABLED` says why it is on.

Design choices:
- Only character n-grams (``char_wb`` 1–4 of the spaced view, 2–4 of the compact view, the
  same views the patterns read): no Kiwi call per message, so the check stays well under a
  millisecond even when the morphology pre-checks skip Kiwi. Adding Kiwi morphemes did not
  help in cross-validation (0.698 vs 0.688 out-of-fold recall at 1 % false alarms).
- Training data is ours only: ``data/crisis`` test set and holdout…holdout8, plus
  ``data/dataset`` (crisis categories positive, all others negative). holdout7 and holdout8
  joined once measured (issue #5, third and fourth rounds); holdout9 and later are sealed measuring
  sets, and the sets are named explicitly so no new one leaks in unmeasured.
- The threshold was chosen by leave-one-set-out cross-validation for ≤ 1 % false alarms
  on the negatives (:func:`cross_validated_threshold` re-derives it).
- Never fails open: any failure (missing files, scikit-learn absent, a bug) makes
  :func:`learned_signals` return nothing, and :func:`core.safety.assess` is then exactly
  the rule-based check. Training happens once per process (about a second); nothing is
  written to disk, so there is no pickle and no cache to go stale.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.classify.features import FeatureSpace, TfidfView, char_ngrams
from core.safety.detector import LEVEL_CRISIS, SafetyAssessment
from core.safety.normalize import Views, views

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
CRISIS_SETS = REPO_ROOT / "data" / "crisis"
DATASET_DIR = REPO_ROOT / "data" / "dataset"
# Trained on; holdout9 and later are sealed measuring sets and must stay out until measured.
TRAIN_SETS = (
    "", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7",
    "holdout8",
)
POSITIVE_CATEGORIES = frozenset({"감정/자살충동", "증상/자살시도", "증상/자해"})

SIGNAL = "learned:crisis"
# On: the trade-off measured in issue #5 was accepted. On the sealed holdout7 set the model
# lifted recall from 0.34 to 0.57 with no new false alarm, and on the wellness CSV (never
# trained on) false alarms went from 0.0024 to 0.0082 with recall unchanged. The price:
# it fires on a few near-miss errands the rules leave alone (``주말에 바다 갈 거야
# 서핑하러``, ``유학 가서 한국에 다시는 안 돌아올 거야``), which then get the crisis reply
# — a false alarm costs a kind message with the numbers, a miss can cost a life.
ENABLED = True
C = 1.0
SEED = 0
# The SVM score at which 1 % of the negatives were flagged out-of-fold (leave one labelled
# set out, dataset texts spread over the folds); see cross_validated_threshold(). Re-derived
# when holdout7 joined: 0.375 with out-of-fold recall 0.651 (it was 0.288 / 0.688 on the
# smaller sets; the new texts are harder near-misses on both sides, which raised it).
# Re-derived when holdout8 joined (issue #5, fourth round): 0.382, out-of-fold recall 0.653,
# but that flagged 1.12 % of the wellness CSV (goal 1 %). Raised to 0.42, still inside the
# cross-validated budget (out-of-fold: recall 0.635, false alarms 0.87 %); wellness 0.0100.
THRESHOLD = 0.42
TARGET_FALSE_ALARMS = 0.01


def _spaced_terms(v: Views) -> list[str]:
    return char_ngrams(v.spaced, 1, 4)


def _compact_terms(v: Views) -> list[str]:
    return char_ngrams(v.compact, 2, 4)


_ANALYZERS = (_spaced_terms, _compact_terms)


@dataclass
class CrisisModel:
    """The fitted views and SVM weights: a score above ``threshold`` is a crisis signal."""

    views: list[TfidfView]
    weights: np.ndarray
    bias: float
    threshold: float = THRESHOLD

    def score(self, v: Views) -> float:
        """The SVM decision score for one message's views (about 50 µs, plain numpy)."""
        total = self.bias
        offset = 0
        for view, analyzer in zip(self.views, _ANALYZERS, strict=True):
            idx, val = view.row(analyzer(v))
            if len(idx):
                total += float(val @ self.weights[idx + offset])
            offset += len(view.vocab)
        return total


def _read_lines(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8-sig")
    return [s for line in raw.splitlines() if (s := line.strip()) and not s.startswith("#")]


def training_data(
    crisis_dir: Path = CRISIS_SETS, dataset_dir: Path = DATASET_DIR
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1 = crisis) and group ids (which labelled set; dataset texts are
    spread over the groups) with duplicates removed, first label kept."""
    texts: list[str] = []
    labels: list[int] = []
    groups: list[int] = []
    for g, name in enumerate(TRAIN_SETS):
        prefix = f"{name}_" if name else ""
        for label, kind in ((1, "positives"), (0, "negatives")):
            for text in _read_lines(crisis_dir / f"{prefix}{kind}.txt"):
                texts.append(text)
                labels.append(label)
                groups.append(g)
    rng = np.random.default_rng(SEED)
    for path in sorted(Path(dataset_dir).glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            label = int(record["category"] in POSITIVE_CATEGORIES)
            for text in record["utterances"]:
                texts.append(text)
                labels.append(label)
                groups.append(int(rng.integers(len(TRAIN_SETS))))
    seen: set[str] = set()
    keep = [i for i, t in enumerate(texts) if not (t in seen or seen.add(t))]
    return ([texts[i] for i in keep], np.array([labels[i] for i in keep]),
            np.array([groups[i] for i in keep]))


def fit(texts: Sequence[str], labels: np.ndarray, threshold: float = THRESHOLD) -> CrisisModel:
    """Fit the tf-idf views and a linear SVM on ``texts`` (needs scikit-learn)."""
    from sklearn.svm import LinearSVC

    vs = [views(t) for t in texts]
    fitted = [TfidfView.fit([an(v) for v in vs]) for an in _ANALYZERS]
    space = FeatureSpace([(view, an, 1.0) for view, an in zip(fitted, _ANALYZERS, strict=True)])
    svm = LinearSVC(C=C, random_state=SEED, max_iter=5000)
    svm.fit(space.matrix(vs), labels)  # type: ignore[arg-type]  # the analyzers take Views
    return CrisisModel(fitted, svm.coef_[0].astype(np.float32), float(svm.intercept_[0]),
                       threshold)


def cross_validated_threshold(
    texts: Sequence[str], labels: np.ndarray, groups: np.ndarray,
    false_alarms: float = TARGET_FALSE_ALARMS,
) -> tuple[float, float]:
    """(threshold, out-of-fold recall): the score above which at most ``false_alarms`` of
    the negatives are flagged by models that did not see them (one group left out at a time).

    Re-run after the training texts change and update :data:`THRESHOLD` (seconds of work).
    """
    scores = np.zeros(len(texts))
    for g in np.unique(groups):
        held = groups == g
        model = fit([t for t, h in zip(texts, held, strict=True) if not h], labels[~held])
        scores[held] = [model.score(views(t)) for t, h in zip(texts, held, strict=True) if h]
    negatives = np.sort(scores[labels == 0])[::-1]
    allowed = int(false_alarms * len(negatives))
    threshold = float(negatives[allowed]) if allowed < len(negatives) else float("-inf")
    return threshold, float((scores[labels == 1] > threshold).mean())


_lock = threading.Lock()
_model: CrisisModel | None = None
_failed = False


def prepare() -> CrisisModel | None:
    """Train the model once per process (about a second); None when it cannot be had.

    Call it at start-up to keep that second off the first message; :func:`learned_signals`
    calls it otherwise. A failure is logged once and not retried: the rules carry on alone.
    """
    global _model, _failed
    if _model is not None or _failed:
        return _model
    with _lock:
        if _model is None and not _failed:
            try:
                texts, labels, _ = training_data()
                _model = fit(texts, labels)
                log.info("learned crisis signal trained on %d texts", len(texts))
            except Exception:
                _failed = True
                log.warning("learned crisis signal unavailable; the rules decide alone",
                            exc_info=True)
    return _model


def learned_signals(v: Views) -> list[str]:
    """``["learned:crisis"]`` when the model scores the message above its threshold, else
    ``[]`` — also when switched off, missing or failing (never raises)."""
    if not ENABLED:
        return []
    try:
        model = prepare()
        if model is not None and model.score(v) > model.threshold:
            return [SIGNAL]
    except Exception:
        log.exception("learned crisis signal failed; the rules decide alone")
    return []


def with_learned(verdict: SafetyAssessment, v: Views) -> SafetyAssessment:
    """The rules' verdict with the learned signal added: a crisis when the model fires,
    every rule signal kept as it was (the model only ever raises a verdict).

    Not consulted when a guard set a phrase aside (``guard:third-person``,
    ``guard:recovered``): the rules then know whose words those are, and the rest of the
    message was already checked again without them; the model cannot tell.
    """
    if any(s.startswith("guard:") for s in verdict.signals):
        return verdict
    if learned_signals(v):
        return SafetyAssessment(True, (*verdict.signals, SIGNAL), LEVEL_CRISIS)
    return verdict


def reset(model: CrisisModel | None = None, failed: bool = False) -> None:
    """Replace the process-wide model (tests use this to simulate a missing or broken one)."""
    global _model, _failed
    with _lock:
        _model, _failed = model, failed
