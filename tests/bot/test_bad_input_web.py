"""Bad input to the web server: a clear answer (Korean and English, a specific code), never
a 500, and clients that never finish a request are dropped.

Real parts: the web app and /admin under uvicorn configured exactly as ``buddy serve``
configures it (:func:`bot.web.http_server.server_config`), a real SQLite log, real HTTP and
raw sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from review_fixtures import seed_log
from web_helpers import make_buddy

from bot.web.admin import COOKIE, create_admin_router
from bot.web.app import BodyLimit, create_app
from bot.web.http_server import HEADER_TIMEOUT_S, server_config
from core.config import load_settings
from core.storage.db import open_engine, session_factory, upgrade_schema

TOKEN = "bad-input-admin-token-4c2e9f7a1b"
HANGUL = re.compile(r"[가-힣]")


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[tuple[str, int]]:
    config = load_settings(_env_file=None)
    server = uvicorn.Server(server_config(app, config, host="127.0.0.1", port=0, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield "127.0.0.1", server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Buddy's web app with the dashboard on a seeded log; the client is logged in."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'buddy.db'}"
    await asyncio.to_thread(upgrade_schema, url)
    await seed_log(url)
    settings = load_settings(_env_file=None, admin_token=TOKEN)
    engine = open_engine(url)
    app = create_app(make_buddy(None), settings, extra_routers=[
        create_admin_router(session_factory(engine), settings, ["감정/불안"])])
    async with running(app) as (host, port), httpx.AsyncClient(
            base_url=f"http://{host}:{port}") as http:
        r = await http.post("/admin/login", data={"token": TOKEN})
        assert r.status_code == 303 and COOKIE in http.cookies
        yield http
    await engine.dispose()


TIMES = ["since=999999d", "until=9999-12-31", "since=99999999999d", "since=0001-01-01",
         "since=" + "9" * 5000 + "d"]
PAGES = ["page=99999999999999999999", "page=-1", "page=abc"]


@pytest.mark.parametrize(("path", "query"), [
    *(("/admin/conversations", q) for q in TIMES + PAGES),
    *(("/admin/charts", q) for q in TIMES),
])
async def test_admin_filters_out_of_range_are_a_clear_400(site: httpx.AsyncClient, path: str,
                                                          query: str) -> None:
    r = await site.get(f"{path}?{query}")
    assert r.status_code == 400, r.text[:300]
    notice = r.text.split('<div class="notice error">')[1].split("</div>")[0]
    assert HANGUL.search(notice) and re.search(r"\((since|until|page)", notice)
    assert "<form" in r.text  # the page is still there to correct the filter


@pytest.mark.parametrize("query", ["since=999999d", "until=9999-12-31"])
async def test_admin_chart_images_out_of_range_are_a_400(site: httpx.AsyncClient,
                                                         query: str) -> None:
    r = await site.get(f"/admin/charts/categories.png?{query}")
    assert r.status_code == 400 and "out of range" in r.text


async def test_admin_filters_in_range_still_work(site: httpx.AsyncClient) -> None:
    for query in ("since=30d", "until=2199-12-31", "page=1", "since=1970-01-02"):
        assert (await site.get(f"/admin/conversations?{query}")).status_code == 200, query
    assert (await site.get("/admin/charts/categories.png?since=7d")).status_code == 200


@pytest.mark.parametrize("body", [
    b'{"session": "s-1", "text": "\xff\xfe"}',
    b'{"session": "s-1", "text": "\xea\xb0"}',  # a Korean character cut in half
    "{\"session\": \"s-1\", \"text\": \"안녕\"}".encode("cp949"),
])
async def test_a_body_that_is_not_utf8_gets_bad_encoding(site: httpx.AsyncClient,
                                                         body: bytes) -> None:
    r = await site.post("/api/chat", content=body,
                        headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_encoding"
    assert HANGUL.search(error["message"]) and "not valid UTF-8" in error["message"]


async def test_a_json_body_in_utf8_still_works(site: httpx.AsyncClient) -> None:
    r = await site.post("/api/chat", content='{"session": "s-1", "text": "안녕"}'.encode(),
                        headers={"content-type": "application/json"})
    assert r.status_code == 200


# --- slow clients --------------------------------------------------------------------------
async def closed_after(reader: asyncio.StreamReader, limit: float) -> float:
    """Seconds until the server closed the connection (reading returns EOF)."""
    started = time.monotonic()
    data = await asyncio.wait_for(reader.read(), limit)
    assert b"200 OK" not in data
    return time.monotonic() - started


@pytest.mark.slow
async def test_clients_that_never_finish_their_headers_are_dropped() -> None:
    app = create_app(make_buddy(None), load_settings(_env_file=None))
    async with running(app) as (host, port):
        partial_r, partial_w = await asyncio.open_connection(host, port)
        partial_w.write(b"GET /healthz HTTP/1.1\r\nHost: buddy\r\nX-Slow: ")
        await partial_w.drain()
        silent_r, silent_w = await asyncio.open_connection(host, port)  # sends nothing at all
        # a trickle: one header byte every second keeps data flowing but never ends
        trickle_r, trickle_w = await asyncio.open_connection(host, port)

        async def trickle() -> None:
            trickle_w.write(b"GET /healthz HTTP/1.1\r\n")
            for _ in range(int(HEADER_TIMEOUT_S) * 3):
                trickle_w.write(b"X-A: b\r\n")
                await trickle_w.drain()
                await asyncio.sleep(1)

        trickling = asyncio.create_task(trickle())
        async with httpx.AsyncClient() as http:  # meanwhile, real requests are answered
            assert (await http.get(f"http://{host}:{port}/healthz")).status_code == 200
        guard = HEADER_TIMEOUT_S + 5
        waits = await asyncio.gather(closed_after(partial_r, guard), closed_after(silent_r, guard),
                                     closed_after(trickle_r, guard))
        trickling.cancel()
        for w in (partial_w, silent_w, trickle_w):
            w.close()
        assert all(wait < guard for wait in waits)


async def test_a_body_that_stalls_gets_408() -> None:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, body_timeout=1.0)
    async with running(app) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"a\":")
        await writer.drain()
        head = await asyncio.wait_for(reader.read(4096), 10)
        writer.close()
        assert head.startswith(b"HTTP/1.1 408")
        assert b"body_timeout" in head or b"body_timeout" in await reader.read()
