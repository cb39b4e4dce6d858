"""The reply for one turn in its conversation, and the conversation after it (pure).

Why one pure function per path: the pipeline does the I/O (safety check, classifier, state
store, log); everything a user notices about context — the topic kept, the short answer
understood, no reply given twice in one conversation, a different shorter crisis reply
each time — is decided here from values, and tested without a database or a model.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core import replies, smalltalk
from core.answers import AnswerBook
from core.classify.base import Prediction
from core.dialogue.followups import follow_up, markers
from core.dialogue.meta import ANSWERS as META_ANSWERS
from core.dialogue.policy import Decision, Move, decide
from core.dialogue.questions import last_question
from core.dialogue.shortreply import ShortReply, read_short
from core.dialogue.state import DialogueState, best_unused
from core.messages import Reply, ReplyKind
from core.safety import (
    RiskLevel,
    crisis_reply,
    repeated_crisis_replies,
    reply_for_level,
    safety_farewell,
    safety_followups,
)
from core.text import has_hangul


def _sent(state: DialogueState, text: str, *parts: str) -> DialogueState:
    """``state`` after Buddy said ``text`` (made of ``parts``): what it asked, what it gave."""
    question, kind = last_question(text)
    return replace(state.with_given(text, *parts), question=question, question_kind=kind)


def _cat(prediction: Prediction | None) -> tuple[str | None, float | None]:
    return (prediction.category, prediction.confidence) if prediction else (None, None)


def crisis(state: DialogueState, level: RiskLevel, now: datetime, *,
           safety_minutes: float) -> tuple[str, DialogueState]:
    """The crisis reply: the full card the first time in a conversation, then a shorter,
    personal one that was not given yet; the numbers always, imminent leading with 119/112.
    Safety mode (re)starts."""
    if state.crisis_replies == 0:
        text = reply_for_level(level) or crisis_reply()
    else:
        text = best_unused(repeated_crisis_replies(level), state, state.crisis_replies - 1)
    state = replace(
        state.with_given(text), crisis_replies=state.crisis_replies + 1,
        safety_level=max(state.safety_level, int(level)),
        safety_until=now + timedelta(minutes=safety_minutes), safety_turns=0,
        question=None, question_kind=None,
    )
    return text, state


def safety_followup(state: DialogueState, text: str = "") -> tuple[Reply, DialogueState]:
    """A gentle turn after a crisis reply, in order, skipping any already given; a goodbye
    is honoured (the conversation ends) with the numbers in view."""
    if smalltalk.is_farewell(text):
        said = safety_farewell()
        return Reply(said, ReplyKind.FAREWELL), _sent(state, said)
    said = best_unused(safety_followups(), state, state.safety_turns)
    reply = Reply(said, ReplyKind.SAFETY_FOLLOWUP)
    return reply, replace(_sent(state, said), safety_turns=state.safety_turns + 1)


def emoji_only(state: DialogueState, text: str) -> tuple[Reply, DialogueState] | None:
    """An emoji after Buddy's question or inside a topic is an answer (None: no context)."""
    short = read_short(text)
    if short is None or (state.topic is None and state.question_kind is None):
        return None
    return _follow(state, short)


def _follow(state: DialogueState, short: ShortReply | None) -> tuple[Reply, DialogueState]:
    text, ack, question, kind = follow_up(short, state)
    reply = Reply(text, ReplyKind.FOLLOW_UP, state.topic, state.topic_confidence)
    after = _sent(state, text, ack, question, *markers(short))
    return reply, replace(after, question_kind=kind)


def answer(
    state: DialogueState,
    text: str,
    prediction: Prediction | None,
    *,
    answers: AnswerBook,
    threshold: float,
    start: int = 0,
) -> tuple[Reply, DialogueState, Decision | None]:
    """The reply to a message that is not a crisis, outside safety mode."""
    if smalltalk.is_farewell(text):
        reply = Reply(best_unused(replies.FAREWELLS, state, start), ReplyKind.FAREWELL,
                      *_cat(prediction))
        return reply, _sent(state, reply.text), None
    category, confidence = _cat(prediction)
    decision = decide(state, text, category, confidence, threshold=threshold)
    if decision.move is Move.META:
        said = best_unused(META_ANSWERS[decision.meta], state)  # type: ignore[index]
        reply = Reply(said, ReplyKind.ABOUT_BUDDY, *_cat(prediction))
        return reply, _sent(state, said), decision
    if decision.move is Move.SHORT:
        reply, state = _follow(state, decision.short)
        return reply, state, decision
    if smalltalk.is_greeting(text):
        reply = Reply(best_unused(replies.GREETINGS, state, start), ReplyKind.GREETING,
                      *_cat(prediction))
        return reply, _sent(state, reply.text), decision
    if not has_hangul(text):
        return Reply(replies.NOT_KOREAN, ReplyKind.FALLBACK, *_cat(prediction)), state, decision
    if decision.move is Move.STAY:  # news in a few words, or a guess, inside the topic
        reply, state = _follow(state, None)
        return reply, state, decision
    if decision.move is Move.OPEN and (prediction is None or prediction.confidence < threshold):
        said = best_unused(replies.FALLBACKS, state, start)
        reply = Reply(said, ReplyKind.FALLBACK, *_cat(prediction),
                      top_k=prediction.top_k if prediction else ())
        return reply, _sent(state, said), decision
    assert prediction is not None
    said = best_unused(answers.candidates(prediction.category), state, start)
    reply = Reply(said, ReplyKind.ANSWER, prediction.category, prediction.confidence,
                  top_k=prediction.top_k)
    if decision.move in (Move.NEW, Move.SAME):
        state = replace(state, topic=prediction.category, topic_confidence=prediction.confidence)
    return reply, _sent(state, said), decision
