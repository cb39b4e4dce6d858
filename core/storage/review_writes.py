"""Operators' changes to the log: relabelling a user's message and marking a crisis
message reviewed. Each also writes its audit event in the caller's transaction, so an
action is never stored without its record."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from core.review.views import MessageView
from core.storage.audit import record_audit
from core.storage.models import Feedback, Message
from core.storage.review_reads import get_message


async def relabel(
    session: AsyncSession,
    message_id: str,
    category: str,
    actor: str,
    allowed: Collection[str] | None = None,
) -> MessageView:
    """Store an operator's category for a user's message (feeds ``export --corrections``).

    Raises ``LookupError`` for an unknown message and ``ValueError`` when the message is
    not a user's text or the category is not on the label list.
    """
    category = category.strip()
    msg = await session.get(Message, message_id)
    if msg is None:
        raise LookupError(f"no message {message_id!r}")
    if msg.role != "user" or msg.kind != "text":
        raise ValueError("only users' text messages can be relabelled")
    if not category or (allowed is not None and category not in allowed):
        raise ValueError(f"{category!r} is not on the label list")
    session.add(Feedback(message_id=message_id, corrected_category=category, source="operator"))
    await record_audit(
        session, actor, "relabel", target=message_id,
        detail=json.dumps({"from": msg.category, "to": category}, ensure_ascii=False),
    )
    await session.flush()
    view = await get_message(session, message_id)
    assert view is not None
    return view


async def mark_reviewed(session: AsyncSession, message_id: str, actor: str) -> bool:
    """Mark a crisis message as looked after; False when it was already reviewed."""
    msg = await session.get(Message, message_id)
    if msg is None:
        raise LookupError(f"no message {message_id!r}")
    if msg.reviewed_at is not None:
        return False
    msg.reviewed_at = datetime.now(timezone.utc)
    await record_audit(session, actor, "review", target=message_id)
    await session.flush()
    return True
