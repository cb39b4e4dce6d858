"""Keeping the log no longer than ``RETENTION_DAYS``: the purge and its daily loop.

A conversation goes once its *last* message is older than the retention period, so a
conversation still going on is never cut in half. ``RETENTION_DAYS=0`` keeps everything.
:func:`count_before` and :func:`purge_before` take a session (the caller's transaction);
:func:`purge_expired` is the whole unit of work (count, delete, audit event, then scrub
the deleted text from the SQLite file and WAL) and takes the session factory.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage.audit import record_audit
from core.storage.handoff import purge_handoffs_before
from core.storage.models import (
    Conversation,
    DialogueStateRow,
    Feedback,
    ForgottenUser,
    Message,
    User,
)
from core.storage.privacy import scrub_with
from core.storage.utc import as_utc

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


async def count_before(session: AsyncSession, cutoff: datetime) -> tuple[int, int]:
    """(conversations, messages) that :func:`purge_before` would delete."""
    old = select(Conversation.id).where(Conversation.last_message_at < as_utc(cutoff))
    convs = await session.scalar(select(func.count()).select_from(old.subquery()))
    msgs = await session.scalar(
        select(func.count()).select_from(Message).where(Message.conversation_id.in_(old))
    )
    return int(convs or 0), int(msgs or 0)


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete conversations whose last message is older than ``cutoff`` (and open
    conversation states silent since then); returns messages."""
    old = select(Conversation.id).where(Conversation.last_message_at < cutoff)
    old_msgs = select(Message.id).where(Message.conversation_id.in_(old))
    n = await session.scalar(select(func.count()).select_from(old_msgs.subquery())) or 0
    await session.execute(delete(Feedback).where(Feedback.message_id.in_(old_msgs)))
    await session.execute(delete(Message).where(Message.conversation_id.in_(old)))
    await session.execute(delete(Conversation).where(Conversation.id.in_(old)))
    await session.execute(delete(DialogueStateRow).where(DialogueStateRow.last_at < cutoff))
    await purge_handoffs_before(session, cutoff)  # and the sealed addresses with them
    orphans = select(User.id).where(~User.id.in_(select(Conversation.user_id)))
    await session.execute(delete(User).where(User.id.in_(orphans)))
    # a tombstone older than the retention period guards nothing the purge would keep
    await session.execute(delete(ForgottenUser).where(ForgottenUser.forgotten_at < cutoff))
    return int(n)


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
