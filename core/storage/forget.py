"""``/forget`` as one unit of work: everything of a user leaves the log, for good.

Why one function: a forget touches three things that must agree. The log writer's queue
(turns of theirs not yet written are dropped, a turn still being answered is dropped when
it arrives), the database (rows deleted and a tombstone committed in one transaction, so a
journal replayed after a crash cannot bring them back) and the files (the deleted text is
scrubbed from the SQLite file, its WAL and the journal). A batch the writer is writing
when the forget arrives is waited for, then deleted with the rest.

The caller (``Buddy.forget``, ``buddy logs forget``) hands in its own session factory;
the database work runs in a transaction opened here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timezone

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import StorageError
from core.storage.privacy import scrub_deleted
from core.storage.users import delete_user
from core.storage.writer import LogWriter, why_failed

log = logging.getLogger(__name__)

FORGET_TIMEOUT_S = 15.0


async def forget_user(
    sessions: async_sessionmaker[AsyncSession],
    user_key: str,
    *,
    writer: LogWriter | None = None,
    timeout: float = FORGET_TIMEOUT_S,
) -> int:
    """Delete everything of ``user_key``, for good; returns messages deleted.

    Raises :class:`~core.errors.StorageError` when the database cannot be reached within
    ``timeout``: nothing may then be reported as deleted. A failure to scrub the files
    after the rows are deleted and tombstoned is logged, not raised.
    """
    at = datetime.now(timezone.utc)
    if writer is not None:
        writer.drop_user(user_key, at)

    def writes_paused() -> contextlib.AbstractAsyncContextManager[None]:
        return writer.writes_paused() if writer is not None else contextlib.nullcontext()

    async def delete() -> int:
        async with writes_paused(), sessions() as session, session.begin():
            return await delete_user(session, user_key, forgotten_at=at)

    try:
        n = await asyncio.wait_for(delete(), timeout)
    except (asyncio.TimeoutError, OSError, DBAPIError, StorageError) as exc:
        log.error("forget could not reach the log (%s); nothing reported as deleted",
                  why_failed(exc) or "timed out")
        raise StorageError("the conversation log could not be reached to delete this "
                           "user's records; try again shortly") from exc
    try:  # deleted and tombstoned: now make the text unreadable on disk as well
        async with writes_paused(), sessions() as session:
            await scrub_deleted(session)
        if writer is not None and writer.journal is not None:
            await writer.journal.purge_user(user_key)
    except Exception:
        log.exception("forget: the rows are deleted, but scrubbing the files failed")
    return n
