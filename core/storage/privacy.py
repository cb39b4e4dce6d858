"""Keeping the log's files private and deleted text gone from them.

* ``var/`` is 0700, and the SQLite file, its ``-wal``/``-shm``, the journal and the
  pseudonym key are 0600: checked, and fixed, at every start (:func:`make_private`).
* A deleted message must leave the disk, not only the tables: every SQLite connection runs
  with ``secure_delete`` (freed space is overwritten with zeros, see ``core.storage.db``),
  and after a forget or a retention purge :func:`scrub_deleted` checkpoints the WAL into
  the file and truncates the WAL to nothing (the WAL still holds the old pages otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_files(db: Path) -> list[Path]:
    """The database file and the companions SQLite keeps next to it."""
    return [Path(f"{db}{suffix}") for suffix in _SQLITE_SUFFIXES]


def _tighten(path: Path, mode: int) -> str | None:
    """chmod ``path`` to ``mode`` when it allows more; returns what was done, if anything."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if current & ~mode == 0:
        return None
    try:
        path.chmod(mode)
    except OSError as exc:
        log.error("%s is %04o and could not be made %04o (%s): make it private by hand "
                  "(chmod %o %s)", path, current, mode, exc.strerror, mode, path)
        return None
    return f"{path} was {current:04o}, now {mode:04o}"


def make_private(var_dir: Path, files: Iterable[Path] = ()) -> list[str]:
    """Create ``var_dir`` 0700 and make it and ``files`` owner-only; returns the fixes made.

    A missing SQLite database file is created empty with 0600 first: SQLite gives its
    ``-wal`` and ``-shm`` the database file's mode, so they are private from birth.
    A mode that cannot be changed (another owner) is logged with the command to fix it.
    """
    var_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fixes = [f for f in [_tighten(var_dir, DIR_MODE)] if f]
    for path in files:
        fix = _tighten(path, FILE_MODE)
        if fix:
            fixes.append(fix)
    for fix in fixes:
        log.warning("made private: %s", fix)
    return fixes


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite then keeps the mode)."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


async def scrub_deleted(session: AsyncSession, attempts: int = 10) -> bool:
    """Make deleted rows unreadable on disk; True when done (PostgreSQL: see docs).

    SQLite: ``secure_delete`` already zeroed the freed space in the pages; the checkpoint
    writes those pages into the file and ``TRUNCATE`` empties the WAL, which still held
    the pages as they were before the delete. A reader in the middle of a query keeps the
    checkpoint from finishing: it is retried for a few seconds, then reported.
    """
    if session.bind.dialect.name != "sqlite":
        return True
    for attempt in range(attempts):
        row = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).first()
        await session.commit()
        if row is None or row[0] == 0:
            return True
        await asyncio.sleep(0.1 * (attempt + 1))
    log.warning("deleted text may stay in the SQLite WAL until the next checkpoint: a reader "
                "kept the checkpoint from finishing")
    return False


async def scrub_with(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """:func:`scrub_deleted` on a fresh session from ``sessions``."""
    async with sessions() as session:
        return await scrub_deleted(session)
