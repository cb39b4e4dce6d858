"""What Buddy remembers of one open conversation, as a plain value (no I/O here).

Why a frozen value: the pipeline reads it at the start of a turn, the pure dialogue logic
returns a changed copy, and the store writes that copy back (``core.storage.dialogue_state``).
Whichever process takes the next turn reads the same value, so a restart or a second
process continues the same conversation. No user text is kept: the topic is a category,
the question is Buddy's own words, ``given`` holds short ids of replies already sent.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

#: How many reply ids a conversation remembers (enough for a long talk, bounded in size).
GIVEN_KEPT = 80


class QuestionKind(str, Enum):
    """What kind of answer the question Buddy last asked invites."""

    DURATION = "duration"  # 언제부터 / 얼마나 됐어요?
    FEELING = "feeling"  # 어떤 마음이었어요?
    YESNO = "yesno"  # …있나요? …괜찮을까요?
    OPEN = "open"  # 조금 더 들려줄래요?


def reply_id(text: str) -> str:
    """A short stable id of a reply text: the same in every process, no text stored."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def family(category: str | None) -> str | None:
    """The topic family of a category: its first two levels (``감정/걱정/자녀`` → ``감정/걱정``)."""
    if not category:
        return None
    return "/".join(category.split("/")[:2])


@dataclass(frozen=True)
class DialogueState:
    """One user's open conversation. ``version`` only grows; the store keeps the latest."""

    conversation_id: str
    started_at: datetime
    last_at: datetime
    turns: int = 0
    topic: str | None = None
    topic_confidence: float | None = None
    question: str | None = None
    question_kind: QuestionKind | None = None
    safety_level: int = 0
    safety_until: datetime | None = None
    safety_turns: int = 0
    crisis_replies: int = 0
    given: tuple[str, ...] = field(default_factory=tuple)

    @property
    def topic_family(self) -> str | None:
        return family(self.topic)

    def has_given(self, text: str) -> bool:
        return reply_id(text) in self.given

    def with_given(self, *texts: str) -> DialogueState:
        """The state after ``texts`` were sent (ids appended, oldest dropped past the cap)."""
        ids = [i for i in self.given]
        for t in texts:
            rid = reply_id(t)
            if rid in ids:
                ids.remove(rid)
            ids.append(rid)
        return replace(self, given=tuple(ids[-GIVEN_KEPT:]))

    def safety_active(self, now: datetime, max_turns: int) -> bool:
        """True while the follow-up turns after a crisis reply last (turns and time)."""
        return (self.safety_until is not None and now < self.safety_until
                and self.safety_turns < max_turns)


def new_state(now: datetime) -> DialogueState:
    """A fresh conversation starting ``now``."""
    return DialogueState(conversation_id=str(uuid.uuid4()), started_at=now, last_at=now)


def current(state: DialogueState | None, now: datetime, idle: timedelta) -> DialogueState:
    """The conversation a message at ``now`` belongs to: ``state`` unless it went idle."""
    if state is None or now - state.last_at > idle:
        return new_state(now)
    return state


def best_unused(options: tuple[str, ...] | list[str], state: DialogueState,
                start: int = 0) -> str:
    """The first option (from ``start``, wrapping) not yet given in this conversation; when
    every one was given, the one given longest ago. Deterministic, so tests can rely on it."""
    if not options:
        raise ValueError("no options to choose from")
    n = len(options)
    ordered = [options[(start + i) % n] for i in range(n)]
    for option in ordered:
        if not state.has_given(option):
            return option
    age = {rid: i for i, rid in enumerate(state.given)}
    return min(ordered, key=lambda o: age.get(reply_id(o), -1))
