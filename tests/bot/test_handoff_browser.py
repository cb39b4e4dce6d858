"""The human handoff end to end in real headless Chromium: the web chat and /admin.

One real uvicorn serves the chat page and the dashboard over one Buddy with the handoff on
(a real SQLite file, sealed addresses), delivering through the web channel exactly as
``buddy serve`` wires it. A user writes in the chat page; operators sign in with their own
tokens in other browser contexts. Kept to two tests: browsers are slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from handoff_helpers import HandoffSite, handoff_site
from served_handoff import CHROMIUM, CHROMIUM_ARGS, HELLO, REPLY
from web_helpers import CRISIS, SLEEP, serve

from bot.web.admin import create_admin_router
from bot.web.app import create_app
from bot.web.channel import WebChannel
from core.config import Settings
from core.handoff import texts
from core.handoff.crypto import new_key
from core.handoff.service import HandoffService

TOKENS = {"kim": "kim-operator-token-4b8d2f6a1c", "lee": "lee-operator-token-9e3a7c5b0d"}
WAIT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt install chromium)"),
]
playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


@dataclass
class Site:
    base: str
    browser: object
    core: HandoffSite  # the database file, the service, the log

    @property
    def service(self) -> HandoffService:
        return self.core.service

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        return self.core.rows(sql)

    def file_bytes(self) -> bytes:
        return self.core.file_bytes()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    settings = Settings(_env_file=None, handoff_key=new_key(),  # type: ignore[arg-type]
                        operators=",".join(f"{n}:{t}" for n, t in TOKENS.items()))
    async with handoff_site(tmp_path_factory.mktemp("handoff")) as core:
        sessions = core.writer.sessions
        app = create_app(core.buddy, settings, extra_routers=[
            create_admin_router(sessions, settings, ["증상/불면"], handoff=core.service)])
        core.delivery.add(WebChannel.around(app))
        async with serve(app) as base, playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield Site(base, browser, core)
            app.state.outbox.close()
            core.service.feed.close()
            await browser.close()


async def new_page(site: Site, **options: object):  # noqa: ANN201
    context = await site.browser.new_context(  # type: ignore[attr-defined]
        locale="ko-KR", base_url=site.base, **options)
    page = await context.new_page()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    return page


async def chat_page(site: Site):  # noqa: ANN201
    page = await new_page(site, viewport={"width": 390, "height": 844}, is_mobile=True)
    await page.goto("/")
    return page


async def say(page, text: str) -> None:  # noqa: ANN001
    """The user types and sends; waits until the page is ready for the next message."""
    await page.get_by_label("버디에게 보낼 메시지").fill(text)
    await page.get_by_role("button", name="보내기").click()
    await expect(page.locator(".typing")).to_have_count(0, timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="보내기")).to_be_enabled(timeout=WAIT_MS)


async def operator(site: Site, name: str):  # noqa: ANN201
    page = await new_page(site, viewport={"width": 1280, "height": 900})
    await page.goto("/admin/login")
    await page.get_by_label("operator token").fill(TOKENS[name])
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/admin/conversations")
    return page


async def live_open(page) -> None:  # noqa: ANN001
    await expect(page.locator("#handoff-live")).to_have_attribute("data-state", "open",
                                                                   timeout=WAIT_MS)


async def test_crisis_take_talk_live_race_and_hand_back(site: Site) -> None:
    user = await chat_page(site)
    await say(user, CRISIS)
    await expect(user.locator(".msg.crisis")).to_have_count(1)

    # both operators find it in the crisis queue and open the conversation
    kim, lee = await operator(site, "kim"), await operator(site, "lee")
    for page in (kim, lee):
        await page.get_by_role("link", name="Crisis queue").click()
        row = page.locator("tbody tr", has_text=CRISIS)
        await expect(row.locator(".handoff-take")).to_have_count(1)
        await row.get_by_role("link", name="open conversation").click()
        await expect(page.locator("#handoff-take")).to_be_visible()

    # they click Take at the same moment: one holds it, the other is told who does
    await asyncio.gather(kim.locator("#handoff-take").click(),
                         lee.locator("#handoff-take").click())
    await expect(kim.locator("#handoff-text, #handoff-error")).to_have_count(1, timeout=WAIT_MS)
    await expect(lee.locator("#handoff-text, #handoff-error")).to_have_count(1, timeout=WAIT_MS)
    holder, other = (kim, lee) if await kim.locator("#handoff-text").count() else (lee, kim)
    holder_name = "kim" if holder is kim else "lee"
    assert (await other.locator("#handoff-error").inner_text()).startswith(
        f"이미 다른 상담사({holder_name})가 맡았습니다")
    await other.get_by_role("link", name="Back to the conversation").click()
    assert await other.locator("#handoff-take, #handoff-send").count() == 0  # no buttons
    assert f"Held by {holder_name}" in await other.locator("#handoff").inner_text()

    # the user's page says a person joined, without a reload
    await user.evaluate("window.notReloaded = true")
    await expect(user.locator(".msg", has_text="상담 선생님이 이 대화에 함께합니다")).to_have_count(
        1, timeout=WAIT_MS)

    # the operator writes; it reaches the user's page as a person's message
    await live_open(holder)
    await holder.locator("#handoff-text").fill(HELLO)
    await holder.locator("#handoff-send").click()
    await expect(user.locator(".msg.person", has_text=HELLO)).to_have_count(1, timeout=WAIT_MS)
    assert await user.locator(".msg.person .sender").inner_text() == texts.OPERATOR_SENDER

    # the user answers: Buddy stays quiet, the operator sees it live
    await live_open(holder)
    await say(user, REPLY)
    newest = user.locator("#log .turn").first
    assert await newest.locator(".msg.user").inner_text() == REPLY
    assert await newest.locator(".msg.bot").count() == 0
    line = holder.locator('#handoff-live [data-role="user"]', has_text=REPLY)
    await expect(line).to_have_count(1, timeout=WAIT_MS)
    # the other operator, watching, sees the holder's message and the user's reply
    roles = await other.locator("#handoff-live [data-role]").evaluate_all(
        "ls => ls.map(l => l.dataset.role)")
    assert roles == ["operator", "user"]
    assert await user.evaluate("window.notReloaded") is True

    # hand back: the user is told, and Buddy answers the next message again
    await holder.locator("#handoff-hand-back").click()
    await expect(user.locator(".msg", has_text="이제 다시 버디가 답할게요")).to_have_count(
        1, timeout=WAIT_MS)
    await say(user, SLEEP)  # after a crisis Buddy's answer is its safety follow-up
    answer = user.locator("#log .turn").first.locator(".msg.bot:not(.person)")
    assert await answer.get_attribute("data-kind") == "safety_followup"
    assert "109" in await answer.inner_text()
    await expect(holder.locator("#handoff-take")).to_be_visible()
    actions = site.rows("SELECT actor, action FROM audit_events WHERE action IN "
                        "('take', 'message', 'hand_back') ORDER BY id")
    assert actions == [(holder_name, "take"), (holder_name, "message"),
                       (holder_name, "hand_back")]


async def test_forget_during_a_hold_deletes_the_sealed_address(site: Site) -> None:
    user = await chat_page(site)
    await say(user, SLEEP)
    session = await user.evaluate("localStorage.getItem('buddy.session')")
    [(conv, sealed)] = site.rows(
        "SELECT conversation_id, sealed FROM contact_addresses ORDER BY last_seen_at DESC "
        "LIMIT 1")
    kim = await operator(site, "kim")
    await kim.goto(f"/admin/conversations/{conv}")
    await kim.locator("#handoff-take").click()
    await expect(kim.locator("#handoff-text")).to_be_visible()
    assert session.encode() not in site.file_bytes() and sealed in site.file_bytes()

    await user.get_by_role("button", name="기록 삭제").click()  # the dialog is accepted
    await expect(user.locator(".msg.user")).to_have_count(0, timeout=WAIT_MS)
    assert site.rows(f"SELECT count(*) FROM contact_addresses WHERE conversation_id = '{conv}'"
                     ) == [(0,)]
    assert sealed not in site.file_bytes() and session.encode() not in site.file_bytes()
    await kim.locator("#handoff-text").fill(HELLO)  # the operator can no longer write
    await kim.locator("#handoff-send").click()
    await expect(kim.locator("#handoff-error")).to_be_visible()
