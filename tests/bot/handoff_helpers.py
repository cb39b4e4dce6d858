"""A Buddy with the human handoff on, over a real SQLite file, for the channel tests.

The handoff service is the real one (sealed addresses, conditional takes, audit); its
``deliver`` is :class:`bot.delivery.ChannelDelivery`, exactly as ``buddy serve`` builds it,
so an operator's message travels through the real channels to the platforms' stand-ins.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from web_helpers import make_buddy

from bot.delivery import ChannelDelivery
from core.handoff.crypto import AddressBox, decode_key, new_key
from core.handoff.hours import parse_hours
from core.handoff.service import HandoffService
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory, upgrade_schema_async
from core.storage.writer import LogWriter

OPERATORS = ("kim", "lee")


@dataclass
class HandoffSite:
    buddy: Buddy
    service: HandoffService
    delivery: ChannelDelivery
    writer: LogWriter
    db: Path

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        with sqlite3.connect(self.db) as con:
            return con.execute(sql).fetchall()

    async def only_conversation(self) -> str:
        """The id of the one conversation logged so far (what an operator opens)."""
        assert await self.writer.flush(timeout=10)
        [(conversation_id,)] = self.rows("SELECT id FROM conversations")
        return str(conversation_id)

    def file_bytes(self) -> bytes:
        """The database file and its WAL, as they lie on disk."""
        return b"".join(p.read_bytes() for p in (self.db, Path(f"{self.db}-wal"))
                        if p.exists())


@asynccontextmanager
async def handoff_site(folder: Path) -> AsyncIterator[HandoffSite]:
    """The core with handoff on; ``site.delivery.add(channel)`` once a channel runs."""
    db = folder / "log.db"
    url = f"sqlite+aiosqlite:///{db}"
    await upgrade_schema_async(url)
    engine = open_engine(url)
    sessions = session_factory(engine)
    writer = LogWriter(sessions)
    await writer.start()
    delivery = ChannelDelivery()
    service = HandoffService(sessions=sessions, box=AddressBox(decode_key(new_key())),
                             hours=parse_hours("always"), operators=OPERATORS,
                             deliver=delivery, idle=timedelta(minutes=15))
    try:
        yield HandoffSite(make_buddy(writer, handoff=service), service, delivery, writer, db)
    finally:
        await writer.aclose()
        await engine.dispose()
