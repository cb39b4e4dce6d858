"""The values that cross the boundary between adapters and the core.

Adapters turn a platform event into an :class:`IncomingMessage`, call
``Buddy.handle`` and turn the returned :class:`Reply` into platform messages. The core
never sees a platform type, and adapters never see the core's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ReplyKind(str, Enum):
    """Why the core answered the way it did; adapters may style replies by kind."""

    ANSWER = "answer"  # a category answer
    FALLBACK = "fallback"  # low confidence: a reflective invitation to say more
    CRISIS = "crisis"  # the crisis reply with hotlines
    SAFETY_FOLLOWUP = "safety_followup"  # a gentle turn after a crisis reply
    GREETING = "greeting"
    FAREWELL = "farewell"  # ends the conversation
    EMPTY = "empty"  # nothing to read (empty, emoji only, a sticker...)
    UNSUPPORTED = "unsupported"  # a photo, voice, file: text only, kindly said
    FOLLOW_UP = "follow_up"  # continues the conversation's topic after a short answer
    ABOUT_BUDDY = "about_buddy"  # an honest answer to a question about Buddy itself
    HANDOFF = "handoff"  # the answer to asking for a person: queued, or no one available now
    HELD = "held"  # a person holds the conversation: empty text, adapters send nothing


@dataclass(frozen=True)
class IncomingMessage:
    """A user's message as any platform delivers it.

    ``user_id`` is the platform's raw id: the core turns it into a pseudonymous key at
    once and never stores or logs it.
    """

    platform: str
    user_id: str
    text: str
    message_id: str | None = None
    kind: str = "text"  # "text", or what a non-text update was ("sticker", "photo", ...)
    #: where the platform can reach this user again (chat / channel / web session), opaque
    #: to the core: only kept, encrypted, while a person may need to write (handoff), and
    #: handed back to the adapter's ``Channel.send_text``. ``None`` where not reachable.
    address: str | None = None


@dataclass(frozen=True)
class Reply:
    """The core's answer to one message."""

    text: str
    kind: ReplyKind
    category: str | None = None
    confidence: float | None = None
    crisis: bool = False
    signals: tuple[str, ...] = ()
    top_k: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    user_ref: str = ""  # the pseudonymous reference, safe to show operators
    conversation_id: str | None = None
    risk_level: str = "none"  # the safety check's level (core.safety.levels), e.g. "plan"

    @property
    def ends_conversation(self) -> bool:
        return self.kind is ReplyKind.FAREWELL
