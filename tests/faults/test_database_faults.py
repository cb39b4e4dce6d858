"""The log database failing while users talk: replies keep coming and no turn is lost.

Each test drives a real :class:`~core.pipeline.Buddy` (fixed classifier, real answer book)
with a real :class:`~core.storage.writer.LogWriter` on a real SQLite file (and, for the
replay after a crash, on the PostgreSQL server CI starts). The proof of "nothing lost,
nothing written twice" is always the same: the message ids the pipeline handed to the
writer are exactly the ids in the ``messages`` table, and every user text is there once.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory, upgrade_schema_async
from core.storage.models import Message
from core.storage.records import TurnRecord
from core.storage.turns import write_turns
from core.storage.writer import LogWriter

SLEEP_ANSWERS = ["잠이 오지 않는 밤은 길게 느껴지죠.", "요즘 잠들기가 많이 힘드시군요."]
PLATFORM = "telegram"


@dataclass
class Submitted:
    """Every turn the pipeline handed to the writer, as the writer received it."""

    turns: list[TurnRecord] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [m.id for t in self.turns for m in t.messages]

    def ids_from(self, start: int) -> list[str]:
        return [m.id for t in self.turns[start:] for m in t.messages]


def make_buddy(writer: LogWriter) -> tuple[Buddy, Submitted]:
    """A Buddy whose every message is a sleep question, and a record of what it logged."""
    submitted = Submitted()
    log_turn = writer.log

    async def recording_log(turn: TurnRecord) -> bool:
        submitted.turns.append(turn)
        return await log_turn(turn)

    writer.log = recording_log  # type: ignore[method-assign]
    buddy = Buddy(
        classifier=FixedClassifier({}, default="증상/불면"),
        answers=AnswerBook({"증상/불면": SLEEP_ANSWERS}, seed=1),
        pseudonym_secret=b"faults",
        writer=writer,
        flood_limit_per_minute=1000,
    )
    return buddy, submitted


async def converse(buddy: Buddy, tag: str, users: int, each: int) -> list[str]:
    """``users`` people each send ``each`` messages in turn, all at once; returns the texts.

    Asserts what the users notice: every message gets the category answer.
    """

    async def one_user(user: int) -> list[str]:
        sent = []
        for n in range(each):
            text = f"요즘 잠이 안 와요 {tag}-{user}-{n}"
            reply = await buddy.handle(IncomingMessage(PLATFORM, f"{tag}{user}", text))
            assert reply.kind is ReplyKind.ANSWER and reply.text in SLEEP_ANSWERS
            sent.append(text)
        return sent

    per_user = await asyncio.gather(*(one_user(u) for u in range(users)))
    return [text for texts in per_user for text in texts]


def stored(db: Path) -> tuple[list[str], dict[str, int]]:
    """(all message ids, how often each user text is stored) straight from the file."""
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM messages")]
        texts = dict(conn.execute(
            "SELECT text, count(*) FROM messages WHERE role = 'user' GROUP BY text").fetchall())
    return ids, texts


def assert_logged_once(db: Path, submitted: Submitted, texts: list[str]) -> None:
    ids, counts = stored(db)
    assert sorted(ids) == sorted(submitted.ids)  # every row landed, none twice
    assert {t: counts.get(t, 0) for t in texts} == dict.fromkeys(texts, 1)


def journal_ids(journal: Path) -> list[str]:
    if not journal.exists():
        return []
    lines = journal.read_text(encoding="utf-8").splitlines()
    return [m.id for line in lines if line.strip() for m in TurnRecord.from_json(line).messages]


@dataclass
class Log:
    db: Path
    url: str
    journal: Path
    writer: LogWriter
    engine: AsyncEngine


@pytest.fixture
async def log(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Log]:
    """A writer with a journal on the test's own migrated SQLite file; retries every 0.2 s."""
    engine = open_engine(sqlite_url)
    journal = tmp_path / "var" / "log-journal.jsonl"
    writer = LogWriter(session_factory(engine), journal=journal, max_backoff_s=0.2)
    await writer.start()
    yield Log(tmp_path / "log.db", sqlite_url, journal, writer, engine)
    await writer.aclose(timeout=1)
    await engine.dispose()


def _sqlite_files(db: Path) -> Iterator[Path]:
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            yield path


async def test_read_only_database_keeps_replies_and_writes_every_turn_once_it_is_writable(
    log: Log,
) -> None:
    """Read-only as SQLite reports it to the writer ("attempt to write a readonly database").

    ``chmod 0444`` would not do: it binds neither root nor a connection already open, so
    the writer's connections are switched to SQLite's own read-only mode instead.
    """
    read_only = False

    def on_checkout(dbapi_conn, _rec, _proxy) -> None:  # noqa: ANN001
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        cur.close()

    event.listen(log.engine.sync_engine, "checkout", on_checkout)
    buddy, submitted = make_buddy(log.writer)

    before = await converse(buddy, "a", users=3, each=2)
    assert await log.writer.flush(timeout=10)
    landed = len(submitted.turns)

    read_only = True
    during = await converse(buddy, "b", users=4, each=5)  # every user still gets answers
    assert not await log.writer.flush(timeout=1.0)
    assert log.writer.failures >= 1
    assert sorted(journal_ids(log.journal)) == sorted(submitted.ids_from(landed))
    ids, _ = stored(log.db)
    assert sorted(ids) == sorted(submitted.ids[: 2 * landed])  # nothing half-written

    read_only = False
    after = await converse(buddy, "c", users=2, each=2)
    assert await log.writer.flush(timeout=10)
    assert_logged_once(log.db, submitted, before + during + after)
    assert journal_ids(log.journal) == []  # emptied once everything landed


@pytest.mark.parametrize("how", ["moved away and back", "deleted, then migrated fresh"])
async def test_database_file_gone_mid_run_loses_nothing(log: Log, tmp_path: Path, how: str
                                                        ) -> None:
    """An open SQLite connection would keep writing into a deleted or moved file: the
    writer must notice, keep the rows, and write them once the file is back."""
    buddy, submitted = make_buddy(log.writer)
    before = await converse(buddy, "a", users=3, each=2)
    assert await log.writer.flush(timeout=10)
    landed = len(submitted.turns)

    away = tmp_path / "away"
    away.mkdir()
    for path in list(_sqlite_files(log.db)):
        if how.startswith("moved"):
            shutil.move(path, away / path.name)
        else:
            path.unlink()

    during = await converse(buddy, "b", users=4, each=5)
    assert not await log.writer.flush(timeout=1.0)
    assert sorted(journal_ids(log.journal)) == sorted(submitted.ids_from(landed))
    assert not log.db.exists()  # not silently recreated as an empty file

    if how.startswith("moved"):
        for path in away.iterdir():
            shutil.move(path, log.db.parent / path.name)
        expected_texts = before + during
    else:
        await upgrade_schema_async(log.url)
        expected_texts = during
        submitted.turns[:landed] = []  # those rows went with the deleted file
    after = await converse(buddy, "c", users=2, each=2)
    assert await log.writer.flush(timeout=10)
    assert_logged_once(log.db, submitted, expected_texts + after)
    assert journal_ids(log.journal) == []  # emptied once everything landed


async def test_a_lock_held_through_a_burst_delays_the_log_but_never_the_replies(
    log: Log,
) -> None:
    buddy, submitted = make_buddy(log.writer)
    locker = sqlite3.connect(log.db, timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process writes a long transaction
    try:
        texts = await converse(buddy, "burst", users=10, each=5)
        assert len(texts) == 50  # all answered while the database is still locked
        assert locker.in_transaction
        assert stored_ids_via(locker) == []
        assert log.writer.backlog > 0
        await asyncio.sleep(0.5)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert await log.writer.flush(timeout=15)
    ids, _ = stored(log.db)
    assert len(ids) == len(set(ids)) == 100
    assert_logged_once(log.db, submitted, texts)


def stored_ids_via(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM messages")]


def _unreachable(db_url: str, tmp_path: Path) -> str:
    """A database URL of the same kind that cannot be written: nothing listens / no file."""
    if db_url.startswith("sqlite"):
        (tmp_path / "not-a-file.db").mkdir()  # SQLite cannot open a directory
        return f"sqlite+aiosqlite:///{tmp_path / 'not-a-file.db'}"
    return "postgresql+asyncpg://postgres@127.0.0.1:1/buddy_test"


async def _count(url: str) -> tuple[int, int, list[str]]:
    engine = open_engine(url)
    async with session_factory(engine)() as s:
        total = await s.scalar(select(func.count()).select_from(Message))
        distinct = await s.scalar(select(func.count(func.distinct(Message.id))))
        ids = list(await s.scalars(select(Message.id)))
    await engine.dispose()
    return int(total or 0), int(distinct or 0), ids


async def test_turns_kept_through_a_crash_are_replayed_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    """The process stops while the database is away; the next start writes every turn
    once, even the ones that had landed just before the crash and are also journaled."""
    journal = tmp_path / "var" / "log-journal.jsonl"
    dead = open_engine(_unreachable(db_url, tmp_path))
    writer = LogWriter(session_factory(dead), journal=journal, max_backoff_s=0.2)
    await writer.start()
    buddy, submitted = make_buddy(writer)
    texts = await converse(buddy, "crash", users=5, each=3)
    await buddy.aclose(timeout=0.5)  # shutdown while the database is unreachable
    await dead.dispose()
    assert sorted(journal_ids(journal)) == sorted(submitted.ids)

    engine = open_engine(db_url)
    async with session_factory(engine)() as s, s.begin():  # landed just before the crash
        assert await write_turns(s, submitted.turns[:4]) == 8
    restarted = LogWriter(session_factory(engine), journal=journal)
    await restarted.start()
    assert await restarted.flush(timeout=15)
    await restarted.aclose()
    assert not journal.exists()

    again = LogWriter(session_factory(engine), journal=journal)  # a second restart: nothing
    await again.start()
    await again.aclose()
    await engine.dispose()

    total, distinct, ids = await _count(db_url)
    assert total == distinct == 2 * len(texts) == 30
    assert sorted(ids) == sorted(submitted.ids)


async def test_database_file_moved_in_the_middle_of_a_write_loses_nothing(
    log: Log, tmp_path: Path
) -> None:
    """The file vanishes after the writer's transaction began: the commit must not "succeed"
    into the moved file while the writer forgets the rows."""
    buddy, submitted = make_buddy(log.writer)
    away = tmp_path / "away"
    away.mkdir()
    moved = False

    def move_on_first_insert(_conn, _cursor, statement: str, *_args) -> None:  # noqa: ANN001
        nonlocal moved
        if not moved and statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            moved = True
            for path in list(_sqlite_files(log.db)):
                shutil.move(path, away / path.name)

    event.listen(log.engine.sync_engine, "before_cursor_execute", move_on_first_insert)
    texts = await converse(buddy, "mid", users=3, each=2)
    assert not await log.writer.flush(timeout=1.0)
    assert moved and sorted(journal_ids(log.journal)) == sorted(submitted.ids)

    for path in away.iterdir():
        shutil.move(path, log.db.parent / path.name)
    assert await log.writer.flush(timeout=10)
    assert_logged_once(log.db, submitted, texts)
