"""Discord as a :class:`~bot.channel.Channel`: start the gateway client, stop it, reach a user.

The bot itself (which messages it answers, its slash commands) is :mod:`bot.discord_bot`.
``send_text`` goes through discord.py's own HTTP client (``PartialMessageable.send``), so
rate limits (429, per-route buckets) are honoured exactly as for replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import discord

from bot.channel import ChannelStatus, DeliveryError, with_sender
from bot.discord_bot import DISCORD_LIMIT, PLATFORM, BuddyDiscordBot, create_discord_bot
from bot.splitting import split_message

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class DiscordChannel:
    """Discord, started when ``DISCORD_TOKEN`` is set; reaches a DM or server channel by id."""

    name = PLATFORM

    def __init__(self, client: BuddyDiscordBot | None = None) -> None:
        #: the gateway client; given here when it is already logged in (tests, scripts)
        self.client = client
        self._task: asyncio.Task[None] | None = None

    async def start(self, buddy: Buddy, settings: Settings) -> ChannelStatus:
        """Connect the client in a task; wait until it is ready or has failed."""
        if settings.discord_token is None:
            return ChannelStatus("Discord", False, "DISCORD_TOKEN not set")
        client = create_discord_bot(buddy, settings)
        task = asyncio.create_task(client.start(settings.discord_token.get_secret_value()),
                                   name="buddy-discord")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not task.done() and not client.is_ready() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if task.done():
            exc = task.exception()
            with contextlib.suppress(Exception):
                await client.close()
            return ChannelStatus("Discord", False, f"failed to start: "
                                 f"{_why(exc) if exc else 'stopped at once'}; check DISCORD_TOKEN")
        self.client, self._task = client, task
        return ChannelStatus("Discord", True, f"connected as {client.user}"
                             if client.is_ready() and client.user else "still connecting")

    async def stop(self) -> None:
        """Close the gateway and HTTP sessions; replies in flight were sent by then."""
        client, task = self.client, self._task
        self.client, self._task = None, None
        if client is not None:
            await client.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def send_text(self, address: str, text: str, sender: str | None = None) -> None:
        """Send to the channel ``address`` (a DM or server channel id), split at 2,000."""
        client = self.client
        if client is None or client.is_closed():
            raise DeliveryError("Discord is not running; start it with DISCORD_TOKEN set")
        try:
            channel = client.get_partial_messageable(int(address))
        except ValueError:
            raise DeliveryError("not a Discord channel address (expected a channel id)") from None
        for piece in split_message(with_sender(text, sender), DISCORD_LIMIT):  # blank text: nothing to send
            try:
                await channel.send(piece, allowed_mentions=discord.AllowedMentions.none())
            except (discord.HTTPException, discord.RateLimited) as exc:
                raise DeliveryError(f"Discord refused the message ({_why(exc)}); the user may "
                                    "have closed their DMs or left the server") from exc
