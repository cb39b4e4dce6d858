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
    from collections.abc import Sequence

    from starlette.routing import BaseRoute

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

    async def send_text(self, address: str, text: str, sender: str | None = None) -> None:
        """Send ``text`` to the user at ``address``, split as the platform needs.

        ``sender`` names a person writing (e.g. "상담 선생님" during a handoff) so the user
        sees the message is not Buddy's; None for Buddy's own notices. Blank text sends
        nothing. Raises :class:`DeliveryError` when the platform refuses or the address is
        unknown.
        """
        ...


@runtime_checkable
class ContributesRoutes(Protocol):
    """A channel that needs HTTP routes on the shared web server (Telegram's webhook)."""

    def routes(self) -> list[BaseRoute]: ...


@runtime_checkable
class HostsRoutes(Protocol):
    """The channel that runs the web server; takes the others' routes before it starts."""

    def mount(self, routes: Sequence[BaseRoute]) -> None: ...


@runtime_checkable
class Describes(Protocol):
    """A channel with more to say in the start-up summary than its status line."""

    def notes(self, settings: Settings) -> list[str]: ...


@runtime_checkable
class Supervised(Protocol):
    """A channel whose unexpected end should stop ``buddy serve`` (the web server)."""

    async def closed(self) -> None: ...


def with_sender(text: str, sender: str | None) -> str:
    """The text as a platform without message styling shows a person's message."""
    return f"[{sender}]\n{text}" if sender and text.strip() else text
