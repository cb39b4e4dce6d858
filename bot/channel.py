"""The one shape every platform adapter has: a :class:`Channel`.

Telegram, Discord and the web chat each implement this protocol; ``buddy serve`` starts,
stops and reaches them through it alone, so adding a platform means writing one class.

``send_text`` is how anything other than a reply reaches a user on their own platform
(an operator's message during a handoff, a hand-back notice). ``address`` is the opaque
string the adapter put in :attr:`core.messages.IncomingMessage.address` when the user last
wrote (a Telegram chat id, a Discord channel id, a web chat session): the core keeps it
encrypted and hands it back unchanged; only the adapter knows what it means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy


@dataclass(frozen=True)
class ChannelStatus:
    """One line of ``buddy serve``'s start-up summary."""

    name: str
    running: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'on' if self.running else 'off'} ({self.detail})"


class DeliveryError(Exception):
    """``send_text`` could not reach the user; the message says why (blocked bot, gone chat)."""


@runtime_checkable
class Channel(Protocol):
    """A platform Buddy talks on."""

    #: the platform name used in :class:`core.messages.IncomingMessage` ("telegram", ...)
    name: str

    async def start(self, buddy: Buddy, settings: Settings) -> ChannelStatus:
        """Start taking messages; never raises: a failure is a status with the reason."""
        ...

    async def stop(self) -> None:
        """Stop taking messages and let replies in flight be sent."""
        ...

    async def send_text(self, address: str, text: str) -> None:
        """Send ``text`` to the user at ``address``, split as the platform needs.

        Raises :class:`DeliveryError` when the platform refuses.
        """
        ...
