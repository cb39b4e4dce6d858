"""The ``/admin`` session generation, kept in the database so a logout outlives a restart.

Before, the logout horizon lived in process memory: after a restart every logged-out
cookie worked again. Now one row (:class:`core.storage.models.AdminAuth`) holds the
current generation; cookies carry the generation they were issued in, and only the
current one is accepted. The row also keeps the token's fingerprint: starting with a
different ``ADMIN_TOKEN`` moves the generation on, so going back to an old token does not
revive its old cookies either.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.admin_auth import fingerprint
from core.storage.models import AdminAuth, utcnow

ROW_ID = 1


class SessionGeneration:
    """Reads and moves the generation; every call is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], token: str,
                 operator: str = "admin") -> None:
        self.sessions = sessions
        self.fingerprint = fingerprint(token)
        self.operator = operator  # one row per operator: a logout ends only their sessions

    async def _row(self, s: AsyncSession, *, lock: bool = False) -> AdminAuth | None:
        query = select(AdminAuth).where(AdminAuth.operator == self.operator)
        return (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()

    async def _new_id(self, s: AsyncSession) -> int:
        """Row 1 stays ADMIN_TOKEN's (as before operators had names); others follow it."""
        if self.operator == "admin" and await s.get(AdminAuth, ROW_ID) is None:
            return ROW_ID
        return max(int(await s.scalar(select(func.max(AdminAuth.id))) or 0), ROW_ID) + 1

    async def current(self) -> int:
        """The generation cookies must carry; creates the row, or moves it on when the token
        changed since it was written."""
        for _ in range(3):  # another process may create the row at the same moment
            try:
                async with self.sessions() as s, s.begin():
                    row = await self._row(s)
                    if row is None:
                        s.add(AdminAuth(id=await self._new_id(s), generation=1,
                                        token_fingerprint=self.fingerprint,
                                        operator=self.operator))
                        return 1
                    if row.token_fingerprint != self.fingerprint:
                        row.generation += 1
                        row.token_fingerprint = self.fingerprint
                        row.updated_at = utcnow()
                    return row.generation
            except IntegrityError:
                continue
        raise RuntimeError("the admin_auth row could not be created; run `buddy db upgrade`")

    async def advance(self) -> int:
        """Log every session of this operator out (``/admin/logout``); returns the new
        generation."""
        await self.current()
        async with self.sessions() as s, s.begin():
            row = await self._row(s, lock=True)
            assert row is not None  # created by current() just above
            row.generation += 1
            row.updated_at = utcnow()
            return row.generation
