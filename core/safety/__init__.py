"""Buddy's crisis safety layer: detection, the crisis reply, safety mode, operator alerts.

It does not depend on the classifier: :func:`assess` flags a crisis from patterns and
morphology alone and only takes the classifier's prediction as one more signal. It never
raises and never fails open.

Typical use by the pipeline::

    scan = checker.scan(text)                 # read once (Kiwi's input: scan.kiwi_inputs())
    verdict = scan.decide()                   # before (or without) the classifier
    verdict = scan.decide(prediction)         # again once a prediction exists
    if verdict.crisis:                        # level passive and above
        reply = reply_for_level(verdict.level); mode.enter(user_key)
        if verdict.level >= ALERT_FROM:
            await alerts.send(ref, platform, verdict.signals, verdict.risk_level)
    elif (turn := mode.next_turn(user_key)) is not None:
        reply = safety_followup_reply(turn)
    elif verdict.level is RiskLevel.DISTRESS:
        reply = with_distress_line(category_answer)
"""

from core.safety.alerts import OperatorAlerts
from core.safety.assessment import SafetyAssessment
from core.safety.decision import CRISIS_CATEGORIES, classifier_signal
from core.safety.detector import MessageScan, SafetyChecker, assess
from core.safety.hotlines import HOTLINES, Hotline, hotline_block
from core.safety.levels import ALERT_FROM, CRISIS_FROM, RiskLevel
from core.safety.mode import SafetyMode
from core.safety.replies import (
    crisis_reply,
    repeated_crisis_replies,
    reply_for_level,
    safety_farewell,
    safety_followup_reply,
    safety_followups,
    urgent_reply,
    with_distress_line,
)

__all__ = [
    "ALERT_FROM",
    "CRISIS_CATEGORIES",
    "CRISIS_FROM",
    "HOTLINES",
    "Hotline",
    "MessageScan",
    "OperatorAlerts",
    "RiskLevel",
    "SafetyAssessment",
    "SafetyChecker",
    "SafetyMode",
    "assess",
    "classifier_signal",
    "crisis_reply",
    "hotline_block",
    "repeated_crisis_replies",
    "reply_for_level",
    "safety_farewell",
    "safety_followup_reply",
    "safety_followups",
    "urgent_reply",
    "with_distress_line",
]
