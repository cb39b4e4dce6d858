"""Messages for an open chat page that it did not ask for: a bounded outbox per session.

A reply to ``POST /api/chat`` travels in its HTTP answer. Anything else for a web user
(a counsellor writing during a handoff, a hand-back notice) is put here by
:meth:`bot.web.channel.WebChannel.send_text` and pushed to the page over Server-Sent
Events (``GET /api/events?session=...``), which ``chat.js`` keeps open, so it appears
without a reload. A page that is closed gets its messages when it opens again.

Bounds, because this is memory: at most :data:`MAX_SESSIONS` sessions are known (the
least recently seen is forgotten first) and at most :data:`MAX_WAITING` messages wait per
session (the oldest is dropped, and logged, beyond that). A session is known once its page
opened the event stream or sent a message; an unknown one is a
:class:`~bot.channel.DeliveryError`, never a message kept for nobody. Session ids live
only here, in memory, and are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.channel import DeliveryError

log = logging.getLogger(__name__)

MAX_SESSIONS = 10_000
MAX_WAITING = 50
KEEPALIVE_S = 15.0  # a comment line this often, so proxies keep the stream open


@dataclass
class _Mailbox:
    waiting: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=MAX_WAITING))
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Outbox:
    """Per-session queues of pushed messages, and the event stream that drains them."""

    def __init__(self) -> None:
        self._boxes: OrderedDict[str, _Mailbox] = OrderedDict()
        self._closed = asyncio.Event()

    def know(self, session: str) -> _Mailbox:
        """Mark ``session`` as reachable (its page wrote or listens); returns its mailbox."""
        box = self._boxes.get(session)
        if box is None:
            box = self._boxes[session] = _Mailbox()
            if len(self._boxes) > MAX_SESSIONS:
                self._boxes.popitem(last=False)
        else:
            self._boxes.move_to_end(session)
        return box

    def put(self, session: str, text: str, sender: str | None = None) -> None:
        """Queue ``text`` for ``session``'s page; :class:`DeliveryError` if none is known."""
        box = self._boxes.get(session)
        if box is None:
            raise DeliveryError("no open web chat has this session; the person may have "
                                "closed the page or cleared the browser's storage")
        if len(box.waiting) == box.waiting.maxlen:
            log.warning("web outbox full; the oldest waiting message was dropped")
        item = {"text": text}
        if sender:
            item["sender"] = sender
        box.waiting.append(item)
        box.changed.set()

    def close(self) -> None:
        """End every open stream (shutdown): the pages reconnect to the next process."""
        self._closed.set()

    async def follow(self, session: str) -> AsyncIterator[str]:
        """Server-Sent Events for ``session``: each waiting message once, then new ones."""
        box = self.know(session)
        yield "retry: 3000\n\n"
        while not self._closed.is_set():
            while box.waiting:
                yield f"data: {json.dumps(box.waiting.popleft(), ensure_ascii=False)}\n\n"
            box.changed.clear()
            waiter = asyncio.ensure_future(box.changed.wait())
            closer = asyncio.ensure_future(self._closed.wait())
            done, pending = await asyncio.wait({waiter, closer}, timeout=KEEPALIVE_S,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if not done:
                yield ": keep-alive\n\n"
