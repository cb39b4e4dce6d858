"""The conversation log: rows land once, survive outages, and users can be deleted."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.storage.db import open_engine, session_factory
from core.storage.models import Conversation, Message, User
from core.storage.records import MessageRow, TurnRecord
from core.storage.retention import purge_before
from core.storage.turns import write_turns
from core.storage.users import delete_user
from core.storage.writer import LogWriter


def _turn(user: str = "u" * 64, conv: str | None = None, text: str = "요즘 잠이 안 와요",
          at: datetime | None = None) -> TurnRecord:
    at = at or datetime.now(timezone.utc)
    return TurnRecord(
        user_key=user,
        platform="web",
        conversation_id=conv or str(uuid.uuid4()),
        conversation_started_at=at,
        messages=(
            MessageRow(str(uuid.uuid4()), "user", text, at, category="증상/불면", confidence=0.8),
            MessageRow(str(uuid.uuid4()), "bot", "많이 힘드셨겠어요.", at + timedelta(seconds=1),
                       kind="answer"),
        ),
    )


async def _count(url: str) -> int:
    engine = open_engine(url)
    async with session_factory(engine)() as s:
        n = await s.scalar(select(func.count()).select_from(Message))
    await engine.dispose()
    return int(n or 0)


async def test_turns_written_once_even_when_retried(db_url: str) -> None:
    engine = open_engine(db_url)
    sessions = session_factory(engine)
    turn = _turn(text="'; DROP TABLE messages; -- <script>alert(1)</script>")
    async with sessions() as s, s.begin():
        assert await write_turns(s, [turn]) == 2
    async with sessions() as s, s.begin():  # a retry of the same batch writes nothing new
        assert await write_turns(s, [turn]) == 0
    async with sessions() as s:
        texts = list(await s.scalars(select(Message.text).order_by(Message.created_at)))
        assert texts[0] == "'; DROP TABLE messages; -- <script>alert(1)</script>"
        assert await s.scalar(select(func.count()).select_from(User)) == 1
    await engine.dispose()


async def test_delete_user_removes_everything(db_url: str) -> None:
    engine = open_engine(db_url)
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        await write_turns(s, [_turn("a" * 64), _turn("a" * 64), _turn("b" * 64)])
    async with sessions() as s, s.begin():
        assert await delete_user(s, "a" * 64) == 4
    async with sessions() as s:
        users = list(await s.scalars(select(User.id)))
        assert users == ["b" * 64]
        assert await s.scalar(select(func.count()).select_from(Conversation)) == 1
    await engine.dispose()


async def test_purge_keeps_recent_conversations(db_url: str) -> None:
    engine = open_engine(db_url)
    sessions = session_factory(engine)
    old = datetime.now(timezone.utc) - timedelta(days=100)
    async with sessions() as s, s.begin():
        await write_turns(s, [_turn("a" * 64, at=old), _turn("b" * 64)])
    async with sessions() as s, s.begin():
        assert await purge_before(s, datetime.now(timezone.utc) - timedelta(days=90)) == 2
    async with sessions() as s:
        assert list(await s.scalars(select(User.id))) == ["b" * 64]
    await engine.dispose()


@pytest.mark.slow
async def test_locked_database_loses_nothing_and_writes_nothing_twice(
    sqlite_url: str, tmp_path: Path
) -> None:
    db_file = tmp_path / "log.db"
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "journal.jsonl", max_backoff_s=0.2)
    await writer.start()
    lock = sqlite3.connect(db_file, timeout=0)
    lock.execute("PRAGMA busy_timeout=0")
    lock.execute("BEGIN EXCLUSIVE")  # another process holds the database
    try:
        for i in range(5):
            writer.submit(_turn(text=f"메시지 {i}"))
        assert not await writer.flush(timeout=6.5)  # cannot land while locked
        assert writer.failures >= 1
        assert (tmp_path / "journal.jsonl").exists()  # kept on disk meanwhile
        assert await writer.log(_turn(text="다운 중에 온 메시지"))  # on disk when it returns:
        journal = (tmp_path / "journal.jsonl").read_text(encoding="utf-8")
        assert len(journal.splitlines()) == 6 and "다운 중에 온 메시지" in journal
    finally:
        lock.rollback()
        lock.close()
    assert await writer.flush(timeout=10)
    await writer.aclose()
    await engine.dispose()
    assert await _count(sqlite_url) == 12
    assert not (tmp_path / "journal.jsonl").exists()


async def test_journal_replayed_after_restart(sqlite_url: str, tmp_path: Path) -> None:
    """Turns the database never got before shutdown are written on the next start."""
    journal = tmp_path / "journal.jsonl"
    missing = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'nodir' / 'x' / 'gone.db'}")
    writer = LogWriter(session_factory(missing), journal=journal, max_backoff_s=0.1)
    await writer.start()
    writer.submit(_turn(text="첫 번째"))
    writer.submit(_turn(text="두 번째"))
    await writer.aclose(timeout=0.5)
    await missing.dispose()
    assert len(journal.read_text(encoding="utf-8").splitlines()) == 2

    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=journal)
    await writer.start()
    assert await writer.flush(timeout=10)
    await writer.aclose()
    await engine.dispose()
    assert await _count(sqlite_url) == 4
