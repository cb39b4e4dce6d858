"""A message that arrives while Buddy stops: the crisis check still runs on every platform.

Real parts throughout: the real python-telegram-bot client against the Bot API stand-in,
discord.py's own objects against the fake Discord API over HTTP, the web app under a real
uvicorn. The core is a real ``Buddy`` told to stop accepting, as ``buddy serve`` does on
SIGTERM. A crisis gets the crisis reply with every hotline; anything else a refusal that
still carries 109; a group message not meant for Buddy nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import discord_payloads as p
import httpx
import pytest
from fake_discord_api import FakeDiscordAPI
from telegram_stub import TOKEN, TelegramStub
from web_helpers import CRISIS, SLEEP, make_buddy, serve

from bot.discord_bot import BuddyDiscordBot
from bot.telegram_channel import build_application, start_telegram, stop_telegram
from bot.web.app import create_app
from core.config import Settings
from core.pipeline import Buddy
from core.safety import crisis_reply
from core.safety.hotlines import HOTLINES
from core.stopping import STOPPING, refusal
from core.storage.writer import LogWriter

GROUP = {"id": -100777, "type": "group", "title": "친구들"}
# A crisis the rules catch only with morphology (no classifier runs during shutdown).
CRISIS_LATE = "요즘 회사 일이 많아서 정신이 없어요. " * 40 + "그냥 다 끝내고 죽고 싶어"


def assert_crisis_reply(text: str) -> None:
    assert text == crisis_reply()
    for line in HOTLINES:
        assert line.number in text


@pytest.fixture
def stopped(writer: LogWriter) -> Buddy:
    buddy = make_buddy(writer)
    buddy.stop_accepting()
    return buddy


def test_refusal_texts() -> None:
    assert refusal(CRISIS).crisis and refusal(CRISIS_LATE).crisis
    assert refusal(CRISIS).text == crisis_reply()
    calm = refusal(SLEEP)
    assert not calm.crisis and calm.text == STOPPING and "109" in calm.text
    assert "109" in refusal("", english=True).text and not refusal(None).crisis


# --- Telegram -------------------------------------------------------------------------------
@pytest.fixture
async def telegram(stopped: Buddy) -> AsyncIterator[TelegramStub]:
    async with TelegramStub.running() as stub:
        settings = Settings(_env_file=None, telegram_token=TOKEN,  # type: ignore[call-arg]
                            telegram_base_url=stub.base_url)
        application = build_application(stopped, settings)
        await start_telegram(application, settings, poll_timeout=1)
        try:
            yield stub
        finally:
            await stop_telegram(application)


async def test_telegram_crisis_during_shutdown_gets_the_crisis_reply(
        telegram: TelegramStub) -> None:
    stub = telegram
    stub.text(501, CRISIS)
    stub.text(502, SLEEP)
    stub.photo(503, caption=CRISIS_LATE)
    stub.text(504, SLEEP, chat=GROUP)  # not addressed to Buddy: no answer
    stub.sticker(505)  # private, no text: told to come back
    for chat in (501, 502, 503, 505):
        await stub.wait_sent(chat)
    (crisis,) = stub.sent(501)
    assert_crisis_reply(crisis.params["text"])
    (late,) = stub.sent(503)
    assert_crisis_reply(late.params["text"])
    for chat in (502, 505):
        (calm,) = stub.sent(chat)
        assert calm.params["text"] == STOPPING and "109" in calm.params["text"]
    assert stub.sent(GROUP["id"]) == []
    # a /forget button pressed while stopping: told why nothing happens, nothing deleted
    (calm,) = stub.sent(502)
    stub.press(502, calm, "forget:yes:502")
    await stub.wait_for(lambda: bool(stub.sent(None, "answerCallbackQuery")))
    (answer,) = stub.sent(None, "answerCallbackQuery")
    assert answer.params["text"] == STOPPING and "109" in answer.params["text"]
    assert stub.sent(502, "editMessageText") == []


# --- Discord --------------------------------------------------------------------------------
@pytest.fixture
async def discord_bot(monkeypatch: pytest.MonkeyPatch, stopped: Buddy
                      ) -> AsyncIterator[tuple[BuddyDiscordBot, FakeDiscordAPI]]:
    api = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await api.start())
    bot = BuddyDiscordBot(stopped, channel_ids=frozenset({p.CHANNEL_COUNSEL}))
    await bot.login("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.token")
    bot._connection.parse_guild_create(p.guild_create())
    try:
        yield bot, api
    finally:
        await bot.close()
        await api.stop()


def message_from(bot: BuddyDiscordBot, payload: dict) -> discord.Message:
    state = bot._connection
    channel, _guild = state._get_guild_channel(payload)
    return discord.Message(state=state, channel=channel, data=payload)  # type: ignore[arg-type]


async def test_discord_crisis_during_shutdown_gets_the_crisis_reply(
        discord_bot: tuple[BuddyDiscordBot, FakeDiscordAPI]) -> None:
    bot, api = discord_bot
    await bot.on_message(message_from(bot, p.dm(CRISIS)))
    assert_crisis_reply(" ".join(api.messages_to(p.DM_CHANNEL)))
    await bot.on_message(message_from(bot, p.mention(SLEEP)))
    assert api.messages_to(p.CHANNEL_GENERAL) == [STOPPING]
    await bot.on_message(message_from(bot, p.guild_message(SLEEP)))  # not for Buddy
    assert len(api.messages_to(p.CHANNEL_GENERAL)) == 1


async def test_discord_slash_buddy_during_shutdown(
        discord_bot: tuple[BuddyDiscordBot, FakeDiscordAPI]) -> None:
    bot, api = discord_bot
    bot._connection.parse_interaction_create(
        p.slash_command("buddy", {"text": CRISIS}, in_guild=False))
    (callback,) = await api.wait_for(r"/interactions/\d+/[^/]+/callback")
    assert callback.body["type"] == 4  # answered at once, no "thinking" left hanging
    assert_crisis_reply(callback.body["data"]["content"])


# --- web ------------------------------------------------------------------------------------
async def test_web_crisis_during_shutdown_gets_the_crisis_reply(stopped: Buddy) -> None:
    app = create_app(stopped, Settings(_env_file=None))  # type: ignore[call-arg]
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/api/chat", json={"session": "s-1", "text": CRISIS_LATE})
        assert r.status_code == 200
        body = r.json()
        assert body["crisis"] is True and body["kind"] == "crisis"
        assert_crisis_reply(body["answer"])
        r = await http.post("/api/chat", json={"session": "s-1", "text": SLEEP})
        assert r.status_code == 503 and "109" in r.json()["error"]["message"]
