"""The ``/admin`` session generation rows (``admin_auth``, one row per operator), each
function taking a session; the caller owns the transaction (``bot.web.admin_sessions``
retries a first insert that raced another process)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import AdminAuth, utcnow

ROW_ID = 1  # ADMIN_TOKEN's row, as before operators had names
DEFAULT_OPERATOR = "admin"


async def _row(session: AsyncSession, operator: str, *, lock: bool = False) -> AdminAuth | None:
    query = select(AdminAuth).where(AdminAuth.operator == operator)
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


async def _new_id(session: AsyncSession, operator: str) -> int:
    """Row 1 stays ADMIN_TOKEN's; other operators' rows follow it."""
    if operator == DEFAULT_OPERATOR and await session.get(AdminAuth, ROW_ID) is None:
        return ROW_ID
    return max(int(await session.scalar(select(func.max(AdminAuth.id))) or 0), ROW_ID) + 1


async def current_generation(
    session: AsyncSession, fingerprint: str, operator: str = DEFAULT_OPERATOR
) -> int:
    """The generation ``operator``'s cookies must carry; creates the row, or moves it on when
    the token's ``fingerprint`` changed since it was written. A concurrent first insert
    raises ``IntegrityError`` at commit: the caller retries."""
    row = await _row(session, operator)
    if row is None:
        session.add(AdminAuth(id=await _new_id(session, operator), generation=1,
                              token_fingerprint=fingerprint, operator=operator))
        return 1
    if row.token_fingerprint != fingerprint:
        row.generation += 1
        row.token_fingerprint = fingerprint
        row.updated_at = utcnow()
    return row.generation


async def advance_generation(session: AsyncSession, operator: str = DEFAULT_OPERATOR) -> int:
    """Move ``operator``'s generation on (every older cookie of theirs is refused from now);
    the row must exist (:func:`current_generation` first). Locks the row on PostgreSQL."""
    row = await _row(session, operator, lock=True)
    if row is None:
        raise LookupError(f"no admin_auth row for operator {operator!r}")
    row.generation += 1
    row.updated_at = utcnow()
    return row.generation
