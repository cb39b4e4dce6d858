"""Why the crisis check decided what it did about one message (``buddy safety explain``).

Why: a rule base is only maintainable when anyone can see, for a given sentence, which rule
fired on which words, which guard set a match aside, and what the learned model thought.
This re-runs the rules with their guards spelled out; the verdict itself is always
:func:`core.safety.assess`'s, so the explanation can never disagree with the decision.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

from core.classify.base import Prediction
from core.safety import guards
from core.safety.assessment import SafetyAssessment
from core.safety.detector import assess
from core.safety.learned import LearnedCrisisSignal
from core.safety.lexicon import CRISIS, RULES, Rule
from core.safety.normalize import Views, views

log = logging.getLogger(__name__)
_GUARD_WINDOW = 14  # what patterns._rule_hits looks at before and after a match


@dataclass(frozen=True)
class Hit:
    """One match of one rule: the words, the view they were found in, what became of it."""

    rule: str
    kind: str  # crisis | concern | distress
    risk: str  # the rule's own level
    view: str
    span: str  # the matched substring of that view
    start: int
    outcome: str  # counted | before-guard | after-guard | context | third-person | recovered
    guard: str = ""  # the words that triggered the guard, when one did


@dataclass(frozen=True)
class LearnedScore:
    """The learned model's score for the message, or why there is none."""

    available: bool
    score: float | None = None
    threshold: float | None = None
    note: str = ""


@dataclass
class Explanation:
    text: str
    compact: str
    spaced: str
    verdict: SafetyAssessment
    hits: list[Hit] = field(default_factory=list)
    learned: LearnedScore = field(default_factory=lambda: LearnedScore(False, note="not asked"))

    def as_dict(self) -> dict[str, object]:
        """Plain values for ``--json``."""
        return {
            "text": self.text,
            "risk_level": self.verdict.risk_level,
            "crisis": self.verdict.crisis,
            "signals": list(self.verdict.signals),
            "matches": [
                {"rule": m.rule, "view": m.view, "span": m.text, "level": m.risk.label,
                 "kind": m.kind}
                for m in self.verdict.matches
            ],
            "hits": [asdict(h) for h in self.hits],
            "learned": asdict(self.learned),
            "views": {"compact": self.compact, "spaced": self.spaced},
        }


def _guard_hits(rule: Rule, v: Views) -> list[Hit]:
    """Every match of ``rule`` in its view with what its own guards made of it."""
    text = v.spaced if rule.view == "spaced" else v.compact
    out: list[Hit] = []
    for m in rule.pattern.finditer(text):
        start, end = m.span()
        outcome, guard = "counted", ""
        if rule.before is not None and (
            g := rule.before.search(text[max(0, start - _GUARD_WINDOW) : start])
        ):
            outcome, guard = "before-guard", g.group(0)
        elif rule.after is not None and (g := rule.after.match(text[end : end + _GUARD_WINDOW])):
            outcome, guard = "after-guard", g.group(0)
        elif rule.context is not None and (g := rule.context.search(text)):
            outcome, guard = "context", g.group(0)
        elif rule.level == CRISIS and (why := guards.set_aside(text, start, end)) is not None:
            outcome = why
        out.append(Hit(rule.name, rule.level, rule.risk.label, rule.view, m.group(0), start,
                       outcome, guard))
    return out


def learned_score(v: Views, learned: LearnedCrisisSignal | None) -> LearnedScore:
    """The learned model's score and the threshold it is compared with; "off" when it has
    none. Below the n-gram gate the score is the n-gram stage's and the threshold the gate
    (the encoder never ran); above it, the blended score against the decision threshold."""
    if learned is None:
        return LearnedScore(False, note="learned model off")
    try:
        model = learned.prepare()
        if model is None:
            return LearnedScore(False, note="learned model off (unavailable)")
        j = model.judge(v, learned.encoder)
        if j.blended is None:
            if j.ngram < model.gate:
                return LearnedScore(True, j.ngram, model.gate,
                                    note="below the n-gram gate: encoder not consulted")
            return LearnedScore(True, j.ngram, model.threshold_ngram_alone,
                                note="encoder unavailable: n-gram stage alone")
        note = f"level head: {j.level}" if j.crisis else ""
        return LearnedScore(True, j.blended, model.threshold, note=note)
    except Exception:
        log.debug("learned score unavailable", exc_info=True)
        return LearnedScore(False, note="learned model off (failed)")


def explain(
    text: str, prediction: Prediction | None = None, learned: LearnedCrisisSignal | None = None
) -> Explanation:
    """The decision for ``text`` with every rule match, guard and the learned score."""
    verdict = assess(text, prediction, learned=learned)
    v = views(text)
    hits = [h for rule in RULES for h in _guard_hits(rule, v)]
    return Explanation(text, v.compact, v.spaced, verdict, hits, learned_score(v, learned))
