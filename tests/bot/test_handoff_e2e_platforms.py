"""The human handoff end to end on Telegram and Discord: a real ``buddy serve``, real clients,
an operator in real Chromium.

One ``buddy serve`` runs in this process (:func:`served_handoff.served`): the web server
with ``/admin``, python-telegram-bot long polling the Bot API stand-in, discord.py's HTTP
client against the fake Discord API. Per platform: the user's crisis message → an operator
(own token, own browser context) finds it in the crisis queue, opens it, clicks Take → the
user's chat gets "a person joined" → the operator's message arrives marked as a person's →
the user's reply appears live on the operator's page and Buddy says nothing → Hand back →
the user is told, and Buddy answers the next message again. What the user received is read
from the stand-ins, in order. Browsers are slow: one test per platform.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord_payloads as p
import pytest
import pytest_asyncio
from served_handoff import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CRISIS,
    HELLO,
    REPLY,
    SLEEP,
    Desk,
    Served,
    served,
)

from core.handoff import texts

PERSON = f"[{texts.OPERATOR_SENDER}]\n{HELLO}"
TELEGRAM_CHAT = 8101

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt install chromium)"),
]
playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


@dataclass
class Site:
    served: Served
    browser: object


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with served(tmp_path_factory.mktemp("serve")) as running, \
            playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield Site(running, browser)
        await browser.close()


async def _handoff(site: Site, platform: str, operator: str, write, received) -> list[str]:  # noqa: ANN001
    """One handoff; ``write(text)`` is the user sending, ``received(n)`` waits until the
    user's chat holds ``n`` messages from Buddy's side and returns them."""
    write(CRISIS)
    crisis_reply = await received(1)
    assert any("109" in text for text in crisis_reply)  # the hotlines, at once

    desk = await Desk.sign_in(site.browser, site.served.url, operator, expect)
    await desk.open_from_crisis_queue(CRISIS, platform)
    await desk.take()
    assert (await received(len(crisis_reply) + 1))[-1] == texts.JOINED

    await desk.send(HELLO)
    assert (await received(len(crisis_reply) + 2))[-1] == PERSON

    write(REPLY)  # Buddy stays quiet; the operator sees it live
    await expect(desk.live("user", REPLY)).to_have_count(1, timeout=20_000)
    assert await desk.live_roles() == ["user"]  # no "bot" line beside it

    await desk.hand_back()
    assert (await received(len(crisis_reply) + 3))[-1] == texts.RETURNED
    write(SLEEP)
    chat = await received(len(crisis_reply) + 4)
    assert chat[:-1] == [*crisis_reply, texts.JOINED, PERSON, texts.RETURNED]  # nothing else
    await desk.page.context.close()
    return chat


async def test_telegram_crisis_take_talk_live_and_hand_back(site: Site) -> None:
    stub = site.served.telegram
    lines = site.served.lines  # buddy serve's start-up summary: the wiring under test
    assert any(line.startswith("Telegram: on") for line in lines)
    assert any(line.startswith("Handoff: on (2 operator(s)") for line in lines)

    async def received(count: int) -> list[str]:
        await stub.wait_sent(TELEGRAM_CHAT, count)
        return [c.params["text"] for c in stub.sent(TELEGRAM_CHAT)]

    chat = await _handoff(site, "telegram", "kim", lambda t: stub.text(TELEGRAM_CHAT, t),
                          received)
    assert chat[-1].strip() and not chat[-1].startswith(f"[{texts.OPERATOR_SENDER}]")


async def test_discord_dm_crisis_take_talk_live_and_hand_back(site: Site) -> None:
    api = site.served.discord_api
    dm = rf"/channels/{p.DM_CHANNEL}/messages"

    async def received(count: int) -> list[str]:
        await api.wait_for(dm, count)
        return api.messages_to(p.DM_CHANNEL)

    chat = await _handoff(site, "discord", "lee", site.served.discord.user_writes, received)
    assert chat[-1].strip() and not chat[-1].startswith(f"[{texts.OPERATOR_SENDER}]")
