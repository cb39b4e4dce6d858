"""The chat page in real headless Chromium (Debian's package) against a real uvicorn server.

Typing, sending, the answer and the history, a reload keeping the conversation, HTML
injection shown as text, the crisis card; a phone-sized screenshot goes to
docs/screenshots/web-chat.png for the README.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from web_helpers import CRISIS, SLEEP, SLEEP_ANSWER, WORRY, WORRY_ANSWER, make_buddy, serve

from bot.web.app import create_app
from bot.web.channel import WebChannel
from core.config import Settings
from core.safety.hotlines import SUICIDE_PREVENTION
from core.storage.db import open_engine, session_factory, upgrade_schema_async
from core.storage.writer import LogWriter

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "web-chat.png"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
INJECTION = "<img src=x onerror=alert(1)>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt install chromium)"),
]
playwright_api = pytest.importorskip("playwright.async_api")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory,
               ) -> AsyncIterator[tuple[str, object, object]]:
    """One server, log and Chromium for the module (launching Chromium is the slow part)."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('web') / 'log.db'}"
    await upgrade_schema_async(url)
    engine = open_engine(url)
    writer = LogWriter(session_factory(engine))
    await writer.start()
    app = create_app(make_buddy(writer), Settings(_env_file=None))
    try:
        async with serve(app) as base, playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                               args=CHROMIUM_ARGS)
            yield base, browser, app
            await browser.close()
    finally:
        await writer.aclose()
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="module")
async def page(site: tuple[str, object, object]) -> AsyncIterator:
    """A fresh phone-sized tab (390x844, Korean locale, its own storage) on the chat page."""
    base, browser, _ = site
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="ko-KR", base_url=base)
    page = await context.new_page()
    page.dialogs = []  # every alert/confirm text, to prove no injected alert() ran
    page.accept_dialogs = False

    async def on_dialog(dialog) -> None:  # noqa: ANN001
        page.dialogs.append(dialog.message)
        await (dialog.accept() if page.accept_dialogs else dialog.dismiss())

    page.on("dialog", on_dialog)
    await page.goto("/")
    try:
        yield page
    finally:
        await context.close()


async def send(page, text: str, *, press_enter: bool = False) -> None:  # noqa: ANN001
    """Type like a person and send; wait until Buddy's reply replaced the typing dots."""
    box = page.get_by_label("버디에게 보낼 메시지")
    await box.fill(text)
    if press_enter:
        await box.press("Enter")
    else:
        await page.get_by_role("button", name="보내기").click()
    # Locator waits, not wait_for_function: the page's CSP forbids the eval that needs.
    await playwright_api.expect(page.locator(".typing")).to_have_count(0, timeout=30_000)
    await playwright_api.expect(page.get_by_role("button", name="보내기")).to_be_enabled(timeout=30_000)


async def test_type_send_and_see_the_answer_and_history(page) -> None:  # noqa: ANN001
    await send(page, SLEEP)
    await send(page, WORRY, press_enter=True)

    turns = page.locator("#log .turn:not(.welcome)")
    assert await turns.count() == 2
    newest, oldest = turns.nth(0), turns.nth(1)
    assert await newest.locator(".msg.user").inner_text() == WORRY
    assert await newest.locator(".msg.bot").inner_text() == WORRY_ANSWER
    assert await oldest.locator(".msg.user").inner_text() == SLEEP
    assert await oldest.locator(".msg.bot").inner_text() == SLEEP_ANSWER
    assert await page.get_by_label("버디에게 보낼 메시지").input_value() == ""

    await page.reload()  # the conversation survives a reload of the tab
    turns = page.locator("#log .turn:not(.welcome)")
    assert await turns.count() == 2
    assert await turns.nth(0).locator(".msg.bot").inner_text() == WORRY_ANSWER


async def test_shift_enter_adds_a_line_and_empty_is_not_sent(page) -> None:  # noqa: ANN001
    box = page.get_by_label("버디에게 보낼 메시지")
    await box.press("Enter")  # nothing typed
    assert await page.locator("#log .turn:not(.welcome)").count() == 0
    assert "한 글자 이상" in await page.locator("#status").inner_text()

    await box.type("첫 줄")
    await box.press("Shift+Enter")
    await box.type("둘째 줄")
    assert await box.input_value() == "첫 줄\n둘째 줄"
    assert await page.locator("#log .turn:not(.welcome)").count() == 0


async def test_html_injection_is_shown_as_text_and_never_runs(page) -> None:  # noqa: ANN001
    await send(page, INJECTION)
    bubble = page.locator("#log .turn:not(.welcome) .msg.user")
    assert await bubble.inner_text() == INJECTION
    assert await page.locator("#log img").count() == 0
    assert page.dialogs == []  # no alert() ran

    await page.reload()  # history restored from sessionStorage must stay inert too
    assert await page.locator("#log .msg.user").inner_text() == INJECTION
    assert await page.locator("#log img").count() == 0
    assert page.dialogs == []


async def test_crisis_reply_is_a_distinct_card_with_call_links(page) -> None:  # noqa: ANN001
    await send(page, SLEEP)
    await send(page, CRISIS)

    card = page.locator(".msg.crisis")
    assert await card.count() == 1
    assert await card.get_attribute("role") == "alert"
    links = await card.locator(".crisis-body a").evaluate_all("as => as.map(a => a.href)")
    assert "tel:109" in links and "tel:15770199" in links
    assert await card.get_by_role("link", name="109 자살예방상담전화 걸기").count() == 1
    ordinary = page.locator(".turn:not(.welcome) .msg.bot:not(.crisis)")
    card_bg = await card.evaluate("e => getComputedStyle(e).backgroundColor")
    plain_bg = await ordinary.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert card_bg != plain_bg  # visibly different from an ordinary answer

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)  # the picture in the README
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


async def test_forget_button_clears_history_after_confirming(page) -> None:  # noqa: ANN001
    await send(page, SLEEP)
    await page.get_by_role("button", name="기록 삭제").click()  # dismissed: nothing happens
    assert len(page.dialogs) == 1 and "되돌릴 수 없어요" in page.dialogs[0]
    assert await page.locator(".msg.user").count() == 1

    page.accept_dialogs = True
    await page.get_by_role("button", name="기록 삭제").click()
    await page.wait_for_selector("[data-kind=notice]")
    assert await page.locator(".msg.user").count() == 0
    await page.reload()
    assert await page.locator(".msg.user").count() == 0


async def test_a_counsellors_message_appears_without_a_reload(page, site) -> None:  # noqa: ANN001
    """``WebChannel.send_text`` (the handoff's delivery path) reaches the open page at once,
    marked as a person's message, not Buddy's, and stays after a reload like any turn."""
    await send(page, SLEEP)
    await page.evaluate("window.notReloaded = true")
    session = await page.evaluate("localStorage.getItem('buddy.session')")
    text = "안녕하세요, 상담 선생님이에요. 지금 이야기 나눌 수 있을까요?"
    await WebChannel.around(site[2]).send_text(session, text, sender="상담 선생님")

    pushed = page.locator(".msg.person")
    await playwright_api.expect(pushed).to_have_count(1, timeout=15_000)
    assert await pushed.locator(".sender").inner_text() == "상담 선생님"
    assert text in await pushed.inner_text()
    assert await page.evaluate("window.notReloaded") is True  # no reload happened
    assert await page.locator(".msg.user").inner_text() == SLEEP  # the conversation is intact

    await page.reload()
    assert text in await page.locator(".msg.person").inner_text()


async def test_the_notice_numbers_come_from_hotlines_py(page) -> None:  # noqa: ANN001
    links = await page.locator(".notice a").evaluate_all("as => as.map(a => a.href)")
    assert f"tel:{SUICIDE_PREVENTION.number}" in links
