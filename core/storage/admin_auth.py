"""The ``/admin`` session generation row (``admin_auth``, one row, id 1), each function
taking a session; the caller owns the transaction (``bot.web.admin_sessions`` retries a
first insert that raced another process)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import AdminAuth, utcnow

ROW_ID = 1


async def current_generation(session: AsyncSession, fingerprint: str) -> int:
    """The generation cookies must carry; creates the row, or moves it on when the token's
    ``fingerprint`` changed since it was written. A concurrent first insert raises
    ``IntegrityError`` at commit: the caller retries."""
    row = await session.get(AdminAuth, ROW_ID)
    if row is None:
        session.add(AdminAuth(id=ROW_ID, generation=1, token_fingerprint=fingerprint))
        return 1
    if row.token_fingerprint != fingerprint:
        row.generation += 1
        row.token_fingerprint = fingerprint
        row.updated_at = utcnow()
    return row.generation


async def advance_generation(session: AsyncSession) -> int:
    """Move the generation on (every older cookie is refused from now); the row must exist
    (:func:`current_generation` first). Locks the row on PostgreSQL."""
    row = (await session.execute(select(AdminAuth).where(AdminAuth.id == ROW_ID)
                                 .with_for_update())).scalar_one()
    row.generation += 1
    row.updated_at = utcnow()
    return row.generation
