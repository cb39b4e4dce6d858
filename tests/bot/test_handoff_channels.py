"""A person steps into the user's own chat: every platform's real client, the real handoff.

For Telegram (python-telegram-bot against the Bot API stand-in), Discord (discord.py's HTTP
client against the fake Discord API) and the web chat (real HTTP): the operator takes the
conversation, the user is told, Buddy stays quiet while the person holds it (the adapter
sends nothing for ``held``), the operator's message arrives marked as a person's, the
user's reply reaches the operator's live view, and after the hand-back Buddy answers again.
The delivery is :class:`bot.delivery.ChannelDelivery`, as ``buddy serve`` builds it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import discord_payloads as p
import httpx
import pytest
from fake_discord_api import FakeDiscordAPI
from handoff_helpers import HandoffSite, handoff_site
from telegram_stub import TOKEN, TelegramStub
from web_helpers import SLEEP, SLEEP_ANSWER, serve

from bot.discord_bot import BuddyDiscordBot
from bot.discord_channel import DiscordChannel
from bot.telegram_channel import TelegramChannel
from bot.web.app import create_app
from bot.web.channel import WebChannel
from core.config import Settings
from core.handoff import texts
from core.handoff.states import HandoffError
from core.messages import IncomingMessage

HELLO = "안녕하세요, 상담 선생님이에요. 천천히 이야기해 주세요."
THANKS = "네 고마워요 조금 나아졌어요"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[HandoffSite]:
    async with handoff_site(tmp_path) as s:
        yield s


async def _held_turn_reaches_the_operator(site: HandoffSite, conv: str, write) -> None:  # noqa: ANN001
    """The user writes while held: the operator's live view has it (Buddy says nothing)."""
    async with site.service.feed.subscribe(conv) as view:
        write()
        event = await view.next(10)
    assert event is not None and (event.role, event.text) == ("user", THANKS)


# --- Telegram ---------------------------------------------------------------------------------
async def test_telegram_handoff_take_talk_hand_back(site: HandoffSite) -> None:
    async with TelegramStub.running() as stub:
        settings = Settings(_env_file=None, telegram_token=TOKEN,
                            telegram_base_url=stub.base_url)  # type: ignore[arg-type]
        channel = TelegramChannel(settings, poll_timeout=1)
        assert (await channel.start(site.buddy, settings)).running
        site.delivery.add(channel)
        try:
            stub.text(601, SLEEP)
            await stub.wait_sent(601)
            conv = await site.only_conversation()

            await site.service.take("kim", conv)
            await _held_turn_reaches_the_operator(site, conv, lambda: stub.text(601, THANKS))
            await site.service.send("kim", conv, HELLO)
            await site.service.hand_back("kim", conv)
            stub.text(601, SLEEP)
            await stub.wait_sent(601, count=5)
            sent = [c.params["text"] for c in stub.sent(601)]
        finally:
            await channel.stop()
    assert sent == [SLEEP_ANSWER, texts.JOINED, f"[{texts.OPERATOR_SENDER}]\n{HELLO}",
                    texts.RETURNED, SLEEP_ANSWER]  # nothing from Buddy while held


# --- Discord ----------------------------------------------------------------------------------
@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.stop()


async def test_discord_handoff_take_talk_hand_back(site: HandoffSite,
                                                   discord_api: FakeDiscordAPI) -> None:
    bot = BuddyDiscordBot(site.buddy, channel_ids=frozenset({p.CHANNEL_COUNSEL}))
    await bot.login("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.token")
    bot._connection.parse_guild_create(p.guild_create())
    site.delivery.add(DiscordChannel(bot))
    dm = rf"/channels/{p.DM_CHANNEL}/messages"
    try:
        bot._connection.parse_message_create(p.dm(SLEEP))
        await discord_api.wait_for(dm)
        conv = await site.only_conversation()

        await site.service.take("kim", conv)
        await _held_turn_reaches_the_operator(
            site, conv, lambda: bot._connection.parse_message_create(p.dm(THANKS)))
        # /buddy while held: "Buddy is thinking…" is removed, nothing is said
        bot._connection.parse_interaction_create(
            p.slash_command("buddy", {"text": THANKS}, in_guild=False))
        await discord_api.wait_for(rf"/webhooks/{p.APP_ID}/[^/]+/messages/@original",
                                   method="DELETE")
        await site.service.send("kim", conv, HELLO)
        await site.service.hand_back("kim", conv)
        bot._connection.parse_message_create(p.dm(SLEEP))
        await discord_api.wait_for(dm, count=5)
    finally:
        await bot.close()
    assert discord_api.messages_to(p.DM_CHANNEL) == [
        SLEEP_ANSWER, texts.JOINED, f"[{texts.OPERATOR_SENDER}]\n{HELLO}", texts.RETURNED,
        SLEEP_ANSWER]
    assert not discord_api.sent(rf"/webhooks/{p.APP_ID}/[^/]+")  # no follow-up while held


# --- web --------------------------------------------------------------------------------------
async def _pushed(client: httpx.AsyncClient, session: str, count: int,
                  opened: asyncio.Event) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    async with client.stream("GET", "/api/events", params={"session": session}) as response:
        opened.set()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
                if len(events) == count:
                    return events
    raise AssertionError(f"the stream ended after {events}")


async def test_web_handoff_held_answer_is_empty_and_pushes_reach_the_page(
        site: HandoffSite) -> None:
    app = create_app(site.buddy, Settings(_env_file=None))
    site.delivery.add(WebChannel.around(app))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        opened = asyncio.Event()
        listener = asyncio.create_task(_pushed(client, "web-held-1", 3, opened))
        await asyncio.wait_for(opened.wait(), 10)
        first = await client.post("/api/chat", json={"session": "web-held-1", "text": SLEEP})
        assert first.json()["answer"] == SLEEP_ANSWER
        conv = await site.only_conversation()

        await site.service.take("kim", conv)
        held = (await client.post("/api/chat", json={"session": "web-held-1",
                                                     "text": THANKS})).json()
        assert (held["answer"], held["kind"], held["crisis"]) == ("", "held", False)
        await site.service.send("kim", conv, HELLO)
        await site.service.hand_back("kim", conv)
        assert await asyncio.wait_for(listener, 10) == [
            {"text": texts.JOINED}, {"text": HELLO, "sender": texts.OPERATOR_SENDER},
            {"text": texts.RETURNED}]
        again = await client.post("/api/chat", json={"session": "web-held-1", "text": SLEEP})
        assert again.json()["answer"] == SLEEP_ANSWER
        app.state.outbox.close()


async def test_a_platform_not_running_is_told_to_the_operator(site: HandoffSite) -> None:
    """The user wrote on Telegram, but this process runs no Telegram channel (the token
    was removed): the take fails saying so, and the conversation is not left held."""
    await site.buddy.handle(_telegram(SLEEP))
    conv = await site.only_conversation()
    with pytest.raises(HandoffError, match="텔레그램 Telegram 채널이 지금 켜져 있지 않습니다"):
        await site.service.take("kim", conv)
    assert site.rows("SELECT state, operator FROM handoffs") == [("returned", None)]
    assert (await site.buddy.handle(_telegram(SLEEP))).text == SLEEP_ANSWER


def _telegram(text: str) -> IncomingMessage:
    return IncomingMessage("telegram", "7001", text, address="7001")
