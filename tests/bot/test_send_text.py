"""``Channel.send_text``: reaching a user again on their own platform (the handoff path).

Each platform's real client against its local stand-in: python-telegram-bot against the
Bot API stand-in, discord.py's HTTP client against the fake Discord API, and the web chat
over real HTTP (the page itself is in ``test_web_browser.py``). The address is the one the
adapter put into ``IncomingMessage.address`` when the user wrote.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import discord
import discord_payloads as p
import httpx
import pytest
from fake_discord_api import FakeDiscordAPI
from telegram_stub import TOKEN, TelegramStub
from web_helpers import SLEEP, make_buddy, serve

from bot.channel import Channel, DeliveryError
from bot.discord_bot import BuddyDiscordBot
from bot.discord_channel import DiscordChannel
from bot.telegram_channel import TelegramChannel
from bot.web.app import create_app
from bot.web.channel import WebChannel
from core.config import Settings
from core.messages import IncomingMessage
from core.pipeline import Buddy

COUNSELLOR = "상담 선생님"
HELLO = "안녕하세요, 상담 선생님이에요. 지금 이야기 나눌 수 있을까요?"
LONG = "\n\n".join(f"{n}번째 문단이에요. " + "천천히 이야기해 봐요. " * 60 for n in range(1, 8))


class Recording(Buddy):
    """The core, remembering the address each adapter handed it (as the handoff will)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.addresses: list[str | None] = []

    async def handle(self, message: IncomingMessage, *, log_turn: bool = True):  # noqa: ANN201
        self.addresses.append(message.address)
        return await super().handle(message, log_turn=log_turn)


def recording_buddy() -> Recording:
    return make_buddy(None, Recording)  # type: ignore[return-value]


def test_every_platform_is_a_channel() -> None:
    settings = Settings(_env_file=None)
    for channel in (TelegramChannel(settings), DiscordChannel(), WebChannel()):
        assert isinstance(channel, Channel)


# --- Telegram ---------------------------------------------------------------------------------
@pytest.fixture
async def telegram() -> AsyncIterator[tuple[TelegramStub, TelegramChannel, Recording]]:
    async with TelegramStub.running() as stub:
        settings = Settings(_env_file=None, telegram_token=TOKEN,
                            telegram_base_url=stub.base_url)  # type: ignore[arg-type]
        buddy = recording_buddy()
        channel = TelegramChannel(settings, poll_timeout=1)
        status = await channel.start(buddy, settings)
        assert status.running, status.line()
        yield stub, channel, buddy
        await channel.stop()


async def test_telegram_message_reaches_the_chat_the_user_wrote_from(telegram) -> None:  # noqa: ANN001
    stub, channel, buddy = telegram
    stub.text(501, SLEEP)
    await stub.wait_sent(501)
    assert buddy.addresses == ["501"]
    await channel.send_text(buddy.addresses[0], HELLO, sender=COUNSELLOR)
    await stub.wait_sent(501, count=2)
    pushed = stub.sent(501)[-1].params["text"]
    assert HELLO in pushed and COUNSELLOR in pushed


async def test_telegram_long_message_arrives_in_pieces_in_order(telegram) -> None:  # noqa: ANN001
    stub, channel, _ = telegram
    long = LONG * 3
    await channel.send_text("502", long)
    pieces = [c.params["text"] for c in stub.sent(502)]
    assert len(pieces) >= 2 and all(len(piece) <= 4096 for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(long.split())


async def test_telegram_refusal_is_a_delivery_error(telegram) -> None:  # noqa: ANN001
    stub, channel, _ = telegram
    stub.fail_next("sendMessage", retry_after=3600)  # Telegram: not for an hour
    with pytest.raises(DeliveryError, match="Telegram refused"):
        await channel.send_text("503", HELLO)
    with pytest.raises(DeliveryError, match="chat id"):
        await channel.send_text("not-a-chat", HELLO)


async def test_telegram_not_started_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="TELEGRAM_TOKEN"):
        await TelegramChannel(Settings(_env_file=None)).send_text("1", HELLO)


# --- Discord ----------------------------------------------------------------------------------
@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.stop()


@pytest.fixture
async def discord_bot(discord_api: FakeDiscordAPI) -> AsyncIterator[BuddyDiscordBot]:
    bot = BuddyDiscordBot(recording_buddy(), channel_ids=frozenset({p.CHANNEL_COUNSEL}))
    await bot.login("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.token")
    bot._connection.parse_guild_create(p.guild_create())
    yield bot
    await bot.close()


async def test_discord_message_reaches_the_dm_the_user_wrote_from(
    discord_api: FakeDiscordAPI, discord_bot: BuddyDiscordBot,
) -> None:
    discord_bot._connection.parse_message_create(p.dm(SLEEP))
    await discord_api.wait_for(f"/channels/{p.DM_CHANNEL}/messages")
    address = discord_bot.buddy.addresses[0]  # type: ignore[attr-defined]
    assert address == str(p.DM_CHANNEL)
    await DiscordChannel(discord_bot).send_text(address, HELLO, sender=COUNSELLOR)
    pushed = discord_api.messages_to(p.DM_CHANNEL)[-1]
    assert HELLO in pushed and COUNSELLOR in pushed


async def test_discord_long_message_is_split_at_2000(
    discord_api: FakeDiscordAPI, discord_bot: BuddyDiscordBot,
) -> None:
    await DiscordChannel(discord_bot).send_text(str(p.CHANNEL_COUNSEL), LONG)
    pieces = discord_api.messages_to(p.CHANNEL_COUNSEL)
    assert len(pieces) >= 2 and all(len(piece) <= 2000 for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(LONG.split())


async def test_discord_refusal_is_a_delivery_error(
    discord_api: FakeDiscordAPI, discord_bot: BuddyDiscordBot,
) -> None:
    discord_api.fail[rf"/channels/{p.CHANNEL_GENERAL}/messages"] = 403
    with pytest.raises(DeliveryError, match="Discord refused"):
        await DiscordChannel(discord_bot).send_text(str(p.CHANNEL_GENERAL), HELLO)
    with pytest.raises(DeliveryError, match="not running"):
        await DiscordChannel().send_text(str(p.CHANNEL_GENERAL), HELLO)


# --- web --------------------------------------------------------------------------------------
async def _first_event(client: httpx.AsyncClient, session: str,
                       opened: asyncio.Event) -> dict[str, str]:
    async with client.stream("GET", "/api/events", params={"session": session}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        opened.set()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])
    raise AssertionError("the stream ended without a message")


async def test_web_message_is_pushed_to_the_open_page_of_that_session() -> None:
    buddy = recording_buddy()
    app = create_app(buddy, Settings(_env_file=None))
    channel = WebChannel.around(app)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        r = await client.post("/api/chat", json={"session": "web-session-1", "text": SLEEP})
        assert r.status_code == 200 and buddy.addresses == ["web-session-1"]
        opened = asyncio.Event()
        listener = asyncio.create_task(_first_event(client, "web-session-1", opened))
        await asyncio.wait_for(opened.wait(), 10)
        await channel.send_text("web-session-1", HELLO, sender=COUNSELLOR)
        assert await asyncio.wait_for(listener, 10) == {"text": HELLO, "sender": COUNSELLOR}
        channel.outbox.close()  # ends the stream, as shutdown does


async def test_web_message_waits_for_a_page_that_opens_later() -> None:
    app = create_app(make_buddy(None), Settings(_env_file=None))
    channel = WebChannel.around(app)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await client.post("/api/chat", json={"session": "web-session-2", "text": SLEEP})
        await channel.send_text("web-session-2", HELLO)
        event = await asyncio.wait_for(_first_event(client, "web-session-2", asyncio.Event()), 10)
        assert event == {"text": HELLO}
        channel.outbox.close()


async def test_web_unknown_session_is_a_delivery_error() -> None:
    channel = WebChannel()
    with pytest.raises(DeliveryError, match="no open web chat"):
        await channel.send_text("never-seen", HELLO)
