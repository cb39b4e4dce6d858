"""What the crisis check decides: :class:`SafetyAssessment` and where each rule matched.

Kept apart from the layers that produce it so that callers (the pipeline, the trajectory,
the evaluation) depend on the verdict's shape, not on how it is reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.safety.levels import CRISIS_FROM, RiskLevel

# The yes/no detector's verdict strings; :meth:`RiskLevel.parse` still reads them.
NONE, LEVEL_CONCERN, LEVEL_CRISIS = "none", "concern", "crisis"


@dataclass(frozen=True)
class Match:
    """Where a rule matched: what an operator or ``buddy safety explain`` is shown.

    ``text`` is the matched substring of the view the rule reads (``compact`` has no
    spaces); ``kind`` is how the rule counts (``crisis``, ``concern``, ``distress``) and
    ``risk`` the level this match means after its raises (:func:`grading.grade_match`).
    """

    rule: str
    view: str
    start: int
    end: int
    text: str
    kind: str
    risk: RiskLevel


@dataclass(frozen=True)
class SafetyAssessment:
    """The safety check's decision and why: ``signals`` name every rule that fired.

    ``level`` is the :class:`RiskLevel`; ``crisis`` (the crisis reply) is always
    ``level >= passive`` and kept for the callers that only need yes or no. ``matches``
    say where each counted rule matched; ``cue`` is the level the message's unpaired hints
    would mean (``오늘이 마지막이야`` alone: plan), which the conversation's history may
    turn into a crisis (:mod:`core.safety.trajectory`).
    """

    crisis: bool
    signals: tuple[str, ...]
    level: RiskLevel = RiskLevel.NONE
    matches: tuple[Match, ...] = ()
    cue: RiskLevel = RiskLevel.NONE

    def __post_init__(self) -> None:
        # Never fail open: a crisis flag without a level is ideation; a legacy or unknown
        # level string never lowers a crisis.
        try:
            level = RiskLevel.parse(self.level)
        except ValueError:
            level = RiskLevel.NONE
        if self.crisis and level < CRISIS_FROM:
            level = RiskLevel.IDEATION
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "crisis", bool(self.crisis) or level >= CRISIS_FROM)

    @property
    def risk_level(self) -> str:
        """The level's label (``"plan"``), as the API and logs show it."""
        return self.level.label


# Where a crisis rule matched: (rule name, view, start, end), for the whose-crisis guards.
Span = tuple[str, str, int, int]
