"""Helpers the fault tests share: how a ``buddy`` subprocess is started."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def buddy_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``buddy`` subprocess: no developer settings, its own var dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DISCORD_", "WEB_", "BUDDY_", "DATABASE_", "ALERT_",
                                "ADMIN_"))}
    env.update(BUDDY_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env


def reset_postgres(url: str) -> None:
    """Empty the test PostgreSQL database (the suite's ``db_url`` fixture does the same)."""
    import asyncio

    from sqlalchemy import text

    from core.storage.db import open_engine

    async def drop() -> None:
        engine = open_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())
