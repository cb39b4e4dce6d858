"""Fixtures shared by the whole suite: real SQLite log files, a Buddy built from fakes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.storage.db import open_engine, session_factory, upgrade_schema
from core.storage.writer import LogWriter

SHARED_WELLNESS = Path(__file__).resolve().parents[2] / "shared" / "data" / "wellness_dataset_original.csv"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's .env or writes into the repository's var/."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BUDDY_VAR_DIR", str(tmp_path / "var"))
    for name in ("DATABASE_URL", "BUDDY_MODEL", "TELEGRAM_TOKEN", "DISCORD_TOKEN", "ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    upgrade_schema(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on a SQLite file and on the real PostgreSQL server CI starts."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    else:
        url = os.environ.get("DATABASE_URL_POSTGRES_TEST", "")
        if not url:
            pytest.skip("DATABASE_URL_POSTGRES_TEST not set (bash scripts/start_postgres.sh)")
        _reset_postgres(url)
    upgrade_schema(url)
    return url


def _reset_postgres(url: str) -> None:
    import asyncio

    from sqlalchemy import text

    async def drop() -> None:
        engine = open_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())


@pytest.fixture
async def log_db(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[LogWriter, Path]]:
    """A running log writer on a real SQLite file, with the file's path (for raw checks)."""
    engine = open_engine(sqlite_url)
    writer = LogWriter(session_factory(engine))
    await writer.start()
    yield writer, tmp_path / "log.db"
    await writer.aclose()
    await engine.dispose()


@pytest.fixture
async def writer(sqlite_url: str) -> AsyncIterator[LogWriter]:
    engine = open_engine(sqlite_url)
    w = LogWriter(session_factory(engine))
    await w.start()
    yield w
    await w.aclose()
    await engine.dispose()
