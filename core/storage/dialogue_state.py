"""Reading and writing each user's open conversation (``dialogue_states``), cache in front.

Why this shape: the state must be shared by every process (a restart, a second
``buddy serve``), so each turn reads the row and writes it back; but a reply must never wait
long for it or fail because of it. So every database call has a short timeout, a failure
answers from the per-process cache (this process's last known state) and pauses the
database for a cool-down, and nothing here raises into the reply path. The cost measured in
``docs/BENCHMARKS.md``: one primary-key read and one upsert per turn.

Concurrency: turns of one user are sequential in practice (a person waits for the reply);
two processes writing the same user at the same instant keep the last write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.dialogue.state import DialogueState, QuestionKind
from core.storage.models import DialogueStateRow

log = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_S = 1.5
COOLDOWN_S = 10.0


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def to_row_values(user_key: str, state: DialogueState) -> dict[str, object]:
    """The column values of ``state`` (JSON for the id list: no pickle)."""
    return {
        "user_key": user_key,
        "conversation_id": state.conversation_id,
        "started_at": state.started_at,
        "last_at": state.last_at,
        "turns": state.turns,
        "topic": state.topic,
        "topic_family": state.topic_family,
        "topic_confidence": state.topic_confidence,
        "question": state.question,
        "question_kind": state.question_kind.value if state.question_kind else None,
        "safety_level": state.safety_level,
        "safety_until": state.safety_until,
        "safety_turns": state.safety_turns,
        "crisis_replies": state.crisis_replies,
        "given": json.dumps(list(state.given)),
        "updated_at": datetime.now(timezone.utc),
    }


def from_row(row: DialogueStateRow) -> DialogueState:
    """The state a row holds; an unreadable id list or kind is dropped, not fatal."""
    try:
        given = tuple(str(g) for g in json.loads(row.given or "[]"))
    except (ValueError, TypeError):
        given = ()
    try:
        kind = QuestionKind(row.question_kind) if row.question_kind else None
    except ValueError:
        kind = None
    return DialogueState(
        conversation_id=row.conversation_id,
        started_at=_utc(row.started_at),  # type: ignore[arg-type]
        last_at=_utc(row.last_at),  # type: ignore[arg-type]
        turns=row.turns or 0,
        topic=row.topic,
        topic_confidence=row.topic_confidence,
        question=row.question,
        question_kind=kind,
        safety_level=row.safety_level or 0,
        safety_until=_utc(row.safety_until),
        safety_turns=row.safety_turns or 0,
        crisis_replies=row.crisis_replies or 0,
        given=given,
    )


async def read_state(session: AsyncSession, user_key: str) -> DialogueState | None:
    row = await session.get(DialogueStateRow, user_key, populate_existing=True)
    return from_row(row) if row is not None else None


async def write_state(session: AsyncSession, user_key: str, state: DialogueState) -> None:
    """Insert or replace the row (one statement on SQLite and PostgreSQL)."""
    values = to_row_values(user_key, state)
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(DialogueStateRow).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DialogueStateRow.user_key],
        set_={k: v for k, v in values.items() if k != "user_key"},
    )
    await session.execute(stmt)


async def delete_state(session: AsyncSession, user_key: str) -> None:
    await session.execute(delete(DialogueStateRow).where(DialogueStateRow.user_key == user_key))


class DialogueStateStore:
    """The shared state with a per-process cache; ``sessions=None`` keeps it in memory only
    (tests without a database, ``buddy ask``)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        timeout: float = TIMEOUT_S,
        cooldown: float = COOLDOWN_S,
        max_cached: int = 100_000,
    ) -> None:
        self._sessions = sessions
        self._timeout = timeout
        self._cooldown = cooldown
        self._max = max_cached
        self._cache: OrderedDict[str, DialogueState | None] = OrderedDict()
        self._paused_until = 0.0
        self._dirty: set[str] = set()  # saved here but not yet in the database
        self.failures = 0  # database calls that failed or timed out (health, tests)

    @property
    def shared(self) -> bool:
        """True when the state goes through the database right now (not paused)."""
        return self._sessions is not None and time.monotonic() >= self._paused_until

    def cached(self, user_key: str) -> DialogueState | None:
        return self._cache.get(user_key)

    async def load(self, user_key: str) -> DialogueState | None:
        """The user's open conversation: the database's copy, else this process's."""
        if self.shared and user_key in self._dirty:
            await self.save(user_key, self._cache.get(user_key))  # type: ignore[arg-type]
        if self.shared and user_key not in self._dirty:
            async def read() -> DialogueState | None:
                async with self._sessions() as session:  # type: ignore[misc]
                    return await read_state(session, user_key)

            ok, state = await self._call(read)
            if ok:
                self._remember(user_key, state)
                return state
        return self._cache.get(user_key)

    async def save(self, user_key: str, state: DialogueState | None) -> None:
        """Keep ``state`` here at once, then in the database (never raises); None ends the
        conversation. A write that fails is retried on the user's next turn."""
        self._remember(user_key, state)
        self._dirty.add(user_key)
        if not self.shared:
            return

        async def write() -> None:
            async with self._sessions() as session, session.begin():  # type: ignore[misc]
                if state is None:
                    await delete_state(session, user_key)
                else:
                    await write_state(session, user_key, state)

        ok, _ = await self._call(write)
        if ok:
            self._dirty.discard(user_key)

    async def end(self, user_key: str) -> None:
        """Close the user's conversation: the next message starts a new one."""
        await self.save(user_key, None)

    def end_soon(self, user_key: str) -> None:
        """:meth:`end` for synchronous callers (``/reset``): the cache at once, the row from
        a task on the running loop (before this user's next message is read)."""
        self._remember(user_key, None)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.end(user_key))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    def forget(self, user_key: str) -> None:
        """Drop the cached copy; the row goes with the user's log (``delete_user``)."""
        self._cache.pop(user_key, None)
        self._dirty.discard(user_key)

    def _remember(self, user_key: str, state: DialogueState | None) -> None:
        self._cache[user_key] = state
        self._cache.move_to_end(user_key)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def _call(self, fn: Callable[[], Awaitable[T]]) -> tuple[bool, T | None]:
        """(True, result) or (False, None) after a failure, which pauses the database."""
        try:
            return True, await asyncio.wait_for(fn(), self._timeout)
        except Exception as exc:  # a state failure must never break a reply
            self.failures += 1
            self._paused_until = time.monotonic() + self._cooldown
            log.warning("conversation state unavailable (%s); using this process's copy "
                        "for %.0fs", type(exc).__name__, self._cooldown)
            return False, None
