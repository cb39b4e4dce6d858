"""Keeping the log no longer than ``RETENTION_DAYS``: the purge and its daily loop.

A conversation goes once its *last* message is older than the retention period, so a
conversation still going on is never cut in half. ``RETENTION_DAYS=0`` keeps everything.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.review.queries import as_utc, count_before
from core.storage.repository import purge_before, record_audit

log = logging.getLogger(__name__)

DAY_S = 24 * 60 * 60


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    conversations: int
    messages: int
    dry_run: bool


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    """The moment before which conversations are deleted."""
    return (as_utc(now) or datetime.now(timezone.utc)) - timedelta(days=days)


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession],
    days: int,
    *,
    actor: str = "system",
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeResult:
    """Delete conversations older than ``days`` (or only count them with ``dry_run``).

    The deletion and its audit event commit together. ``days`` must be positive: the
    caller decides what 0 (keep everything) means to its user.
    """
    if days <= 0:
        raise ValueError("retention days must be positive (0 means keep everything)")
    cutoff = cutoff_for(days, now)
    async with sessions() as session, session.begin():
        convs, msgs = await count_before(session, cutoff)
        if not dry_run:
            deleted = await purge_before(session, cutoff)
            await record_audit(
                session, actor, "purge", target=f"before {cutoff.isoformat()}",
                detail=f"{convs} conversations, {deleted} messages (retention {days} days)",
            )
            msgs = deleted
    if not dry_run and msgs:
        from core.storage.privacy import scrub_with

        await scrub_with(sessions)  # the deleted text leaves the SQLite file and WAL too
    return PurgeResult(cutoff, convs, msgs, dry_run)


async def daily_purge_loop(
    sessions: async_sessionmaker[AsyncSession], days: int, *, interval_s: float = DAY_S
) -> None:
    """Purge now and then every ``interval_s`` until cancelled (run inside ``buddy serve``).

    A failing purge (database away) is logged and retried at the next round; it never ends
    the loop, because a server that silently stops purging breaks the retention promise.
    """
    if days <= 0:
        log.info("RETENTION_DAYS=0: the conversation log is kept without a time limit")
        return
    while True:
        try:
            result = await purge_expired(sessions, days)
            if result.messages:
                log.info("retention: deleted %d conversations (%d messages) older than %d days",
                         result.conversations, result.messages, days)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention purge failed; will try again in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
