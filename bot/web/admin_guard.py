"""Who is signed in to ``/admin``, for every dashboard route: the review pages
(:mod:`bot.web.admin`) and the handoff desk (:mod:`bot.web.admin_handoff`) share one
:class:`Guard`, so a cookie, a CSRF token and the audit's actor mean the same everywhere.

The cookie and CSRF scheme itself is :mod:`bot.web.admin_auth`; the per-operator session
generation is :mod:`bot.web.admin_sessions`.
"""

from __future__ import annotations

import hmac
import time
from contextvars import ContextVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web import admin_views as v
from bot.web.admin_auth import (
    PREFIX,
    cookie_operator,
    cookie_valid,
    csrf_token,
    read_form,
)
from bot.web.admin_html import Html
from bot.web.admin_sessions import SessionGeneration
from core.storage.audit import record_audit

COOKIE = "buddy_admin"
ACTOR = "admin"
#: the operator this request is signed in as (set by :meth:`Guard.cookie`, read by the audit)
OPERATOR: ContextVar[str] = ContextVar("admin_operator", default=ACTOR)

Sessions = async_sessionmaker[AsyncSession]


class Guard:
    """Sign-in checks, CSRF and the audit for one dashboard (one per router)."""

    def __init__(self, sessions: Sessions, tokens: dict[str, str]) -> None:
        self.sessions = sessions
        self.tokens = tokens  # {operator name: token}; ADMIN_TOKEN is "admin"
        self.generations = {name: SessionGeneration(sessions, tok, name)
                            for name, tok in tokens.items()}

    async def audit(self, action: str, target: str | None = None,
                    detail: str | None = None) -> None:
        async with self.sessions() as s, s.begin():
            await record_audit(s, OPERATOR.get(), action, target, detail)

    async def signed_in(self, cookie: str | None) -> bool:
        """The cookie is still valid now (a logout or a new token ends it)."""
        operator = cookie_operator(cookie)
        if not cookie or operator not in self.tokens:
            return False
        current = await self.generations[operator].current()
        return cookie_valid(self.tokens[operator], cookie, current, time.time())

    async def cookie(self, request: Request) -> str | None:
        """The request's valid session cookie (and its operator set as the actor), or None."""
        cookie = request.cookies.get(COOKIE)
        if not await self.signed_in(cookie):
            return None
        OPERATOR.set(cookie_operator(cookie) or ACTOR)  # this request's audit events name them
        return cookie

    def token_of(self, cookie: str) -> str:
        """The token of the operator a checked cookie belongs to (CSRF tokens derive from it)."""
        return self.tokens[cookie_operator(cookie) or ACTOR]

    def csrf(self, cookie: str) -> str:
        return csrf_token(self.token_of(cookie), cookie)

    @staticmethod
    def to_login() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/login", status_code=303, headers=v.HEADERS)

    async def checked_form(
        self, request: Request
    ) -> tuple[dict[str, str] | None, Response | None]:
        """The POSTed form of a signed-in operator with a valid CSRF token; otherwise the
        response to send instead (the login page, or a 403 saying to reload)."""
        cookie = await self.cookie(request)
        if cookie is None:
            return None, self.to_login()
        form = await read_form(request)
        if form is None or not hmac.compare_digest(form.get("csrf", ""), self.csrf(cookie)):
            await self.audit("csrf_refused", target=request.url.path[:128])
            return None, v.page(
                "Refused", Html('<div class="notice error">This form expired or did not come '
                                "from the dashboard. Reload the page and try again.</div>"),
                status=403)
        return form, None
