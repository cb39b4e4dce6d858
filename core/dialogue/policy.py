"""Reading a message in its conversation: what kind of turn it is (pure, no I/O).

Why here and not in the classifier: the classifier sees the utterance alone (so the log, its
metrics and retraining stay about what was said); this module adds what the conversation
knows. The rules, in order:

1. A question about Buddy itself is answered honestly (``META``).
2. A short answer (yes / no / a duration / "모르겠어" / thanks / an emoji, or a feeling word)
   inside a conversation with a topic continues that topic (``SHORT``).
3. A message the classifier is unsure of (below ``threshold``), or small talk, inside a topic
   stays in the topic (``STAY``) instead of getting a generic fallback.
4. A confident message of the topic's family answers within it (``SAME``); one of another
   family starts a new topic when the classifier is sure enough (``switch_at``) — a message
   that only leans elsewhere stays in the ongoing topic.
5. Without a topic the classifier decides alone (``OPEN``: its answer, or a fallback).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from core.dialogue.meta import MetaKind, read_meta
from core.dialogue.shortreply import ShortKind, ShortReply, read_short
from core.dialogue.state import DialogueState, family

SMALL_TALK = "일반대화"
SWITCH_AT = 0.45


class Move(str, Enum):
    """What a turn does to the conversation."""

    META = "meta"
    SHORT = "short"
    STAY = "stay"
    SAME = "same_topic"
    NEW = "new_topic"
    OPEN = "open"


@dataclass(frozen=True)
class Decision:
    move: Move
    short: ShortReply | None = None
    meta: MetaKind | None = None


def decide(
    state: DialogueState,
    text: str,
    category: str | None,
    confidence: float | None,
    *,
    threshold: float,
    switch_at: float = SWITCH_AT,
) -> Decision:
    """The move for ``text`` in ``state``, given the classifier's guess for it alone."""
    meta = read_meta(text)
    if meta is not None:
        return Decision(Move.META, meta=meta)
    in_topic = state.topic is not None
    short = read_short(text)
    if short is not None and in_topic:
        return Decision(Move.SHORT, short=short)
    if short is not None and short.kind is not ShortKind.FEELING and state.question_kind:
        return Decision(Move.SHORT, short=short)  # answering our question before any topic
    sure = category is not None and confidence is not None and confidence >= threshold
    if not sure or category == SMALL_TALK:
        return Decision(Move.STAY if in_topic else Move.OPEN)
    if not in_topic:
        return Decision(Move.NEW)
    if family(category) == state.topic_family:
        return Decision(Move.SAME)
    if confidence is not None and confidence >= switch_at:
        return Decision(Move.NEW)
    return Decision(Move.STAY)
