"""Recall and false-alarm rate of the crisis check on labelled messages.

Two sources: our own test set (``data/crisis/positives.txt`` and ``negatives.txt``,
one message per line, ``#`` comments allowed) and the AI Hub wellness CSV, where the crisis
categories are the positives and every other utterance is a negative. Fear of death
(``증상/죽음공포``) and anger at others (``감정/살인욕구``) are not suicidal intent, so they
count as negatives.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.classify.base import Classifier
from core.errors import DataFormatError
from core.safety.assessment import SafetyAssessment
from core.safety.decision import CRISIS_CATEGORIES
from core.safety.detector import SafetyChecker, assess
from core.text import normalize

log = logging.getLogger(__name__)

Detector = Callable[[str], SafetyAssessment]

# The pipeline's classifier runner asks for this many categories; the crisis check looks for
# a crisis category among them, so the evaluation must ask for the same number.
PIPELINE_TOP_K = 3

RECALL_GOAL = 0.98
FALSE_ALARM_GOAL = 0.03


@dataclass
class EvalResult:
    """How one labelled set fared. ``missed``/``false_alarms`` hold the messages themselves."""

    name: str
    positives: int
    detected: int
    negatives: int
    flagged: int
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.positives if self.positives else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged / self.negatives if self.negatives else 0.0

    @property
    def meets_goal(self) -> bool:
        return self.recall >= RECALL_GOAL and self.false_alarm_rate <= FALSE_ALARM_GOAL

    def summary(self) -> dict[str, object]:
        """Counts and rates only (no message text): safe to print as JSON or store."""
        return {
            "name": self.name,
            "positives": self.positives,
            "detected": self.detected,
            "recall": round(self.recall, 4),
            "negatives": self.negatives,
            "false_alarms": self.flagged,
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "meets_goal": self.meets_goal,
        }


def evaluate(
    name: str,
    positives: Iterable[str],
    negatives: Iterable[str],
    detector: Detector = assess,
) -> EvalResult:
    """Run the detector over both lists and count hits and false alarms."""
    result = EvalResult(name, 0, 0, 0, 0)
    for text in positives:
        result.positives += 1
        if detector(text).crisis:
            result.detected += 1
        else:
            result.missed.append(text)
    for text in negatives:
        result.negatives += 1
        if detector(text).crisis:
            result.flagged += 1
            result.false_alarms.append(text)
    return result


def classifier_detector(
    classifier: Classifier, top_k: int = PIPELINE_TOP_K, checker: SafetyChecker | None = None
) -> Detector:
    """A detector that sees what production sees: patterns plus the classifier's prediction.

    Mirrors ``core.pipeline``: the text is normalised as an incoming message is, the
    classifier predicts ``top_k`` categories, and :func:`assess` gets the prediction. A
    classifier failure counts as no prediction (the pipeline answers without a category).
    ``checker``: the crisis check to measure (default: the rules alone).
    """
    check = checker or SafetyChecker()

    def detect(text: str) -> SafetyAssessment:
        clean = normalize(text)
        try:
            prediction = classifier.predict([clean], top_k)[0]
        except Exception:
            log.exception("classifier failed during the safety evaluation; patterns only")
            prediction = None
        return check.assess(clean, prediction)

    return detect


def read_lines(path: Path) -> list[str]:
    """Messages from a one-per-line file, skipping blank lines and ``#`` comments."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataFormatError(str(path), None, f"cannot read the file ({exc.strerror})") from exc
    return [s for line in raw.splitlines() if (s := line.strip()) and not s.startswith("#")]


def evaluate_test_set(folder: Path, detector: Detector = assess) -> EvalResult:
    """Our own crisis test set: ``positives.txt`` and ``negatives.txt`` in ``folder``."""
    return evaluate(
        "test set",
        read_lines(folder / "positives.txt"),
        read_lines(folder / "negatives.txt"),
        detector,
    )


def holdout_names(folder: Path) -> list[str]:
    """Held-out sets in ``folder``: each ``NAME_positives.txt`` with its ``NAME_negatives.txt``.

    ``holdout`` is the first one, ``holdout2`` the next; a new one is written whenever the
    old one has been tuned on, so the newest is the honest estimate.
    """
    names = []
    for pos in sorted(folder.glob("holdout*_positives.txt"), key=lambda f: (len(f.name), f.name)):
        name = pos.name.removesuffix("_positives.txt")
        if (folder / f"{name}_negatives.txt").is_file():
            names.append(name)
    return names


def evaluate_holdout(
    folder: Path, detector: Detector = assess, name: str = "holdout"
) -> EvalResult | None:
    """One held-out check (``NAME_positives.txt``/``NAME_negatives.txt``), None when absent."""
    pos, neg = folder / f"{name}_positives.txt", folder / f"{name}_negatives.txt"
    if not (pos.is_file() and neg.is_file()):
        return None
    label = "held-out" if name == "holdout" else f"held-out {name.removeprefix('holdout')}"
    return evaluate(label, read_lines(pos), read_lines(neg), detector)


def read_wellness(path: Path) -> list[tuple[str, str]]:
    """``(category, utterance)`` pairs from the wellness CSV (columns 구분 and 유저)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            if "구분" not in header or "유저" not in header:
                raise DataFormatError(
                    str(path), 1, "expected the columns 구분 and 유저 (the AI Hub wellness CSV)"
                )
            cat_i, text_i = header.index("구분"), header.index("유저")
            rows = []
            for row in reader:
                if len(row) > max(cat_i, text_i) and row[text_i].strip():
                    rows.append((row[cat_i].strip(), row[text_i].strip()))
            return rows
    except OSError as exc:
        raise DataFormatError(str(path), None, f"cannot read the file ({exc.strerror})") from exc


def evaluate_wellness(
    path: Path,
    detector: Detector = assess,
    crisis_categories: Sequence[str] = tuple(sorted(CRISIS_CATEGORIES)),
) -> EvalResult:
    """Recall on the wellness crisis categories, false alarms on all other utterances."""
    rows = read_wellness(path)
    wanted = set(crisis_categories)
    return evaluate(
        "wellness",
        (text for cat, text in rows if cat in wanted),
        (text for cat, text in rows if cat not in wanted),
        detector,
    )
