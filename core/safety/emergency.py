"""The last line of defence: a crisis check that can never fail open.

If the safety module itself breaks (a bug, a missing resource), a handful of unmistakable
stems still decide, so a message about suicide or self-harm gets the crisis reply
whatever else fails. Used by the message path and by the shutdown refusal.
"""

from __future__ import annotations

import logging

from core.safety.assessment import SafetyAssessment
from core.safety.detector import assess
from core.safety.levels import RiskLevel

log = logging.getLogger(__name__)

EMERGENCY_STEMS = ("죽고싶", "자살", "죽을래", "자해", "목숨", "뛰어내", "killmyself", "suicide")


def emergency_assess(text: str) -> SafetyAssessment:
    """Crisis when one of :data:`EMERGENCY_STEMS` appears, spaces and case ignored."""
    squashed = "".join(text.split()).lower()
    hits = tuple(f"emergency:{s}" for s in EMERGENCY_STEMS if s in squashed)
    level = RiskLevel.IDEATION if hits else RiskLevel.NONE
    return SafetyAssessment(crisis=bool(hits), signals=hits, level=level)


def safe_assess(text: str) -> SafetyAssessment:
    """The rules' verdict on ``text``; the emergency stems' if the rules raise."""
    try:
        return assess(text)
    except Exception:
        log.exception("safety check failed; using the emergency check")
        return emergency_assess(text)
