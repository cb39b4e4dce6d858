"""The JSON API and page routes, through httpx (in-process ASGI) and a real uvicorn on loopback."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from web_helpers import (
    CRISIS,
    SLEEP,
    SLEEP_ANSWER,
    WORRY,
    WORRY_ANSWER,
    make_buddy,
    serve,
)

from bot.web.app import MAX_BODY_BYTES, STATIC_DIR, create_app
from core import replies
from core.config import Settings
from core.pipeline import Buddy
from core.storage.writer import LogWriter


@pytest.fixture
def buddy(writer: LogWriter) -> Buddy:
    return make_buddy(writer)


@pytest.fixture
async def client(buddy: Buddy) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(buddy, Settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://buddy.test") as c:
        yield c


def db_rows(tmp_path: Path) -> list[tuple[str, str, str, int]]:
    """(role, platform, text, crisis) of every logged message, read with plain sqlite3."""
    with sqlite3.connect(tmp_path / "log.db") as conn:
        return conn.execute(
            "SELECT role, platform, text, crisis FROM messages ORDER BY created_at").fetchall()


async def chat(client: httpx.AsyncClient, text: str, session: str = "browser-1") -> httpx.Response:
    return await client.post("/api/chat", json={"session": session, "text": text})


# --- the happy path ------------------------------------------------------------------------------
async def test_chat_answers_with_category_and_logs_the_turn(
        client: httpx.AsyncClient, buddy: Buddy, tmp_path: Path) -> None:
    r = await chat(client, SLEEP)
    assert r.status_code == 200
    body = r.json()
    assert body["answer"] == SLEEP_ANSWER
    assert body["category"] == "증상/불면"
    assert body["confidence"] == pytest.approx(0.9)
    assert body["crisis"] is False and body["risk_level"] == "none"
    assert body["kind"] == "answer"
    assert body["conversation_id"]

    assert buddy.writer is not None and await buddy.writer.flush(timeout=10)
    assert db_rows(tmp_path) == [("user", "web", SLEEP, 0), ("bot", "web", SLEEP_ANSWER, 0)]


async def test_one_session_is_one_conversation_until_reset(client: httpx.AsyncClient) -> None:
    first = (await chat(client, SLEEP)).json()
    second = (await chat(client, WORRY)).json()
    assert second["answer"] == WORRY_ANSWER
    assert first["conversation_id"] == second["conversation_id"]
    other = (await chat(client, SLEEP, session="browser-2")).json()
    assert other["conversation_id"] != first["conversation_id"]

    reset = await client.post("/api/reset", json={"session": "browser-1"})
    assert reset.status_code == 200 and reset.json()["message"] == replies.RESET
    third = (await chat(client, SLEEP)).json()
    assert third["conversation_id"] != first["conversation_id"]


async def test_crisis_message_is_flagged_with_hotlines(client: httpx.AsyncClient,
                                                       buddy: Buddy, tmp_path: Path) -> None:
    body = (await chat(client, CRISIS)).json()
    assert body["crisis"] is True
    assert body["risk_level"] == "ideation"  # "죽고 싶어요": thoughts of dying
    assert body["kind"] == "crisis"
    assert "109" in body["answer"]
    assert buddy.writer is not None and await buddy.writer.flush(timeout=10)
    assert [row[3] for row in db_rows(tmp_path)] == [1, 1]


async def test_forget_deletes_the_sessions_rows(client: httpx.AsyncClient, tmp_path: Path) -> None:
    await chat(client, SLEEP)
    await chat(client, SLEEP, session="someone-else")
    r = await client.post("/api/forget", json={"session": "browser-1"})
    assert r.status_code == 200
    assert r.json() == {"message": replies.FORGOTTEN, "deleted": 2}
    assert [row[2] for row in db_rows(tmp_path)] == [SLEEP, SLEEP_ANSWER]  # the other session's


# --- health, schema, page --------------------------------------------------------------------------
async def test_healthz_reports_model_backlog_and_shutdown(client: httpx.AsyncClient,
                                                          buddy: Buddy) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "model_id": "fixed", "log_backlog": 0,
                        "log_problem": None, "accepting": True, "in_flight": 0}

    buddy.stop_accepting()
    r = await client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "stopping"
    r = await chat(client, SLEEP)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "30"
    assert "109" in r.json()["error"]["message"]


async def test_openapi_schema_documents_the_chat_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/api/chat", "/api/reset", "/api/forget", "/healthz"} <= set(schema["paths"])
    request = schema["components"]["schemas"]["ChatRequest"]["properties"]
    assert request["text"]["maxLength"] == 20_000
    assert request["session"]["maxLength"] == 128
    assert {"400", "413", "422", "503"} <= set(schema["paths"]["/api/chat"]["post"]["responses"])
    assert (await client.get("/docs")).status_code == 404  # Swagger UI would need a CDN


async def test_page_and_assets_load_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert '<html lang="ko">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("chat.js", "chat.css"):
        asset = await client.get(f"/static/{name}")
        assert asset.status_code == 200
    texts = [page.text] + [(STATIC_DIR / n).read_text(encoding="utf-8")
                           for n in ("chat.js", "chat.css")]
    for text in texts:
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), "external URL found"
    assert "innerHTML" not in texts[1].replace("never innerHTML", "")


# --- bad requests -----------------------------------------------------------------------------------
async def test_bad_json_is_a_clear_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/chat", content=b'{"session": "a", "text": ',
                          headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_json"
    assert "JSON" in error["message"] and "올바른" in error["message"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"text": "안녕"}, "session"),
    ({"session": "browser-1"}, "text"),
    ({"session": "", "text": "안녕"}, "session"),
    ({"session": "x" * 129, "text": "안녕"}, "session"),
    ({"session": "has space", "text": "안녕"}, "session"),
    ({"session": "browser-1", "text": 42}, "text"),
])
async def test_missing_or_wrong_fields_are_named_in_a_422(client: httpx.AsyncClient,
                                                          payload: dict, field: str) -> None:
    r = await client.post("/api/chat", json=payload)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["fields"] == [field]
    assert field in error["message"]


async def test_a_json_array_is_refused_clearly(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/chat", json=["안녕"])
    assert r.status_code == 422
    assert "JSON 객체" in r.json()["error"]["message"]


async def test_100000_character_text_is_refused_without_echoing_it(
        client: httpx.AsyncClient, tmp_path: Path) -> None:
    r = await chat(client, "가" * 100_000)
    assert r.status_code == 413  # 300 KB of Hangul: over the body limit before parsing
    r = await chat(client, "a" * 100_000)
    assert r.status_code == 422  # 100 KB fits the body limit, then the field limit says no
    assert "20,000" in r.json()["error"]["message"]
    assert "aaaa" not in r.text
    assert db_rows(tmp_path) == []  # refused requests are not logged


async def test_the_longest_allowed_korean_text_is_accepted(client: httpx.AsyncClient) -> None:
    body = json.dumps({"session": "browser-1", "text": "가" * 20_000})  # \uXXXX escapes
    assert len(body) < MAX_BODY_BYTES
    r = await client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200


async def test_oversized_body_is_413_before_parsing(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/chat", content=b"{" + b" " * (MAX_BODY_BYTES + 1),
                          headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert "KiB" in r.json()["error"]["message"]


@pytest.mark.parametrize(("text", "kind"), [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("\u200b\u200c\u200d\ufeff", "empty"),  # zero-width only
    ("\u202e\u200f\u2067", "empty"),  # right-to-left marks only
    ("\U0001f622\U0001f494\U0001f62d", "empty"),  # emoji only
    ("\x00\x01\x07\x1b[31m", "fallback"),  # NUL and control characters (and an ANSI code)
    ("요즘\u200b 잠을\u200f 잘 못 자요", "answer"),  # invisible marks inside Korean
    ("I feel so tired these days", "fallback"),
    ("我最近很难过", "fallback"),
    ("أشعر بالحزن", "fallback"),
])
async def test_odd_input_gets_a_kind_reply(client: httpx.AsyncClient, text: str,
                                           kind: str) -> None:
    r = await chat(client, text)
    assert r.status_code == 200
    body = r.json()
    assert body["kind"] == kind
    assert body["answer"].strip() and body["crisis"] is False


@pytest.mark.parametrize("text", [
    "'); DROP TABLE messages; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "<img src=x onerror=alert(1)><script>alert('xss')</script>",
    "안녕\x00하세요",
])
async def test_injection_strings_are_stored_verbatim_and_inert(
        client: httpx.AsyncClient, buddy: Buddy, tmp_path: Path, text: str) -> None:
    assert (await chat(client, text)).status_code == 200
    assert (await chat(client, SLEEP)).json()["answer"] == SLEEP_ANSWER  # still working
    assert buddy.writer is not None and await buddy.writer.flush(timeout=10)
    rows = db_rows(tmp_path)
    assert rows[0][2] == text.replace("\x00", "")  # the log drops NUL only
    assert len(rows) == 4
    with sqlite3.connect(tmp_path / "log.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "messages", "conversations"} <= tables


# --- over real HTTP ---------------------------------------------------------------------------------
async def test_real_uvicorn_server_on_loopback(buddy: Buddy) -> None:
    app = create_app(buddy, Settings())
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        r = await chat(client, SLEEP)
        assert r.status_code == 200 and r.json()["answer"] == SLEEP_ANSWER
        assert (await client.get("/healthz")).json()["accepting"] is True
        assert "/api/chat" in (await client.get("/openapi.json")).json()["paths"]
        assert "chat.js" in (await client.get("/")).text

        r = await client.post("/api/chat", content=b"not json at all",
                              headers={"content-type": "application/json"})
        assert r.status_code == 400

        r = await client.post("/api/chat", content=b"x" * (MAX_BODY_BYTES * 8),
                              headers={"content-type": "application/json"})
        assert r.status_code == 413

    # A chunked upload declares no length: it is counted as it arrives.
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(40):
                yield b" " * 8192

        r = await client.post("/api/chat", content=chunks(),
                              headers={"content-type": "application/json"})
        assert r.status_code == 413
