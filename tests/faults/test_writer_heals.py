"""The log writer isolates a bad row and heals itself; ``/healthz`` tells the truth meanwhile.

Real Buddy, real LogWriter, real SQLite files, the real web app over ASGI. Before: one
lone surrogate killed the writer task until a restart (every later turn stayed in memory,
``/healthz`` said ok), and a writer started while the database was read-only kept failing
after the permissions were restored, until a restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from test_database_faults import make_buddy
from test_forget_is_final import turn_of

from bot.web.app import create_app
from core.config import load_settings
from core.messages import IncomingMessage
from core.storage.db import open_engine, session_factory
from core.storage.records import REPLACED_SIGNAL
from core.storage.writer import LogWriter


def rows(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT role, text, signals FROM messages ORDER BY created_at"
                            ).fetchall()


async def rows_at(url: str) -> list[tuple[str, str, str | None]]:
    """:func:`rows` on any database URL (SQLite or PostgreSQL)."""
    from sqlalchemy import select

    from core.storage.models import Message

    engine = open_engine(url)
    async with session_factory(engine)() as s:
        found = (await s.execute(select(Message.role, Message.text, Message.signals)
                                 .order_by(Message.created_at))).all()
    await engine.dispose()
    return [tuple(r) for r in found]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable for this process: ``chmod`` binds no root, ``chattr +i`` does."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i is not available: {done.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_lone_surrogate_turn_then_normal_turns_are_all_logged(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_engine(db_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "j.jsonl", max_backoff_s=0.2)
    await writer.start()
    buddy, _ = make_buddy(writer)
    bad = "잠이 안 와요 \udcff\ud800 밤새"  # what surrogateescape or a chat library passes on
    reply = await buddy.handle(IncomingMessage("telegram", "a", bad))
    assert reply.text
    for n in range(5):
        await buddy.handle(IncomingMessage("telegram", "b", f"요즘 잠이 안 와요 {n}"))
    assert await writer.flush(timeout=10)
    assert writer.health == ("ok", None)
    logged = await rows_at(db_url)
    assert len(logged) == 12
    user_rows = [r for r in logged if r[0] == "user"]
    assert user_rows[0][1] == "잠이 안 와요 \ufffd\ufffd 밤새"
    assert REPLACED_SIGNAL in json.loads(user_rows[0][2])  # flagged: the original is lost
    assert [r[1] for r in user_rows[1:]] == [f"요즘 잠이 안 와요 {n}" for n in range(5)]
    await writer.aclose()
    await engine.dispose()


async def test_a_row_the_database_refuses_is_set_aside_and_the_rest_is_written(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_engine(db_url)
    journal = tmp_path / "j.jsonl"
    writer = LogWriter(session_factory(engine), journal=journal, max_backoff_s=0.2)
    now = datetime.now(timezone.utc)
    good = [turn_of("k" * 64, f"잠이 안 와요 {n}", now) for n in range(4)]
    # a row no retry can help (a NOT NULL column without a value: a bug upstream, say)
    poison = turn_of("p" * 64, "독이 든 행", now)
    poison = replace(poison, messages=(replace(poison.messages[0], role=None),
                                       poison.messages[1]))
    await writer.start()
    for turn in (good[0], good[1], poison, good[2], good[3]):
        assert await writer.log(turn)
    assert await writer.flush(timeout=10)
    assert writer.health == ("ok", None) and writer.set_aside == 1
    assert sorted(r[1] for r in await rows_at(db_url) if r[0] == "user") == sorted(
        f"잠이 안 와요 {n}" for n in range(4))
    aside = [json.loads(line) for line in writer.journal.set_aside_path.read_text().splitlines()]
    assert len(aside) == 1 and aside[0]["turn"]["user_key"] == "p" * 64
    assert "NOT NULL" in aside[0]["reason"].upper().replace("-", " ")
    assert oct(writer.journal.set_aside_path.stat().st_mode & 0o777) == "0o600"
    await writer.aclose()
    await engine.dispose()


async def test_permission_fault_heals_without_restart_and_healthz_says_degraded_meanwhile(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "var" / "j.jsonl",
                       max_backoff_s=0.3)
    buddy, submitted = make_buddy(writer)
    app = create_app(buddy, load_settings())
    # Another process has the log open (the dashboard, a backup): its -wal and -shm stay,
    # so SQLite opens the read-only file read-only instead of failing, and such a pooled
    # connection stays read-only after the fix unless the writer reconnects.
    holder = sqlite3.connect(db)
    holder.execute("SELECT count(*) FROM messages").fetchall()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://buddy") as client:
        with read_only(db):  # started while the database file is read-only
            await writer.start()
            for n in range(4):
                r = await client.post("/api/chat", json={"session": "s", "text": f"잠 {n}"})
                assert r.status_code == 200  # answers keep coming
            assert not await writer.flush(timeout=1.5)
            health = await client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["status"] == "degraded"
            assert "readonly" in health.json()["log_problem"].replace("-", "").replace(" ", "")
        # fixed outside Buddy: no restart
        r = await client.post("/api/chat", json={"session": "s", "text": "잠 4"})
        assert r.status_code == 200
        assert await writer.flush(timeout=10)
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
    holder.close()
    assert sorted(r[1] for r in rows(db) if r[0] == "user") == [f"잠 {n}" for n in range(5)]
    await writer.aclose()
    await engine.dispose()


async def test_unwritable_journal_never_blocks_the_reply_and_heals(
    sqlite_url: str, tmp_path: Path
) -> None:
    var = tmp_path / "var"
    var.mkdir()
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=var / "j.jsonl", max_backoff_s=0.2)
    await writer.start()
    buddy, _ = make_buddy(writer)
    with read_only(var):
        reply = await buddy.handle(IncomingMessage("telegram", "a", "죽고 싶어"))
        assert reply.crisis and "109" in reply.text  # the crisis reply goes out regardless
        status, why = writer.health
        assert status == "degraded" and why is not None and why.startswith("journal")
    await buddy.handle(IncomingMessage("telegram", "a", "잠이 안 와요"))
    assert await writer.flush(timeout=10)
    assert writer.health == ("ok", None)
    assert len(rows(tmp_path / "log.db")) == 4
    await writer.aclose()
    await engine.dispose()


async def test_lone_surrogate_through_the_telegram_stand_in_then_normal_turns_are_logged(
    log_db: tuple[LogWriter, Path],
) -> None:
    """python-telegram-bot passes a lone surrogate of an update's JSON (``\\udcff``) on."""
    from telegram_stub import TOKEN, TelegramStub

    from bot.telegram_channel import build_application, start_telegram, stop_telegram
    from core.answers import AnswerBook
    from core.classify.base import FixedClassifier
    from core.config import Settings
    from core.pipeline import Buddy

    writer, db = log_db
    buddy = Buddy(classifier=FixedClassifier({}, default="증상/불면"),
                  answers=AnswerBook({"증상/불면": ["잠이 오지 않는 밤은 길죠."]}),
                  pseudonym_secret=b"tg-surrogate", writer=writer, flood_limit_per_minute=1000)
    async with TelegramStub.running() as api:
        settings = Settings(_env_file=None, telegram_token=TOKEN,  # type: ignore[arg-type]
                            telegram_base_url=api.base_url)
        application = build_application(buddy, settings)
        await start_telegram(application, settings, poll_timeout=1)
        try:
            api.text(701, "잠이 안 와요 \udcff")
            await api.wait_sent(701)
            for n in range(3):
                api.text(701, f"요즘 잠이 안 와요 {n}")
            await api.wait_sent(701, 4)
        finally:
            await stop_telegram(application)
    assert await writer.flush(timeout=10)
    assert writer.health == ("ok", None)
    user_rows = [r for r in rows(db) if r[0] == "user"]
    assert [r[1] for r in user_rows] == ["잠이 안 와요 \ufffd"] + [
        f"요즘 잠이 안 와요 {n}" for n in range(3)]
    assert REPLACED_SIGNAL in json.loads(user_rows[0][2])


async def test_a_connection_opened_read_only_is_replaced_once_the_file_is_writable(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The writer's own connection, opened while the file was read-only, stays read-only
    for good: only reconnecting after the failure lets the writes resume."""
    db = tmp_path / "log.db"
    holder = sqlite3.connect(db)  # keeps -wal/-shm: SQLite then opens the file read-only
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("SELECT count(*) FROM messages").fetchall()
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "j.jsonl", max_backoff_s=0.3)
    with read_only(db):
        await writer.start()
        assert await writer.log(turn_of("a" * 64, "잠이 안 와요", datetime.now(timezone.utc)))
        assert not await writer.flush(timeout=1.5)
        assert writer.health[0] == "degraded"
    assert await writer.flush(timeout=5)
    assert writer.health == ("ok", None)
    holder.close()
    assert [r[1] for r in rows(db) if r[0] == "user"] == ["잠이 안 와요"]
    await writer.aclose()
    await engine.dispose()
