"""Buddy's crisis safety layer: detection, the crisis reply, safety mode, operator alerts.

It does not depend on the classifier: :func:`assess` flags a crisis from patterns and
morphology alone and only takes the classifier's prediction as one more signal. It never
raises and never fails open.

Typical use by the pipeline::

    verdict = assess(text)                    # before (or without) the classifier
    verdict = assess(text, prediction)        # again once a prediction exists
    if verdict.crisis:
        reply = crisis_reply(); mode.enter(user_key); await alerts.send(ref, platform, verdict.signals)
    elif (turn := mode.next_turn(user_key)) is not None:
        reply = safety_followup_reply(turn)
"""

from core.safety.alerts import OperatorAlerts
from core.safety.detector import (
    CRISIS_CATEGORIES,
    SafetyAssessment,
    assess,
    classifier_signal,
)
from core.safety.hotlines import HOTLINES, Hotline, hotline_block
from core.safety.mode import SafetyMode
from core.safety.replies import crisis_reply, safety_followup_reply

__all__ = [
    "CRISIS_CATEGORIES",
    "HOTLINES",
    "Hotline",
    "OperatorAlerts",
    "SafetyAssessment",
    "SafetyMode",
    "assess",
    "classifier_signal",
    "crisis_reply",
    "hotline_block",
    "safety_followup_reply",
]
