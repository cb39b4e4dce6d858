"""The ``/admin`` session generation, kept in the database so a logout outlives a restart.

Before, the logout horizon lived in process memory: after a restart every logged-out
cookie worked again. Now one row (:class:`core.storage.models.AdminAuth`) holds the
current generation; cookies carry the generation they were issued in, and only the
current one is accepted. The row also keeps the token's fingerprint: starting with a
different ``ADMIN_TOKEN`` moves the generation on, so going back to an old token does not
revive its old cookies either.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.admin_auth import fingerprint
from core.storage.admin_auth import advance_generation, current_generation


class SessionGeneration:
    """Reads and moves the generation; every call is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], token: str,
                 operator: str = "admin") -> None:
        self.sessions = sessions
        self.fingerprint = fingerprint(token)
        self.operator = operator  # one row per operator: a logout ends only their sessions

    async def current(self) -> int:
        """The generation cookies must carry; creates the row, or moves it on when the token
        changed since it was written."""
        for _ in range(3):  # another process may create the row at the same moment
            try:
                async with self.sessions() as s, s.begin():
                    return await current_generation(s, self.fingerprint, self.operator)
            except IntegrityError:
                continue
        raise RuntimeError("the admin_auth row could not be created; run `buddy db upgrade`")

    async def advance(self) -> int:
        """Log every session of this operator out (``/admin/logout``); returns the new
        generation."""
        await self.current()
        async with self.sessions() as s, s.begin():
            return await advance_generation(s, self.operator)
