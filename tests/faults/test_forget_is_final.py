"""Forget is final: nothing of a forgotten user comes back, and their text leaves the disk.

Real :class:`~core.pipeline.Buddy` and :class:`~core.storage.writer.LogWriter` on a real
SQLite file (and PostgreSQL for the tombstone). The race of the issue: the database is
stalled (another connection holds an exclusive lock) while the user's turns wait to be
written and the forget arrives. Before, forget deleted what had landed, answered
"deleted", and the queued turns (and the user row) were inserted afterwards; the deleted
text also stayed readable in the WAL. Here the bytes of the database file, its WAL and
the journal are searched for the user's text after the forget.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_database_faults import SLEEP_ANSWERS, make_buddy

from core.messages import IncomingMessage
from core.storage.db import open_engine, session_factory
from core.storage.forget import forget_user
from core.storage.records import MessageRow, TurnRecord
from core.storage.turns import write_turns
from core.storage.users import delete_user
from core.storage.writer import LogWriter

SECRET = "비밀스러운 고민 이야기"


def disk_bytes(*paths: Path) -> bytes:
    return b"".join(p.read_bytes() for p in paths if p.exists())


def sqlite_bytes(db: Path) -> bytes:
    return disk_bytes(db, Path(f"{db}-wal"), Path(f"{db}-shm"))


def turn_of(user_key: str, text: str, at: datetime) -> TurnRecord:
    return TurnRecord(user_key, "web", str(uuid.uuid4()), at, (
        MessageRow(str(uuid.uuid4()), "user", text, at),
        MessageRow(str(uuid.uuid4()), "bot", SLEEP_ANSWERS[0], at + timedelta(microseconds=1),
                   kind="answer"),
    ))


async def test_forget_racing_a_stalled_database_is_final_and_leaves_no_text_on_disk(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    journal = tmp_path / "var" / "log-journal.jsonl"
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=journal, max_backoff_s=0.2)
    await writer.start()
    buddy, _ = make_buddy(writer)
    secret_bytes = SECRET.encode("utf-8")

    async def say(user: str, text: str) -> None:
        reply = await buddy.handle(IncomingMessage("telegram", user, text))
        assert reply.text in SLEEP_ANSWERS

    for n in range(3):
        await say("forgetme", f"{SECRET} 잠이 안 와요 {n}")
        await say("stays", f"요즘 잠이 안 와요 {n}")
    assert await writer.flush(timeout=10)
    assert secret_bytes in sqlite_bytes(db)

    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the database stalls
    try:
        for n in range(3, 6):  # answered and journaled, waiting for the database
            await say("forgetme", f"{SECRET} 잠이 안 와요 {n}")
        assert secret_bytes in disk_bytes(journal)
        forget = asyncio.create_task(buddy.forget("telegram", "forgetme"))
        await asyncio.sleep(1.0)
        assert not forget.done()  # it waits for the database, it does not answer early
        key = buddy.user_key("telegram", "forgetme")
        # a turn accepted before the forget but handed to the writer only now
        assert await writer.log(turn_of(key, f"{SECRET} 늦게 온 말", datetime.now(timezone.utc)
                                        - timedelta(seconds=5)))
    finally:
        lock.rollback()
        lock.close()
    deleted = await asyncio.wait_for(forget, 20)
    # the three turns that had landed, and those of the batch the writer was stuck on
    # (forget waited for it, then deleted them too); queued turns were dropped unwritten
    assert deleted in (6, 8, 10, 12)
    await say("stays", "요즘 잠이 안 와요 또")
    assert await writer.flush(timeout=10)

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM messages WHERE user_id = ?",
                            (key,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM users WHERE id = ?", (key,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (8,)
    for where, data in (("database/WAL", sqlite_bytes(db)), ("journal", disk_bytes(journal))):
        assert secret_bytes not in data, f"the forgotten text is still in the {where}"

    # A restart replays the journal: nothing of the forgotten user comes back.
    await writer.aclose()
    again = LogWriter(session_factory(engine), journal=journal)
    await again.start()
    assert await again.log(turn_of(key, f"{SECRET} 재시작 뒤 늦은 말",
                                   datetime.now(timezone.utc) - timedelta(minutes=1)))
    assert await again.flush(timeout=10)
    await again.aclose()
    await engine.dispose()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM messages WHERE user_id = ?",
                            (key,)).fetchone() == (0,)
    assert secret_bytes not in sqlite_bytes(db) + disk_bytes(journal)


async def test_forget_answers_an_error_not_deleted_while_the_database_stays_locked(
    sqlite_url: str, tmp_path: Path
) -> None:
    from core.errors import StorageError

    db = tmp_path / "log.db"
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "j.jsonl", max_backoff_s=0.2)
    await writer.start()
    buddy, _ = make_buddy(writer)
    await buddy.handle(IncomingMessage("telegram", "u", f"{SECRET} 잠이 안 와요"))
    assert await writer.flush(timeout=10)
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        try:
            await forget_user(writer.sessions, buddy.user_key("telegram", "u"), writer=writer,
                              timeout=1.0)
        except StorageError:
            pass
        else:
            raise AssertionError("forget reported success while nothing could be deleted")
    finally:
        lock.rollback()
        lock.close()
    await writer.aclose()
    await engine.dispose()


async def test_tombstone_drops_late_writes_and_keeps_later_ones(db_url: str) -> None:
    """On SQLite and PostgreSQL: a turn accepted before the forget never lands, even written
    straight through ``write_turns`` (a journal replayed by another process); a new turn
    after the forget does (a forgotten user may talk again)."""
    engine = open_engine(db_url)
    sessions = session_factory(engine)
    key = "f" * 64
    now = datetime.now(timezone.utc)
    async with sessions() as s, s.begin():
        assert await write_turns(s, [turn_of(key, SECRET, now - timedelta(seconds=10))]) == 2
    async with sessions() as s, s.begin():
        assert await delete_user(s, key, forgotten_at=now) == 2
    async with sessions() as s, s.begin():
        assert await write_turns(s, [turn_of(key, SECRET, now - timedelta(seconds=1))]) == 0
        assert await write_turns(s, [turn_of(key, "다시 왔어요", now + timedelta(seconds=1))]) == 2
    await engine.dispose()


async def test_a_retention_purge_leaves_no_purged_text_in_the_file_or_wal(
    sqlite_url: str, tmp_path: Path
) -> None:
    from core.storage.retention import purge_expired

    db = tmp_path / "log.db"
    engine = open_engine(sqlite_url)
    sessions = session_factory(engine)
    old = datetime.now(timezone.utc) - timedelta(days=100)
    async with sessions() as s, s.begin():
        await write_turns(s, [turn_of("o" * 64, f"{SECRET} 오래된 {n}", old) for n in range(5)])
        await write_turns(s, [turn_of("n" * 64, "요즘 잠이 안 와요", datetime.now(timezone.utc))])
    assert SECRET.encode() in sqlite_bytes(db)
    result = await purge_expired(sessions, 90)
    assert result.messages == 10
    assert SECRET.encode() not in sqlite_bytes(db)
    await engine.dispose()


async def test_forget_racing_a_locked_postgres_table_is_final(db_url: str, tmp_path: Path) -> None:
    """The race on PostgreSQL: another transaction holds the messages table locked."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the SQLite race, with the bytes on disk, is the first test here")
    from sqlalchemy import func, select, text

    from core.storage.models import Message, User

    engine = open_engine(db_url)
    writer = LogWriter(session_factory(engine), journal=tmp_path / "j.jsonl", max_backoff_s=0.2)
    await writer.start()
    buddy, _ = make_buddy(writer)
    for n in range(3):
        await buddy.handle(IncomingMessage("telegram", "forgetme", f"{SECRET} {n}"))
    assert await writer.flush(timeout=10)
    key = buddy.user_key("telegram", "forgetme")
    locker = open_engine(db_url)
    conn = await locker.connect()
    trans = await conn.begin()
    await conn.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
    try:
        for n in range(3, 6):
            await buddy.handle(IncomingMessage("telegram", "forgetme", f"{SECRET} {n}"))
        forget = asyncio.create_task(buddy.forget("telegram", "forgetme"))
        await asyncio.sleep(1.0)
        assert not forget.done()
    finally:
        await trans.rollback()
        await conn.close()
        await locker.dispose()
    assert await asyncio.wait_for(forget, 20) >= 6
    await buddy.handle(IncomingMessage("telegram", "stays", "요즘 잠이 안 와요"))
    assert await writer.flush(timeout=10)
    await writer.aclose()
    async with session_factory(engine)() as s:
        assert await s.scalar(select(func.count()).select_from(Message)
                              .where(Message.user_id == key)) == 0
        assert await s.scalar(select(func.count()).select_from(User).where(User.id == key)) == 0
        assert await s.scalar(select(func.count()).select_from(Message)) == 2
    await engine.dispose()
    assert SECRET.encode() not in disk_bytes(tmp_path / "j.jsonl")
