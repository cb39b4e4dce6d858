"""The background log writer: a reply never waits on the database, and nothing is lost.

Turns are queued in memory and written in batches by one task. When a write fails (a
locked, read-only or missing database) the batch stays queued, is retried with backoff,
and is mirrored to a journal file so that even a restart does not lose it; the journal is
replayed on the next start. Message ids are fixed at accept time, so a retried batch skips
rows that already landed: nothing is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage.models import Conversation, Message, User
from core.storage.records import TurnRecord

log = logging.getLogger(__name__)


async def write_turns(
    session: AsyncSession, turns: Sequence[TurnRecord], *, check_existing: bool = True
) -> int:
    """Insert users, conversations and messages not yet present; returns messages written.

    Rows go in as one executemany per table and kind (no ORM objects: building and flushing
    them cost far more than the inserts). ``check_existing=False`` skips looking up message ids
    that already landed; the writer passes it only for a batch never tried before, which
    cannot have landed.
    """
    user_keys = {t.user_key for t in turns}
    conv_ids = {t.conversation_id for t in turns}
    known_users = set(await session.scalars(select(User.id).where(User.id.in_(user_keys))))
    known_convs = set(
        await session.scalars(select(Conversation.id).where(Conversation.id.in_(conv_ids)))
    )
    present: set[str] = set()
    if check_existing:
        msg_ids = [m.id for t in turns for m in t.messages]
        present = set(await session.scalars(select(Message.id).where(Message.id.in_(msg_ids))))
    # Later turns win, as they did when one object per row was updated turn by turn.
    new_users: dict[str, dict[str, Any]] = {}
    seen_users: dict[str, datetime] = {}
    new_convs: dict[str, dict[str, Any]] = {}
    seen_convs: dict[str, datetime] = {}
    rows: list[dict[str, Any]] = []
    for turn in turns:
        last = max((m.created_at for m in turn.messages), default=turn.conversation_started_at)
        if turn.user_key in known_users:
            seen_users[turn.user_key] = last
        elif turn.user_key in new_users:
            new_users[turn.user_key]["last_seen_at"] = last
        else:
            new_users[turn.user_key] = {"id": turn.user_key, "platform": turn.platform,
                                        "created_at": last, "last_seen_at": last}
        if turn.conversation_id in known_convs:
            seen_convs[turn.conversation_id] = last
        elif turn.conversation_id in new_convs:
            new_convs[turn.conversation_id]["last_message_at"] = last
        else:
            new_convs[turn.conversation_id] = {
                "id": turn.conversation_id, "user_id": turn.user_key, "platform": turn.platform,
                "started_at": turn.conversation_started_at, "last_message_at": last,
            }
        for m in turn.messages:
            if m.id in present:
                continue
            present.add(m.id)
            rows.append({
                "id": m.id,
                "conversation_id": turn.conversation_id,
                "user_id": turn.user_key,
                "platform": turn.platform,
                "role": m.role,
                "text": m.text,
                "kind": m.kind,
                "category": m.category,
                "confidence": m.confidence,
                "crisis": m.crisis,
                "signals": json.dumps(list(m.signals), ensure_ascii=False) if m.signals else None,
                "risk_level": m.risk_level,
                "model_id": m.model_id,
                "latency_ms": m.latency_ms,
                "created_at": m.created_at,
                "reviewed_at": None,
            })
    # Core statements on the tables: each list goes to the driver as one executemany. (The
    # ORM's bulk path splits rows whose None columns differ into one INSERT each.)
    users, convs, messages = User.__table__, Conversation.__table__, Message.__table__
    if new_users:
        await session.execute(insert(users), list(new_users.values()))
    if seen_users:
        await session.execute(
            update(users).where(users.c.id == bindparam("key"))
            .values(last_seen_at=bindparam("at")),
            [{"key": k, "at": at} for k, at in seen_users.items()],
        )
    if new_convs:
        await session.execute(insert(convs), list(new_convs.values()))
    if seen_convs:
        await session.execute(
            update(convs).where(convs.c.id == bindparam("key"))
            .values(last_message_at=bindparam("at")),
            [{"key": k, "at": at} for k, at in seen_convs.items()],
        )
    if rows:
        await session.execute(insert(messages), rows)
    return len(rows)


class LogWriter:
    """Owns the queue of turns waiting to be written and the task that writes them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        journal: Path | None = None,
        batch_size: int = 256,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._journal = journal
        self._batch_size = batch_size
        self._max_backoff = max_backoff_s
        self._pending: list[TurnRecord] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._degraded = False
        # How many turns at the head of the queue may already be in the database (replayed
        # from a journal, or in a batch whose write failed, maybe after landing): only
        # those are checked for ids that landed.
        self._suspect = 0
        self.written = 0
        self.failures = 0

    # --- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Replay a journal left by a previous run, then start writing in the background."""
        if self._journal and self._journal.exists():
            lines = self._journal.read_text(encoding="utf-8").splitlines()
            replay = []
            for n, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    replay.append(TurnRecord.from_json(line))
                except (ValueError, KeyError, TypeError):
                    log.error("journal %s line %d is damaged; skipped", self._journal, n)
            if replay:
                log.warning("replaying %d logged turns kept while the database was away", len(replay))
                self._pending[:0] = replay
                self._suspect += len(replay)
                self._idle.clear()
                self._wake.set()
        self._task = asyncio.create_task(self._run(), name="buddy-log-writer")

    def submit(self, turn: TurnRecord) -> None:
        """Queue a turn; returns at once."""
        if self._closing:
            log.warning("log writer is closing; turn kept in the journal only")
            self._append_journal([turn])
            return
        self._pending.append(turn)
        if self._degraded:  # the database is away: a crash now must not lose this turn
            self._append_journal([turn])
        self._idle.clear()
        self._wake.set()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._sessions

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        if not self._pending:
            return True
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def aclose(self, timeout: float = 5.0) -> None:
        """Write what is queued; whatever cannot be written in time goes to the journal."""
        ok = await self.flush(timeout)
        self._closing = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if not ok and self._pending:
            log.error("database unavailable at shutdown; %d turns kept in %s",
                      len(self._pending), self._journal)
            self._write_journal(self._pending)

    # --- the writing task ------------------------------------------------------------
    async def _run(self) -> None:
        backoff = 0.2
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._pending[: self._batch_size]
            try:
                async with self._sessions() as session, session.begin():
                    n = await write_turns(session, batch, check_existing=self._suspect > 0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any database failure: keep the rows, retry later
                self.failures += 1
                self._suspect = max(self._suspect, len(batch))
                self._degraded = True
                log.warning("log write failed (%s); %d turns kept, retrying in %.1fs",
                            type(exc).__name__, len(self._pending), backoff)
                self._write_journal(self._pending)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = 0.2
            self._degraded = False
            self.written += n
            self._suspect = max(0, self._suspect - len(batch))
            del self._pending[: len(batch)]
            if not self._pending:
                self._clear_journal()

    # --- journal ---------------------------------------------------------------------
    def _write_journal(self, turns: Sequence[TurnRecord]) -> None:
        if not self._journal:
            return
        try:
            self._journal.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._journal.with_suffix(".tmp")
            tmp.write_text("".join(t.to_json() + "\n" for t in turns), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(self._journal)
        except OSError:
            log.exception("could not write the log journal %s", self._journal)

    def _append_journal(self, turns: Sequence[TurnRecord]) -> None:
        if not self._journal:
            return
        try:
            with open(self._journal, "a", encoding="utf-8") as fh:
                fh.writelines(t.to_json() + "\n" for t in turns)
        except OSError:
            log.exception("could not append to the log journal %s", self._journal)

    def _clear_journal(self) -> None:
        if self._journal and self._journal.exists():
            with contextlib.suppress(OSError):
                self._journal.unlink()
