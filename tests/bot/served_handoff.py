"""``buddy serve`` in this process over the platforms' local stand-ins, and the operator's
desk driven in Chromium: shared by ``test_handoff_e2e_platforms.py`` and
``scripts/make_handoff_transcript.py``.

:func:`served` runs :func:`bot.serve.run` itself (settings, ``open_buddy`` with the handoff
on, ``ChannelDelivery`` over the channels that started, the start-up summary, SIGTERM and
the graceful stop) with three channels: the web server, the real Telegram channel long
polling the Bot API stand-in (:mod:`bench.telegram_stub`), and Discord's channel with its
real HTTP client pointed at :class:`fake_discord_api.FakeDiscordAPI`. Discord has no
gateway stand-in, so its channel logs in over HTTP only and a user's DM is dispatched from
a real gateway payload (:func:`discord_payloads.dm`); everything Buddy sends goes through
discord.py's HTTP client as in production.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import discord
import discord_payloads as p
from fake_discord_api import FakeDiscordAPI
from telegram_stub import TOKEN, TelegramStub

from bot import serve
from bot.channel import ChannelStatus
from bot.discord_bot import create_discord_bot
from bot.discord_channel import DiscordChannel
from bot.telegram_channel import TelegramChannel
from bot.web.channel import WebChannel
from core.config import Settings
from core.dataset.records import Dataset
from core.handoff.crypto import new_key
from training.linear import train_linear

HELLO = "안녕하세요, 상담 선생님 김이에요. 지금 많이 힘드셨죠. 천천히 이야기해 주세요."  # the operator
REPLY = "네 고마워요 조금 나아졌어요"  # the user, while held
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
OPERATOR_TOKENS = {"kim": "kim-operator-token-4b8d2f6a1c", "lee": "lee-operator-token-9e3a7c5b0d"}
DISCORD_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.token"
CRISIS = "요즘 너무 힘들어서 죽고 싶어요"
SLEEP = "밤새 잠을 못 잤어요"
ASK_PERSON = "상담사 연결해 주세요"
WAIT_MS = 20_000
START_GUARD_S = 120.0  # only against a hang: loading the morpheme analyser takes a while
STOP_PROMISE_S = 10.0  # buddy serve's shutdown promise


def train_tiny_model(folder: Path) -> Path:
    """A two-category linear model folder, trained in well under a second."""
    pairs = [(t, "증상/불면") for t in ("잠이 안 와요", SLEEP, "불면증이 심해요")]
    pairs += [(t, "감정/외로움") for t in ("너무 외로워요", "혼자인 것 같아요", "친구가 없어요")]
    train_linear(Dataset.from_pairs(pairs), folder)
    return folder


class StandInDiscordChannel(DiscordChannel):
    """Discord's channel as ``buddy serve`` builds it, logged in over HTTP only (no gateway
    stand-in exists); :meth:`user_writes` dispatches a user's DM as the gateway would."""

    async def start(self, buddy, settings: Settings) -> ChannelStatus:  # noqa: ANN001
        client = create_discord_bot(buddy, settings)
        assert settings.discord_token is not None
        await client.login(settings.discord_token.get_secret_value())
        client._connection.parse_guild_create(p.guild_create())
        self.client = client
        return ChannelStatus("Discord", True, f"logged in as {client.user}; HTTP only, no gateway")

    def user_writes(self, text: str) -> None:
        """The user sends ``text`` in their DM with Buddy (a MESSAGE_CREATE event)."""
        assert self.client is not None
        self.client._connection.parse_message_create(p.dm(text))


@dataclass
class Served:
    """A running ``buddy serve`` and the stand-ins its channels talk to."""

    url: str  # the web server, ending in "/"
    lines: list[str]  # what it printed
    telegram: TelegramStub
    discord_api: FakeDiscordAPI
    discord: StandInDiscordChannel
    db: Path


@asynccontextmanager
async def served(folder: Path) -> AsyncIterator[Served]:
    """``buddy serve`` with web, Telegram and Discord and the handoff on; SIGTERM at exit."""
    model = await asyncio.to_thread(train_tiny_model, folder / "model")
    discord_api = FakeDiscordAPI()
    base, discord.http.Route.BASE = discord.http.Route.BASE, await discord_api.start()
    try:
        async with TelegramStub.running() as stub:
            settings = Settings(
                _env_file=None, BUDDY_VAR_DIR=folder / "var", buddy_model=model, web_port=0,
                telegram_token=TOKEN, telegram_base_url=stub.base_url,
                discord_token=DISCORD_TOKEN, handoff_key=new_key(),
                operators=",".join(f"{n}:{t}" for n, t in OPERATOR_TOKENS.items()),
            )  # type: ignore[call-arg]
            stand_in = StandInDiscordChannel()
            channels = [WebChannel(), TelegramChannel(settings, poll_timeout=1), stand_in]
            lines: list[str] = []
            task = asyncio.create_task(serve.run(settings, out=lines.append, channels=channels))
            try:
                await _started(task, lines)
                url = next(m.group(1) for line in lines
                           if (m := re.match(r"Web chat: on \((http://\S+/)\)", line)))
                yield Served(url, lines, stub, discord_api, stand_in,
                             folder / "var" / "buddy.db")
            finally:
                if not task.done():  # serve's own handler takes it: the real shutdown path
                    os.kill(os.getpid(), signal.SIGTERM)
                await asyncio.wait_for(task, STOP_PROMISE_S)
    finally:
        discord.http.Route.BASE = base
        await discord_api.stop()


async def _started(task: asyncio.Task[None], lines: list[str]) -> None:
    async def printed() -> None:
        while "Press Ctrl-C to stop." not in lines:
            if task.done():
                task.result()  # raises what stopped the start
                raise AssertionError(f"buddy serve ended during start-up: {lines}")
            await asyncio.sleep(0.05)

    await asyncio.wait_for(printed(), START_GUARD_S)


class Desk:
    """One operator in their own Chromium context, at the handoff desk in ``/admin``."""

    def __init__(self, page, expect) -> None:  # noqa: ANN001
        self.page = page
        self.expect = expect

    @classmethod
    async def sign_in(cls, browser, base: str, name: str, expect) -> Desk:  # noqa: ANN001
        context = await browser.new_context(locale="ko-KR", base_url=base,
                                            viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto("/admin/login")
        await page.get_by_label("operator token").fill(OPERATOR_TOKENS[name])
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url("**/admin/conversations")
        return cls(page, expect)

    async def crisis_queue(self) -> None:
        await self.page.get_by_role("link", name="Crisis queue").first.click()
        await self.page.wait_for_url("**/admin/crisis")

    async def open_from_crisis_queue(self, text: str, platform: str) -> None:
        """Find the newest crisis row with ``text`` from ``platform`` and open it."""
        await self.crisis_queue()
        row = self.page.locator('tr[id^="m-"]', has_text=text).filter(has_text=platform).first
        await self.expect(row.locator(".handoff-take")).to_have_count(1)
        await row.get_by_role("link", name="open conversation").click()
        await self.expect(self.page.locator("#handoff-take")).to_be_visible()
        await self.live_open()

    async def live_open(self) -> None:
        await self.expect(self.page.locator("#handoff-live")).to_have_attribute(
            "data-state", "open", timeout=WAIT_MS)

    async def take(self) -> None:
        await self.page.locator("#handoff-take").click()
        await self.expect(self.page.locator("#handoff-text")).to_be_visible(timeout=WAIT_MS)
        await self.live_open()

    async def send(self, text: str) -> None:
        await self.page.locator("#handoff-text").fill(text)
        await self.page.locator("#handoff-send").click()
        await self.expect(self.page.locator("#handoff-text")).to_be_visible(timeout=WAIT_MS)
        await self.live_open()

    async def hand_back(self) -> None:
        await self.page.locator("#handoff-hand-back").click()
        await self.expect(self.page.locator("#handoff-take")).to_be_visible(timeout=WAIT_MS)

    def live(self, role: str, text: str):  # noqa: ANN201
        """The live view's line(s) of ``role`` holding ``text``."""
        return self.page.locator(f'#handoff-live [data-role="{role}"]', has_text=text)

    async def live_roles(self) -> list[str]:
        return await self.page.locator("#handoff-live [data-role]").evaluate_all(
            "ls => ls.map(l => l.dataset.role)")
