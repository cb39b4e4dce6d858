"""The /admin dashboard in real headless Chromium against a real uvicorn and SQLite file.

An operator logs in, filters, opens a transcript, relabels, marks a crisis reviewed and
logs out; a wrong or missing token and a forged form are refused; a message written as
HTML shows as text. With ``BUDDY_SCREENSHOT_DIR`` set, each view is saved there as
``admin-*.png`` (how ``docs/screenshots/`` was made).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from review_fixtures import INJECTION, Seeded, seed_log

from bot.web.admin import COOKIE, create_admin_router
from core.config import load_settings
from core.storage.db import open_engine, session_factory, upgrade_schema

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TOKEN = "admin-test-token-7f3c9a1e5b"
LABELS = ["감정/불안", "감정/우울감", "감정/외로움", "증상/불면", "일상/인사"]
SHOTS = Path(os.environ["BUDDY_SCREENSHOT_DIR"]) if os.environ.get("BUDDY_SCREENSHOT_DIR") else None

pytestmark = pytest.mark.browser


@dataclass
class Dashboard:
    base: str
    db: Path
    seeded: Seeded

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        with sqlite3.connect(self.db) as con:
            return con.execute(sql).fetchall()


@asynccontextmanager
async def serve(tmp_path: Path, token: str | None) -> AsyncIterator[Dashboard]:
    """The admin router alone on a bare FastAPI app, under uvicorn on 127.0.0.1."""
    db = tmp_path / "log.db"
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade_schema, url)
    seeded = await seed_log(url)
    settings = load_settings(admin_token=token or "", confidence_threshold=0.3)
    engine = open_engine(url)
    app = FastAPI()
    app.include_router(create_admin_router(session_factory(engine), settings, LABELS))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Dashboard(f"http://127.0.0.1:{port}", db, seeded)
    finally:
        server.should_exit = True
        await task
        await engine.dispose()


@asynccontextmanager
async def browser_page(base: str) -> AsyncIterator:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt install chromium)")
    pw_api = pytest.importorskip("playwright.async_api")
    async with pw_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                            locale="ko-KR", base_url=base)
        page = await context.new_page()
        page.dialogs = []  # an alert() from an injected script would land here

        async def on_dialog(dialog) -> None:  # noqa: ANN001
            page.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        try:
            yield page
        finally:
            await browser.close()


async def shot(page, name: str, *, full: bool = True) -> None:  # noqa: ANN001
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=full)


async def test_operator_reviews_relabels_and_marks_crisis(tmp_path: Path) -> None:
    async with serve(tmp_path, TOKEN) as dash, browser_page(dash.base) as page:
        conv = dash.seeded.conversations
        # not logged in: the login form; a wrong token is refused
        await page.goto("/admin")
        assert page.url.endswith("/admin/login")
        await page.get_by_label("Admin token").fill("not-the-token")
        await shot(page, "login", full=False)
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_text("Wrong token").wait_for()
        assert "/admin/login" in page.url
        await page.get_by_label("Admin token").fill(TOKEN)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url("**/admin/conversations")

        # the list: every conversation, user references only, crisis flagged
        rows = page.locator("tbody tr")
        assert await rows.count() == 5
        body = await page.locator("main").inner_text()
        assert dash.seeded.users["web"] in body and "위기 1 new" in body
        assert "5 conversations match" in body
        await shot(page, "conversations")

        # filter: web + low confidence
        await page.locator("select[name=platform]").select_option("web")
        await page.get_by_label("낮은 확신도 low confidence").check()
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url("**platform=web**")
        assert await rows.count() == 2
        listed = await page.locator("tbody").inner_text()
        assert conv["exam"][:8] in listed and conv["vague"][:8] in listed
        assert conv["crisis"][:8] not in listed
        await page.get_by_label("검색 text").fill("따옴표")  # words of the low-confidence message
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url("**q=**")
        assert await rows.count() == 1
        assert conv["exam"][:8] in await page.locator("tbody").inner_text()

        # the transcript: the HTML a user typed is shown as text
        await page.get_by_role("link", name=conv["exam"][:8]).click()
        await page.wait_for_url(f"**/admin/conversations/{conv['exam']}")
        injected = dash.seeded.user_messages["exam1"]
        row = page.locator(f"#m-{injected}")
        assert await row.locator(".text").inner_text() == INJECTION
        assert await page.locator(".text b, .text script").count() == 0
        assert "감정/불안" in await row.inner_text() and "0.12" in await row.inner_text()

        # relabel it from the label list
        await row.locator("select[name=category]").select_option("감정/우울감")
        await row.get_by_role("button", name="Relabel").click()
        await page.wait_for_load_state()
        row = page.locator(f"#m-{injected}")
        await row.locator("b", has_text="감정/우울감").wait_for()
        assert dash.rows("SELECT message_id, corrected_category FROM feedback") == [
            (injected, "감정/우울감")]
        await shot(page, "transcript")

        # the crisis queue: mark the unreviewed crisis message reviewed
        await page.get_by_role("link", name="Crisis queue").click()
        await page.wait_for_url("**/admin/crisis")
        crisis_id = dash.seeded.user_messages["crisis"]
        crisis_row = page.locator(f"#m-{crisis_id}")
        assert "사라지고 싶어요" in await crisis_row.inner_text()
        assert "emergency:test" in await crisis_row.inner_text()
        await shot(page, "crisis")
        await crisis_row.get_by_role("button", name="Mark reviewed").click()
        await page.wait_for_url("**/admin/crisis")
        await page.locator(f"#m-{crisis_id} .badge.ok").wait_for()
        assert await page.locator("header .badge.count").count() == 0
        assert dash.rows(f"SELECT reviewed_at IS NOT NULL FROM messages WHERE id='{crisis_id}'") == [(1,)]

        # the low-confidence queue: the uncorrected message first, then the corrected one
        await page.get_by_role("link", name="Low confidence").click()
        await page.wait_for_url("**/admin/low-confidence")
        ids = await page.locator("tbody tr").evaluate_all("rs => rs.map(r => r.id)")
        assert ids == [f"m-{dash.seeded.user_messages['vague']}", f"m-{injected}"]
        await shot(page, "low-confidence")

        # charts render as images from the dashboard itself
        await page.get_by_role("link", name="Charts").click()
        await page.wait_for_url("**/admin/charts")
        await page.wait_for_function(
            "[...document.images].length === 3 && [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        await shot(page, "charts")

        assert page.dialogs == []  # no injected script ever ran

        # log out: the session cookie stops working
        await page.get_by_role("button", name="Log out").click()
        await page.wait_for_url("**/admin/login")
        await page.goto("/admin/conversations")
        assert page.url.endswith("/admin/login")

        actions = [a for (a,) in dash.rows("SELECT action FROM audit_events ORDER BY id")]
        for expected in ("login_failed", "login", "view_conversations", "view_transcript",
                         "relabel", "view_crisis_queue", "review", "view_low_confidence",
                         "view_charts", "logout"):
            assert expected in actions, expected
        assert {a for (a,) in dash.rows("SELECT DISTINCT actor FROM audit_events")} == {"admin"}


def as_cookie(value: str) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={value}"}


async def test_wrong_missing_or_forged_credentials_are_refused(tmp_path: Path) -> None:
    async with serve(tmp_path, TOKEN) as dash, httpx.AsyncClient(base_url=dash.base) as http:
        mid = dash.seeded.user_messages["vague"]
        r = await http.get("/admin/conversations")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        assert (await http.get("/admin/charts/categories.png")).status_code == 401
        r = await http.post("/admin/login", data={"token": "wrong"})
        assert r.status_code == 401 and COOKIE not in r.cookies
        r = await http.post("/admin/login", data={})
        assert r.status_code == 401
        # a cookie forged with another token, or the token itself as the cookie
        for fake in ("1999999999.abcdef", TOKEN, f"{int(time.time())}.{'0' * 64}"):
            r = await http.get("/admin/conversations", headers=as_cookie(fake))
            assert r.status_code == 303, fake
        # a real session, but a form without its CSRF token changes nothing
        r = await http.post("/admin/login", data={"token": TOKEN})
        assert r.status_code == 303
        cookie = r.cookies[COOKIE]
        http.cookies.clear()  # from here on the cookie is sent explicitly
        assert TOKEN not in cookie
        set_cookie = r.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        r = await http.post(f"/admin/messages/{mid}/relabel", headers=as_cookie(cookie),
                            data={"category": "감정/불안"})
        assert r.status_code == 403
        r = await http.post(f"/admin/messages/{mid}/relabel", headers=as_cookie(cookie),
                            data={"category": "감정/불안", "csrf": "0" * 32})
        assert r.status_code == 403
        assert dash.rows("SELECT count(*) FROM feedback") == [(0,)]
        page = await http.get("/admin/conversations", headers=as_cookie(cookie))
        assert page.status_code == 200 and "content-security-policy" in page.headers
        assert "<script" not in page.text.lower()


async def test_dashboard_is_off_without_admin_token(tmp_path: Path) -> None:
    async with serve(tmp_path, None) as dash:
        async with httpx.AsyncClient(base_url=dash.base) as http:
            for path in ("/admin", "/admin/conversations", "/admin/login"):
                r = await http.get(path)
                assert r.status_code == 503 and "ADMIN_TOKEN" in r.text, path
            r = await http.post("/admin/login", data={"token": ""})
            assert r.status_code == 503
        async with browser_page(dash.base) as page:
            await page.goto("/admin")
            assert "대시보드가 꺼져 있습니다" in await page.locator("main").inner_text()
            await shot(page, "off", full=False)
