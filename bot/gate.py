"""What every channel does alike before and after the core answers: one gate, shared.

Telegram, Discord and the web chat each turn a platform event into an
:class:`~core.messages.IncomingMessage` and then pass it through the same :class:`Gate`:

- **Ordering per chat.** Many chats are answered at once, but one chat's messages one at
  a time and in the order they arrived (:meth:`Gate.in_order`): a person who sends two
  messages quickly gets the two replies in order, and /forget never overtakes a message.
  ``asyncio.Lock`` wakes its waiters first come, first served, which is the order the
  platforms' dispatchers started the handlers in.
- **De-duplication.** Platforms redeliver (Telegram after a slow webhook answer, Discord
  after a gateway resume); :meth:`Gate.first_time` remembers the last
  :data:`SEEN_MESSAGES` platform message ids, so a redelivered message is answered once.
- **Shutdown.** Once the core stops accepting, :meth:`Gate.answer` does not call the
  model: it runs the crisis check on the text (:func:`core.stopping.refusal`) and returns
  the crisis reply for a crisis, the "back in a minute" text otherwise. A person in
  crisis is never left with silence or a lost reply.
- **Typing** while the core works (:meth:`Gate.answer` takes the platform's indicator)
  and **splitting** at the platform's limit (:func:`Gate.pieces`); **silence** while a
  person holds the conversation (:func:`Gate.to_send` gives nothing for ``held``).

The flood notice (too many messages a minute) is decided by the core itself
(``core.ratelimit``), once for every platform, so the gate does not repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from bot.splitting import split_message
from core import replies
from core.messages import IncomingMessage, Reply, ReplyKind
from core.stopping import refusal

if TYPE_CHECKING:
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

SEEN_MESSAGES = 10_000  # per gate; ids older than this are assumed never redelivered

Typing = Callable[[], AbstractAsyncContextManager[object]]


@contextlib.asynccontextmanager
async def _no_typing() -> AsyncIterator[None]:
    yield


class Gate:
    """The shared path of one channel's messages to the core and back."""

    def __init__(self, buddy: Buddy, platform: str) -> None:
        self.buddy = buddy
        self.platform = platform
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    @property
    def accepting(self) -> bool:
        """False once shutdown began: messages then get :meth:`refuse`'s answer."""
        return self.buddy.accepting

    @contextlib.asynccontextmanager
    async def in_order(self, chat: str) -> AsyncIterator[None]:
        """Hold ``chat``'s turn: its messages one at a time, first come first served.

        Locks of idle chats are dropped at once, so memory grows with busy chats only.
        """
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                del self._waiting[chat]
                del self._locks[chat]

    def first_time(self, message_id: str | None) -> bool:
        """True the first time a platform message id is seen; False for a redelivery."""
        if message_id is None:
            return True
        if message_id in self._seen:
            log.info("%s message delivered twice; ignored", self.platform)
            return False
        self._seen[message_id] = None
        if len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return True

    def refuse(self, text: str | None) -> Reply:
        """The answer during shutdown: the crisis reply for a crisis, else "come back"."""
        refused = refusal(text)
        log.info("%s message while shutting down; refused (crisis=%s)", self.platform,
                 refused.crisis)
        return Reply(text=refused.text,
                     kind=ReplyKind.CRISIS if refused.crisis else ReplyKind.FALLBACK,
                     crisis=refused.crisis, risk_level=refused.risk_level)

    async def answer(self, message: IncomingMessage, typing: Typing = _no_typing) -> Reply:
        """The core's reply (typing shown meanwhile), or the shutdown refusal."""
        if not self.accepting:
            return self.refuse(message.text)
        async with typing():
            return await self.buddy.handle(message)

    @staticmethod
    def pieces(text: str, limit: int) -> list[str]:
        """``text`` in pieces the platform accepts; never nothing (an empty reply is said)."""
        return split_message(text, limit) or [replies.EMPTY]

    @staticmethod
    def to_send(reply: Reply, limit: int) -> list[str]:
        """What to send for ``reply``: nothing while a person holds the conversation
        (:attr:`ReplyKind.HELD`: the person answers, Buddy stays quiet), else its pieces."""
        return [] if reply.kind is ReplyKind.HELD else Gate.pieces(reply.text, limit)
