"""Read-only questions an operator's tool asks before acting: which conversation an alert is
about, and who holds a conversation now.

Why apart from :mod:`core.handoff.service`: the service *acts* (take, send, hand back) and
audits; these only read, for tools that show operators a pseudonymous reference (the Telegram
operators' group) and want to answer "already yours" or "held by kim" precisely.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.handoff.states import HandoffState
from core.storage import handoff as store


async def conversation_for_ref(sessions: async_sessionmaker[AsyncSession], user_ref: str
                               ) -> str | None:
    """The open conversation behind an alert's user reference; None when it cannot be
    reached (the conversation ended, the user used /forget) or the reference is ambiguous."""
    async with sessions() as s:
        return await store.conversation_of_ref(s, user_ref)


async def holder(sessions: async_sessionmaker[AsyncSession], conversation_id: str) -> str | None:
    """The operator holding ``conversation_id`` now, or None."""
    async with sessions() as s:
        user_key = await store.user_of_conversation(s, conversation_id)
        row = await store.handoff_row(s, user_key) if user_key else None
    if row is None or row.state != HandoffState.HELD.value:
        return None
    return row.operator
