"""Step 4 of the message path: which reply a message gets, once its risk and category are known.

Pure functions of the conversation state, the crisis verdict and the prediction (no I/O,
no clock of their own), so ``Buddy.handle`` reads as the order of the steps and the
choice itself can be read — and changed — in one place.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core import replies
from core.answers import AnswerBook
from core.classify.base import Prediction
from core.dialogue import respond
from core.dialogue.state import DialogueState
from core.messages import Reply, ReplyKind
from core.pseudonym import user_ref as make_user_ref
from core.safety import RiskLevel, SafetyAssessment, SafetyMode, with_distress_line

# Replies a distress line may follow: answers in the user's own words, not fixed notices.
WARM_KINDS = frozenset({ReplyKind.ANSWER, ReplyKind.FALLBACK, ReplyKind.FOLLOW_UP})


def choose(
    state: DialogueState, now: datetime, text: str, prediction: Prediction | None,
    assessment: SafetyAssessment, *, answers: AnswerBook, threshold: float,
    safety_mode: SafetyMode, start: int,
) -> tuple[Reply, DialogueState]:
    """The reply to a text message with words: crisis, safety follow-up or an answer
    (``start`` picks among equally good answers), distress adding the hotlines."""
    if assessment.crisis:
        return crisis_reply(state, now, assessment, safety_mode, prediction)
    reply, state = _answer(state, now, text, prediction, assessment, answers=answers,
                           threshold=threshold, safety_mode=safety_mode, start=start)
    if assessment.level is RiskLevel.DISTRESS and reply.kind in WARM_KINDS:
        # pain without a wish to die: the warm answer, with the numbers in view
        reply = replace(reply, text=with_distress_line(reply.text))
    return reply, state


def _answer(
    state: DialogueState, now: datetime, text: str, prediction: Prediction | None,
    assessment: SafetyAssessment, *, answers: AnswerBook, threshold: float,
    safety_mode: SafetyMode, start: int,
) -> tuple[Reply, DialogueState]:
    if state.safety_active(now, safety_mode.turns):
        reply, state = respond.safety_followup(state, text)
        return replace(reply, category=prediction.category if prediction else None,
                       confidence=prediction.confidence if prediction else None,
                       signals=assessment.signals), state
    reply, state, _ = respond.answer(state, text, prediction, answers=answers,
                                     threshold=threshold, start=start)
    return reply, state


def emoji_reply(state: DialogueState, now: datetime, text: str, safety_mode: SafetyMode
                ) -> tuple[Reply, DialogueState]:
    """Only emoji: gentle in safety mode, an answer inside a conversation, else a
    request for words."""
    if state.safety_active(now, safety_mode.turns):
        return respond.safety_followup(state, text)
    return (respond.emoji_only(state, text)
            or (fixed(replies.EMOJI_ONLY, ReplyKind.EMPTY), state))


def crisis_reply(
    state: DialogueState, now: datetime, assessment: SafetyAssessment,
    safety_mode: SafetyMode, prediction: Prediction | None = None,
) -> tuple[Reply, DialogueState]:
    """The crisis reply with the hotlines; the conversation enters safety mode."""
    said, state = respond.crisis(state, assessment.level, now,
                                 safety_minutes=safety_mode.seconds / 60)
    category, confidence = (None, None) if prediction is None else (
        prediction.category, prediction.confidence)
    return Reply(said, ReplyKind.CRISIS, category, confidence, crisis=True,
                 signals=assessment.signals), state


def fixed(text: str, kind: ReplyKind) -> Reply:
    """A notice that is the same for everyone (empty message, too fast, unsupported)."""
    return Reply(text, kind)


def with_identity(
    reply: Reply, key: str, state: DialogueState, assessment: SafetyAssessment
) -> Reply:
    """The reply labelled with what operators and adapters see: user reference,
    conversation, risk level."""
    return replace(reply, user_ref=make_user_ref(key), conversation_id=state.conversation_id,
                   risk_level=assessment.risk_level)
