"""Users of the conversation log: finding a pseudonymous key, forgetting a user (with the
tombstone that keeps them forgotten), and reading tombstones. Each function takes a
session; the caller owns the transaction.

:func:`core.storage.forget.forget_user` is the whole ``/forget`` (writer queue, delete,
scrub); :func:`delete_user` is its database part.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.handoff import forget_handoff
from core.storage.models import (
    Conversation,
    DialogueStateRow,
    Feedback,
    ForgottenUser,
    Message,
    User,
)
from core.storage.utc import as_utc


async def find_user_keys(session: AsyncSession, ref: str) -> list[str]:
    """Full user keys starting with a short reference (operators type the first 12 chars)."""
    ref = ref.strip().lower()
    if len(ref) < 8:
        return []
    rows = await session.scalars(select(User.id).where(User.id.like(f"{ref}%")))
    return list(rows)


async def delete_user(
    session: AsyncSession, user_key: str, forgotten_at: datetime | None = None
) -> int:
    """Delete a user with every conversation, message and feedback row and their open
    conversation's state (``dialogue_states``); returns messages.

    Also leaves a tombstone (:class:`ForgottenUser`) in the same transaction, so a turn of
    theirs accepted before now but written later is dropped, not re-inserted.
    """
    at = forgotten_at or datetime.now(timezone.utc)
    known = await session.get(ForgottenUser, user_key)
    if known is None:
        session.add(ForgottenUser(user_key=user_key, forgotten_at=at))
    elif as_utc(known.forgotten_at) < at:
        known.forgotten_at = at
    msg_ids = select(Message.id).where(Message.user_id == user_key)
    n = await session.scalar(select(func.count()).select_from(msg_ids.subquery())) or 0
    await session.execute(delete(Feedback).where(Feedback.message_id.in_(msg_ids)))
    await session.execute(delete(Message).where(Message.user_id == user_key))
    await session.execute(delete(Conversation).where(Conversation.user_id == user_key))
    await session.execute(delete(User).where(User.id == user_key))
    await session.execute(delete(DialogueStateRow).where(DialogueStateRow.user_key == user_key))
    await forget_handoff(session, user_key)  # the sealed address and any handoff go too
    return int(n)


async def forgotten_since(session: AsyncSession, user_keys: Iterable[str]) -> dict[str, datetime]:
    """When each of ``user_keys`` that asked to be forgotten did so (UTC)."""
    keys = list(set(user_keys))
    if not keys:
        return {}
    rows = await session.execute(
        select(ForgottenUser.user_key, ForgottenUser.forgotten_at)
        .where(ForgottenUser.user_key.in_(keys)))
    return {key: as_utc(at) for key, at in rows.all()}


async def count_messages(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Message)) or 0)
