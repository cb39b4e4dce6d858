"""Assembling the crisis check's verdict: signals and hints into a level, the classifier's
crisis categories as one more signal, and the learned model's gate.

Pure arithmetic over what the layers found (:mod:`core.safety.patterns`,
:mod:`core.safety.morphology`); :mod:`core.safety.grading` holds the level of each signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from core.classify.base import Prediction
from core.safety.assessment import Match, SafetyAssessment
from core.safety.grading import MORPH_HINTS, can_cue, hint_name, signal_level
from core.safety.levels import CRISIS_FROM, RiskLevel
from core.safety.lexicon import DISTRESS

log = logging.getLogger(__name__)

CRISIS_CATEGORIES: frozenset[str] = frozenset({"감정/자살충동", "증상/자살시도", "증상/자해"})
# The classifier's probability for a crisis category that, together with one lexical hint,
# flags a crisis; and the probability that flags one alone (near-verbatim training phrasing).
# The embedded linear model is confident on single words (``팔에 문신했어`` → 자해 0.91,
# ``오래오래 건강하게 살고 싶어`` → 자살충동 0.85): measured over our sets and the wellness
# CSV, "alone at 0.80" caught 1 message the patterns missed and raised 14 false alarms, so
# alone it must be all but certain.
CLASSIFIER_WITH_HINT = 0.35
CLASSIFIER_ALONE = 0.99


def classifier_probability(prediction: Prediction | None) -> tuple[str, float] | None:
    """The classifier's most likely crisis category and its probability, if any."""
    if prediction is None:
        return None
    pairs = list(prediction.top_k) or [(prediction.category, prediction.confidence)]
    best: tuple[str, float] | None = None
    for category, prob in pairs:
        if category in CRISIS_CATEGORIES and (best is None or prob > best[1]):
            best = (category, float(prob))
    return best


def classifier_signal(prediction: Prediction | None) -> str | None:
    """``classifier:CATEGORY@P`` when a crisis category is likely enough to count, else None."""
    best = classifier_probability(prediction)
    if best is None or best[1] < CLASSIFIER_WITH_HINT:
        return None
    return f"classifier:{best[0]}@{best[1]:.2f}"


def decide(
    crisis: list[str],
    concern: list[str],
    prediction: Prediction | None,
    explained: frozenset[str] | set[str] = frozenset(),
    notes: tuple[str, ...] = (),
    matched: tuple[Match, ...] = (),
) -> SafetyAssessment:
    signals = list(crisis) + list(notes)
    hints = sorted(set(concern))
    unexplained = [h for h in hints if h not in explained]
    classifier = classifier_signal(prediction)
    best = classifier_probability(prediction)
    if not crisis and len(hints) >= 2:
        signals.append("combo:hints")
    if classifier is not None:
        signals.append(classifier)
        if not crisis and (unexplained or (best is not None and best[1] >= CLASSIFIER_ALONE)):
            signals.append("combo:classifier")
    signals.extend(h for h in hints if h not in signals)
    signals.extend(dict.fromkeys(f"distress:{m.rule}" for m in matched if m.kind == DISTRESS))
    level, cue = _level(signals, crisis, hints, unexplained, classifier, matched)
    combo = any(s.startswith("combo:") for s in signals)
    if not crisis and not combo and level is RiskLevel.DISTRESS and cue >= CRISIS_FROM:
        # pain and a hint of last things in one message (``너무 힘들어 약 모아놨어``): the same
        # pairing :mod:`core.safety.trajectory` makes across turns
        signals.append("combo:distress")
        level = cue
    is_crisis = bool(crisis) or any(s.startswith("combo:") for s in signals)
    if is_crisis and level < CRISIS_FROM:  # a crisis is never graded below the crisis reply
        level = RiskLevel.IDEATION
    return SafetyAssessment(is_crisis, tuple(signals), level, matched, cue)


def _hint_risk(hint: str, risks: dict[str, RiskLevel]) -> RiskLevel:
    if hint in MORPH_HINTS:
        return MORPH_HINTS[hint]
    return risks.get(hint_name(hint), RiskLevel.NONE)


def _level(
    signals: list[str],
    crisis: list[str],
    hints: list[str],
    unexplained: list[str],
    classifier: str | None,
    matched: tuple[Match, ...],
) -> tuple[RiskLevel, RiskLevel]:
    """(the message's level, its cue): see :mod:`core.safety.grading` for the mapping."""
    risks: dict[str, RiskLevel] = {}
    for m in matched:
        risks[m.rule] = max(risks.get(m.rule, RiskLevel.NONE), m.risk)
    level = RiskLevel.NONE
    for signal in crisis:
        name = signal.removeprefix("phrase:")
        level = max(level, risks[name] if name in risks else signal_level(signal))
    hint_levels = [_hint_risk(h, risks) for h in hints]
    if "combo:hints" in signals:
        level = max(level, RiskLevel.PASSIVE, *hint_levels)
    if "combo:classifier" in signals and classifier is not None:
        level = max(level, signal_level(classifier), *hint_levels)
    if level < RiskLevel.DISTRESS and (
        any(m.kind == DISTRESS for m in matched) or RiskLevel.DISTRESS in hint_levels
    ):
        level = RiskLevel.DISTRESS
    cue = max((_hint_risk(h, risks) for h in unexplained if can_cue(h)), default=RiskLevel.NONE)
    return level, cue



def learned_level(result: object) -> tuple[tuple[str, ...], RiskLevel | None]:
    """(signals, level) from what ``LearnedCrisisSignal.signals`` returned: a ``(signals,
    level)`` pair, an object with ``signals`` and ``level``, or a bare list of signal names
    (ungraded: level None)."""
    if isinstance(result, tuple) and len(result) == 2 and not isinstance(result[0], str):
        signals, level = result
    elif hasattr(result, "signals") and hasattr(result, "level"):
        signals, level = result.signals, result.level  # type: ignore[attr-defined]
    else:
        return (tuple(result) if result else ()), None  # type: ignore[call-overload]
    signals = tuple(signals or ())
    if not signals or level is None:
        return signals, None
    return signals, RiskLevel.parse(level)


def with_learned(
    verdict: SafetyAssessment, learned: Callable[[], object] | None
) -> SafetyAssessment:
    """The rules' verdict raised by the learned model (it never lowers one).

    Consulted only when the rules saw no crisis: the rules grade what they recognise more
    reliably than the model's level head, and skipping saves the encoder's ~13 ms.

    Not consulted when a guard set a phrase aside (``guard:third-person``,
    ``guard:recovered``): the rules then know whose words those are, and the rest of the
    message was already checked again without them; the model cannot tell. Broken or
    missing, the rules decide alone. ``learned`` asks the model (what
    :meth:`core.safety.learned.LearnedCrisisSignal.signals` returns); None: no model.
    """
    if verdict.crisis or any(s.startswith("guard:") for s in verdict.signals):
        return verdict  # the rules' level stands; the encoder is not needed
    if learned is None:
        return verdict
    try:
        signals, level = learned_level(learned())
    except Exception:
        log.exception("learned crisis signal unavailable; rules only")
        return verdict
    if not signals:
        return verdict
    if level is None:  # ungraded: a crisis of unknown kind, unless the rules saw one
        level = verdict.level if verdict.crisis else RiskLevel.IDEATION
    return replace(
        verdict,
        crisis=verdict.crisis or level >= CRISIS_FROM,
        signals=(*verdict.signals, *signals),
        level=max(level, verdict.level),
    )
