"""What a handoff changes about one message, for :meth:`core.pipeline.Buddy.handle`.

The pipeline keeps the order of its promise (crisis check first, never skipped); this gate
only answers three questions for it: is a person holding this conversation (then Buddy stays
quiet, except for a crisis reply), did the user ask for a person (then the queued or the
honest "no one now" reply), and who is watching live (then the lines are shown to them).

Safety decision, written down: while an operator holds a conversation, a message that the
crisis check flags still gets Buddy's crisis reply with the hotlines, at once. An operator
may be typing, away or slow; the numbers must not wait for a person. The operator sees the
message and the crisis reply live, and the usual alert is raised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.handoff import texts
from core.handoff.recognise import asks_for_person
from core.handoff.service import HandoffService, Seen
from core.handoff.states import HandoffState
from core.messages import Reply, ReplyKind

log = logging.getLogger(__name__)

#: the reply while a person holds the conversation: nothing for the adapter to send
HELD_REPLY = Reply("", ReplyKind.HELD)


@dataclass
class HandoffGate:
    """The handoff's view of one message (built by :func:`open_gate`)."""

    service: HandoffService | None  # None: handoff is off (no key, no database)
    seen: Seen
    user_key: str
    platform: str
    conversation_id: str
    now: datetime

    @property
    def held(self) -> bool:
        return self.seen.state is HandoffState.HELD

    async def asked(self, text: str) -> Reply | None:
        """The reply to a request for a person, or ``None`` when ``text`` is not one.

        Any failure answers honestly that no one is available, with the hotlines."""
        if not text or asks_for_person(text) is None:
            return None
        if self.service is None:
            return Reply(texts.UNAVAILABLE, ReplyKind.HANDOFF)
        try:
            said = await self.service.request(self.user_key, self.platform,
                                              self.conversation_id, self.now)
        except Exception:
            log.exception("handoff request failed; telling the user no one is available")
            said = texts.UNAVAILABLE
        return Reply(said, ReplyKind.HANDOFF)

    def show(self, user_text: str, reply: Reply, crisis: bool) -> None:
        """Publish the user's line (and Buddy's reply, if any) to operators watching."""
        if self.service is None:
            return
        conv = self.seen.conversation_id if self.held else self.conversation_id
        if not (self.held or self.service.feed.watched(conv)):
            return
        self.service.publish(conv, "user", user_text, self.now, crisis)
        if reply.text:
            self.service.publish(conv, "bot", reply.text, self.now, reply.crisis)


def off_gate(user_key: str, platform: str, conversation_id: str, now: datetime) -> HandoffGate:
    """Handoff is off: no one holds anything, and a request for a person is answered
    honestly (no one available, with the hotlines)."""
    return HandoffGate(None, Seen(HandoffState.NONE, conversation_id), user_key, platform,
                       conversation_id, now)


async def open_gate(
    service: HandoffService, user_key: str, platform: str, conversation_id: str,
    address: str | None, now: datetime,
) -> HandoffGate:
    """Remember the address and read the handoff state (raises when the database is away:
    the caller then answers as Buddy, which is the safe side)."""
    seen = await service.observe(user_key, platform, conversation_id, address, now)
    return HandoffGate(service, seen, user_key, platform, conversation_id, now)
