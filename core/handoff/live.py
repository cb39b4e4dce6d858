"""A small in-process pub/sub: the operator's view awaits a held conversation's messages.

Why in-process and lossy: the operator's page is served by the same ``buddy serve`` that
handles the user's message, and a slow page must never hold a reply back, so publishing
never waits — a subscriber whose queue is full loses its oldest event (the transcript in
the database is the record; this is only the live view).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class LiveEvent:
    """One line of a conversation as it happens."""

    conversation_id: str
    role: str  # "user" | "bot" | "operator" | "notice"; "end" when the feed closed
    text: str
    at: datetime
    crisis: bool = False
    #: ``time.perf_counter()`` when the event was published (for the latency bench)
    published: float = field(default_factory=time.perf_counter)


def _end(conversation_id: str) -> LiveEvent:
    return LiveEvent(conversation_id, "end", "", datetime.now(timezone.utc))


class Subscription:
    """One operator view's queue; use ``async with feed.subscribe(conv) as sub``."""

    def __init__(self, feed: LiveFeed, conversation_id: str, maxsize: int) -> None:
        self._feed = feed
        self.conversation_id = conversation_id
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize)

    def put(self, event: LiveEvent) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest: the page reloads the transcript anyway
        self.queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> LiveEvent | None:
        """The next event, or ``None`` after ``timeout`` seconds (a keep-alive for the page)."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._feed.unsubscribe(self)


class LiveFeed:
    """Subscriptions per conversation id."""

    def __init__(self, maxsize: int = 200) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._maxsize = maxsize
        self.closed = False

    def subscribe(self, conversation_id: str) -> Subscription:
        sub = Subscription(self, conversation_id, self._maxsize)
        self._subs[conversation_id].add(sub)
        if self.closed:
            sub.put(_end(conversation_id))
        return sub

    def close(self) -> None:
        """Shutdown: every subscriber's next event is an ``end`` event (the operator's page
        then stops its stream instead of holding the server open)."""
        self.closed = True
        for conversation_id, subs in self._subs.items():
            for sub in subs:
                sub.put(_end(conversation_id))

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.conversation_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.conversation_id]

    def watched(self, conversation_id: str) -> bool:
        return conversation_id in self._subs

    def publish(self, event: LiveEvent) -> int:
        """Hand ``event`` to every subscriber of its conversation; returns how many."""
        subs = self._subs.get(event.conversation_id, ())
        for sub in subs:
            sub.put(event)
        return len(subs)
