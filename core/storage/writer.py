"""The log writer: a turn is on disk before its reply is sent, and reaches the database.

:meth:`LogWriter.log` appends the turn to the write-ahead journal and returns once it is
fsync'd (group commit, ``core.storage.journal``); one background task then writes queued
turns to the database in batches and empties the journal behind it. A reply therefore
never waits on the database, yet a crash (SIGKILL, power loss) loses nothing answered:
start-up replays the journal. Message ids are fixed at accept time, so a replayed or
retried batch skips rows that already landed: nothing is written twice.

Faults are contained rather than fatal (docs/DURABILITY.md has the table): an operational
error (locked, read-only, missing, unreachable database) keeps the turns queued, retries
with backoff and reconnects, so a fault fixed outside Buddy heals without a restart; a row
the database refuses for good is set aside in the journal with the reason and the rest of
its batch is written; text is made encodable before anything is written. While the log
cannot be written :attr:`LogWriter.health` says why, and ``/healthz`` answers 503.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.errors import StorageError
from core.storage.journal import Journal
from core.storage.records import TurnRecord, encodable
from core.storage.turns import accepted_before, write_turns

__all__ = ["LogWriter"]

log = logging.getLogger(__name__)

JOURNAL_WAIT_S = 2.0  # a stalled disk delays a reply at most this long (then: degraded)
COMPACT_BYTES = 4 * 1024 * 1024  # rewrite the journal without written turns past this size
FORGOTTEN_KEPT = timedelta(hours=1)


def is_row_error(exc: BaseException) -> bool:
    """True when the database refused these rows (a retry cannot help), False when it was
    the database or the connection (locked, read-only, gone, unreachable: retry)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    if isinstance(exc, (IntegrityError, DataError)):
        return True
    orig = exc.orig if isinstance(exc, StatementError) else exc
    if "binding parameter" in str(orig):  # sqlite3: a value of a type it cannot store
        return True
    return isinstance(orig, (UnicodeError, ValueError, TypeError, OverflowError)) and not (
        isinstance(orig, StorageError))


def why_failed(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class LogWriter:
    """Owns the journal, the queue of turns not yet in the database and the task that
    writes them (see the module docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        journal: Path | None = None,
        batch_size: int = 256,
        max_backoff_s: float = 5.0,
        *,
        durable: bool = True,
        journal_wait_s: float = JOURNAL_WAIT_S,
        compact_bytes: int = COMPACT_BYTES,
    ) -> None:
        self._sessions = sessions
        self._journal = Journal(journal) if journal is not None else None
        self.durable = durable and journal is not None
        self._batch_size = batch_size
        self._max_backoff = max_backoff_s
        self._journal_wait = journal_wait_s
        self._compact_bytes = compact_bytes
        self._pending: list[TurnRecord] = []
        self._inflight: list[TurnRecord] = []  # taken from the queue, being written
        self._forgotten: dict[str, datetime] = {}
        self._db_lock = asyncio.Lock()  # a batch write, or a forget's delete, at a time
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._db_error: str | None = None
        self._journal_error: str | None = None
        # How many turns at the head of the queue may already be in the database (replayed
        # from a journal, or in a batch whose write failed, maybe after landing): only
        # those are checked for ids that landed.
        self._suspect = 0
        self.written = 0
        self.failures = 0
        self.set_aside = 0
        self.replaced_text = 0
        self.dropped_forgotten = 0

    # --- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Replay the journal a previous run left, then start writing in the background."""
        if self._journal is not None:
            replay = await asyncio.to_thread(self._journal.read)
            if replay:
                log.warning("replaying %d journaled turns not yet known to be in the database",
                            len(replay))
                self._pending[:0] = replay
                self._suspect += len(replay)
                self._idle.clear()
                self._wake.set()
        self._task = asyncio.create_task(self._run(), name="buddy-log-writer")

    async def log(self, turn: TurnRecord) -> bool:
        """Queue ``turn`` and, in durable mode, return once it is fsync'd in the journal.

        Never raises: a reply must go out whatever the disk does. Returns whether the turn
        is durable; when not (no journal, or the journal failing) :attr:`health` says why.
        """
        turn = self._prepare(turn)
        if turn is None:
            return True
        self._enqueue(turn)
        if not self.durable or self._journal is None:
            return False
        try:
            await asyncio.wait_for(self._journal.append(turn), self._journal_wait)
        except (OSError, asyncio.TimeoutError, ValueError, TypeError) as exc:
            if self._journal_error is None:
                log.error("the log journal %s cannot be written (%s): answered turns wait in "
                          "memory only until it can; check the disk and var/ permissions",
                          self._journal.path, why_failed(exc) or "timed out")
            self._journal_error = f"journal: {why_failed(exc) or 'fsync timed out'}"
            return False
        self._journal_error = None
        return True

    def submit(self, turn: TurnRecord) -> None:
        """Queue ``turn`` without waiting for the disk (imports, tests, the background mode
        the benchmark compares with); it is journaled in the background when there is one."""
        turn = self._prepare(turn)
        if turn is None:
            return
        self._enqueue(turn)
        if self._journal is not None and (self.durable or self._db_error):
            task = asyncio.get_running_loop().create_task(self._journal.append(turn))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _prepare(self, turn: TurnRecord) -> TurnRecord | None:
        turn, replaced = encodable(turn)
        if replaced:
            self.replaced_text += 1
            log.warning("a logged text held unencodable characters; replaced with U+FFFD "
                        "and flagged")
        if accepted_before(turn, self._forgotten.get(turn.user_key)):
            self.dropped_forgotten += 1
            return None
        return turn

    def _enqueue(self, turn: TurnRecord) -> None:
        self._pending.append(turn)
        self._idle.clear()
        self._wake.set()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._sessions

    @property
    def backlog(self) -> int:
        return len(self._pending) + len(self._inflight)

    @property
    def journal(self) -> Journal | None:
        return self._journal

    @property
    def health(self) -> tuple[str, str | None]:
        """``("ok", None)``, or ``("degraded", why)`` while the log cannot be written."""
        if self._task is not None and self._task.done() and not self._closing:
            return "degraded", "the log writer task stopped; restart Buddy"
        problems = [p for p in (self._db_error and f"database: {self._db_error}",
                                self._journal_error) if p]
        return ("degraded", "; ".join(problems)) if problems else ("ok", None)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        if not self.backlog:
            return True
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def aclose(self, timeout: float = 5.0) -> None:
        """Write what is queued; whatever cannot be written in time stays in the journal."""
        ok = await self.flush(timeout)
        self._closing = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        left = self._inflight + self._pending
        if self._journal is not None:
            if not ok and left:
                log.error("database unavailable at shutdown; %d turns kept in %s",
                          len(left), self._journal.path)
            with contextlib.suppress(OSError):
                await self._journal.rewrite(lambda: self._inflight + self._pending,
                                            remove_empty=True)
            self._journal.close()

    # --- forget (``core.storage.forget.forget_user`` drives these) -------------------
    def drop_user(self, user_key: str, at: datetime) -> None:
        """Drop ``user_key``'s queued turns, and any turn of theirs accepted before ``at``
        that reaches the writer later. Kept an hour: a turn accepted before a forget
        arrives within seconds, and the database's tombstone covers anything later (a
        journal replayed after a crash)."""
        self._forgotten = {k: t for k, t in self._forgotten.items()
                           if at - t < FORGOTTEN_KEPT}
        self._forgotten[user_key] = at
        self._pending = [t for t in self._pending if t.user_key != user_key]

    @contextlib.asynccontextmanager
    async def writes_paused(self) -> AsyncIterator[None]:
        """No batch is written while this is held; entering waits for one being written."""
        async with self._db_lock:
            yield

    # --- the writing task ------------------------------------------------------------
    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                if not self._pending:
                    await self._shrink_journal()
                    if not self._pending:
                        self._idle.set()
                        self._wake.clear()
                        await self._wake.wait()
                        continue
                ok = await self._write_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # the task must never die: it is the only way into the log
                log.exception("log writer step failed; retrying")
                ok = False
            if ok:
                backoff = 0.2
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _take(self) -> list[TurnRecord]:
        batch = self._pending[: self._batch_size]
        del self._pending[: len(batch)]
        kept = [t for t in batch if not accepted_before(t, self._forgotten.get(t.user_key))]
        self.dropped_forgotten += len(batch) - len(kept)
        return kept

    async def _write_next(self) -> bool:
        """Write the next batch; False when the database failed (retry after a pause)."""
        self._inflight = self._take()
        batch = self._inflight
        if not batch:
            return True
        try:
            async with self._db_lock:
                try:
                    n = await self._commit(batch, check_existing=self._suspect > 0)
                except Exception as exc:
                    if not is_row_error(exc):
                        raise
                    n = await self._isolate(batch, exc)
        except asyncio.CancelledError:
            self._put_back(batch)
            raise
        except Exception as exc:
            await self._failed(exc, batch)
            return False
        if self._db_error:
            log.warning("the log database is writable again; %d turns written", len(batch))
        self._db_error = None
        self.written += n
        self._suspect = max(0, self._suspect - len(batch))
        self._inflight = []
        if self._journal is not None and self._journal.size > self._compact_bytes:
            await self._shrink_journal()  # under steady load the queue is never empty
        return True

    async def _commit(self, turns: Sequence[TurnRecord], *, check_existing: bool) -> int:
        async with self._sessions() as session, session.begin():
            return await write_turns(session, turns, check_existing=check_existing)

    async def _isolate(self, batch: list[TurnRecord], first: BaseException) -> int:
        """Write the batch turn by turn; a turn the database refuses is set aside with the
        reason. An operational error on the way ends it (raised: the batch is retried)."""
        log.warning("the log database refused a batch (%s); writing it turn by turn",
                    why_failed(first))
        n = 0
        for turn in batch:
            try:
                n += await self._commit([turn], check_existing=True)
            except Exception as exc:
                if not is_row_error(exc):
                    raise
                self._set_aside(turn, why_failed(exc))
        return n

    def _set_aside(self, turn: TurnRecord, reason: str) -> None:
        self.set_aside += 1
        log.error("a logged turn was refused by the database (%s); set aside in %s",
                  reason, self._journal.set_aside_path if self._journal else "nowhere")
        if self._journal is not None:
            try:
                self._journal.set_aside(turn, reason)
            except OSError:
                log.exception("could not set the refused turn aside")

    def _put_back(self, batch: list[TurnRecord]) -> None:
        self._pending[:0] = batch
        self._inflight = []
        self._suspect = max(self._suspect, len(batch))

    async def _failed(self, exc: BaseException, batch: list[TurnRecord]) -> None:
        self.failures += 1
        self._put_back(batch)
        why = why_failed(exc)
        if self._db_error is None:
            log.error("the log database cannot be written (%s); %d turns kept%s, retrying",
                      why, self.backlog, " in the journal" if self._journal else " in memory")
        self._db_error = why
        await self._reconnect()
        if self._journal is not None and not self.durable:  # the background mode's safety net
            with contextlib.suppress(OSError):
                await self._journal.rewrite(lambda: self._inflight + self._pending)

    async def _reconnect(self) -> None:
        """Drop pooled connections: one opened while the file was read-only, or to a server
        that went away, keeps failing; the next write opens a fresh one."""
        engine = self._sessions.kw.get("bind")
        if isinstance(engine, AsyncEngine):
            with contextlib.suppress(Exception):
                await engine.dispose()

    async def _shrink_journal(self) -> None:
        """Empty the journal once everything in it is written; rewrite it when it grew."""
        journal = self._journal
        if journal is None or journal.size == 0 or self._db_error:
            return
        if self.backlog and journal.size <= max(self._compact_bytes, 2 * journal.rewritten_size):
            return
        try:
            await journal.rewrite(lambda: self._inflight + self._pending)
        except OSError as exc:
            log.warning("could not shrink the log journal (%s)", why_failed(exc))
