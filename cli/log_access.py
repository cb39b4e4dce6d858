"""How a ``buddy logs`` command reaches the log: open it migrated, hand over sessions, audit.

Every command goes through ``run_on_log`` so that none can read the log without the schema
being current, and every action is written to the audit trail as ``cli:<os user>``.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.common import fail, settings_or_exit
from core.config import Settings

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


def actor() -> str:
    """The operator as the audit log names them: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


def run_on_log(work: Callable[[Sessions, Settings], Awaitable[T]]) -> T:
    """Open the (migrated) log, run ``work`` with a session factory, close everything."""
    from core.storage.db import open_engine, session_factory, upgrade_schema_async

    settings = settings_or_exit()
    url = settings.resolved_database_url

    async def main() -> T:
        try:
            await upgrade_schema_async(url)
        except Exception as exc:  # the database's own words, without the URL's password
            fail(f"cannot open the {url.split('://')[0]} log database: {exc}. "
                 "Check DATABASE_URL (or BUDDY_VAR_DIR) in .env.")
        engine = open_engine(url)
        try:
            return await work(session_factory(engine), settings)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def audit(sessions: Sessions, action: str, target: str | None = None,
                detail: str | None = None) -> None:
    """Record one operator action in its own transaction."""
    from core.storage.audit import record_audit

    async with sessions() as s, s.begin():
        await record_audit(s, actor(), action, target, detail)
