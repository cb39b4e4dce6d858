"""Writing turns into the database: one executemany per table and kind.

The only way turns (users, conversations, messages) get into the log; the log writer
(``core.storage.writer``) calls :func:`write_turns` in its own transaction per batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import Conversation, Message, User
from core.storage.records import TurnRecord
from core.storage.users import forgotten_since
from core.storage.utc import as_utc


async def write_turns(
    session: AsyncSession, turns: Sequence[TurnRecord], *, check_existing: bool = True
) -> int:
    """Insert users, conversations and messages not yet present; returns messages written.

    Rows go in as one executemany per table and kind (no ORM objects: building and flushing
    them cost far more than the inserts). ``check_existing=False`` skips looking up message ids
    that already landed; the writer passes it only for a batch never tried before, which
    cannot have landed. Turns of a user who asked to be forgotten after they were accepted
    are dropped (the tombstone is read in the same transaction).
    """
    gone = await forgotten_since(session, {t.user_key for t in turns})
    if gone:
        turns = [t for t in turns if not accepted_before(t, gone.get(t.user_key))]
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


def accepted_before(turn: TurnRecord, moment: datetime | None) -> bool:
    """Whether ``turn`` was accepted before ``moment`` (a forget): then it is dropped."""
    if moment is None:
        return False
    first = min((m.created_at for m in turn.messages), default=turn.conversation_started_at)
    return as_utc(first) <= as_utc(moment)


