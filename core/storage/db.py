"""Engine and session factory, and applying the Alembic schema.

Nothing connects at import; :func:`open_engine` is called from lifecycle hooks.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    """WAL lets the dashboard read while the bot writes; busy_timeout rides out short locks;
    secure_delete overwrites what a forget or a purge deletes (see ``core.storage.privacy``)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _guard_sqlite_file(engine: AsyncEngine, path: Path) -> None:
    """Make a deleted, moved or replaced SQLite file fail writes instead of swallowing them.

    An open SQLite connection keeps writing to the file it opened even after that file
    was deleted or renamed: every commit "succeeds", the log writer drops its copy, and
    the rows are gone. So each connection remembers which file it opened; on checkout and
    right before each commit the path must still be that file, else the write fails and
    the writer keeps the rows (journal, retries) until the file is restored or migrated
    fresh. Once the file has existed, a missing file is not silently recreated empty.
    """
    seen = False

    def gone() -> StorageError:
        return StorageError(
            f"the log database {path} is gone (deleted or moved away); turns are kept in "
            "the journal. Restore the file, or run `buddy db upgrade` to start a new one."
        )

    def refuse_missing(_dialect, _rec, _cargs, _cparams) -> None:  # noqa: ANN001
        if seen and _file_id(path) is None:
            raise gone()

    def remember(_dbapi_conn, rec) -> None:  # noqa: ANN001
        nonlocal seen
        rec.info["buddy_file_id"] = _file_id(path)
        if rec.info["buddy_file_id"] is None:
            raise gone()
        seen = True

    def still_there(_dbapi_conn, rec, _proxy) -> None:  # noqa: ANN001
        if rec.info.get("buddy_file_id") != _file_id(path):
            raise DisconnectionError(f"{path} was replaced or removed")  # reconnect

    def before_commit(conn) -> None:  # noqa: ANN001
        if conn.info.get("buddy_file_id") != _file_id(path):
            conn.invalidate()
            raise gone()

    sync = engine.sync_engine
    event.listen(sync, "do_connect", refuse_missing)
    event.listen(sync, "connect", remember)
    event.listen(sync, "checkout", still_there)
    event.listen(sync, "commit", before_commit)


def open_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite files get their folder created and sensible pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not parsed.database.startswith("file:"):
                _guard_sqlite_file(engine, path.resolve())
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` (blocking; call off the event loop)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(cfg, revision)


async def upgrade_schema_async(url: str) -> None:
    """Run migrations in a worker thread: Alembic's async env needs its own event loop."""
    await asyncio.to_thread(upgrade_schema, url)
