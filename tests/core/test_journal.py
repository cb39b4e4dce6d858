"""The write-ahead journal: group commit, crash-torn lines, purges, private files."""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.storage.journal import Journal
from core.storage.privacy import make_private, sqlite_files
from core.storage.records import MessageRow, TurnRecord


def turn(user: str = "u" * 64, text: str = "요즘 잠이 안 와요") -> TurnRecord:
    at = datetime.now(timezone.utc)
    return TurnRecord(user, "web", str(uuid.uuid4()), at, (
        MessageRow(str(uuid.uuid4()), "user", text, at),
        MessageRow(str(uuid.uuid4()), "bot", "그랬군요.", at + timedelta(microseconds=1)),
    ))


async def test_concurrent_appends_share_fsyncs_and_all_land(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "var" / "j.jsonl")
    turns = [turn(text=f"메시지 {n}") for n in range(200)]
    await asyncio.gather(*(journal.append(t) for t in turns))
    assert journal.appended == 200
    assert journal.fsyncs < 100  # group commit: one fsync carried many turns
    assert Journal(journal.path).read() == turns
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    journal.close()


async def test_a_line_torn_by_a_crash_is_skipped_and_the_rest_replayed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    first, second = turn(text="하나"), turn(text="둘")
    await journal.append(first)
    await journal.append(second)
    journal.close()
    with open(journal.path, "ab") as fh:  # a kill in the middle of a write
        fh.write(turn(text="셋").to_json().encode("utf-8")[:50])
    assert Journal(journal.path).read() == [first, second]


async def test_purge_user_and_rewrite_keep_only_what_they_should(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    mine, other = turn("a" * 64, "비밀"), turn("b" * 64, "남는 말")
    await journal.append(mine)
    await journal.append(other)
    journal.set_aside(turn("a" * 64, "비밀 또"), "test")
    assert await journal.purge_user("a" * 64) == 2
    assert "비밀".encode() not in journal.path.read_bytes() + journal.set_aside_path.read_bytes()
    assert Journal(journal.path).read() == [other]
    await journal.rewrite(lambda: [])
    assert journal.path.read_bytes() == b""
    await journal.rewrite(lambda: [], remove_empty=True)
    assert not journal.path.exists()


def test_make_private_fixes_a_world_readable_var_and_log(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)
    db = var / "buddy.db"
    for path in sqlite_files(db)[:3]:
        path.write_bytes(b"x")
        os.chmod(path, 0o644)
    fixes = make_private(var, sqlite_files(db))
    assert len(fixes) == 4
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in sqlite_files(db)[:3])
    assert make_private(var, sqlite_files(db)) == []  # nothing left to fix
