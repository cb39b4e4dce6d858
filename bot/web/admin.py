"""The ``/admin`` dashboard: operators review the log without learning who the users are.

Mounted by ``buddy serve`` (``create_app(..., extra_routers=[create_admin_router(...)])``).
Server-rendered HTML, nothing from a CDN; the only script is the desk's live view, same
origin, on transcript pages. Security choices:

- Off unless ``ADMIN_TOKEN`` is set; then every page says how to turn it on (503).
- Logging in sets an HttpOnly, SameSite=Strict cookie holding a timestamp and an HMAC keyed
  by the token (never the token) and the session generation kept in the database, valid
  for :data:`SESSION_MAX_AGE_S`; logging out (or a new token) invalidates every cookie
  issued before, across restarts. Comparisons use :func:`hmac.compare_digest`.
- Every POST form carries a CSRF token derived from the session cookie.
- Everything users wrote is escaped (:mod:`bot.web.admin_html`); a message is never HTML.
- Operators log in with their own tokens (``OPERATORS``; ``ADMIN_TOKEN`` is the operator
  ``admin``); every page view and action is written to ``audit_events`` with the signed-in
  operator's name as the actor, and a logout ends only that operator's sessions
  (:mod:`bot.web.admin_guard`, shared by every dashboard route).
- Times are shown in ``OPERATOR_TIMEZONE`` (:class:`bot.web.admin_views.Clock`).
- The handoff desk (take, send, hand back, live view) has its routes in
  :mod:`bot.web.admin_handoff`; the transcript and crisis-queue pages here show its panel.
Only pages with a live view load a script (``admin.js``, same origin).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web import admin_handoff_views as hv
from bot.web import admin_views as v
from bot.web.admin_auth import (
    LOGIN_FAILURES_ALLOWED,
    PREFIX,
    SESSION_MAX_AGE_S,
    AuthState,
    issue_cookie,
    read_form,
    safe_next,
)
from bot.web.admin_guard import ACTOR, COOKIE, OPERATOR, Guard
from bot.web.admin_handoff import HandoffDesk, create_handoff_router
from bot.web.admin_html import CSS, Html, join, tpl, url
from core.config import Settings
from core.review import charts
from core.storage import review_reads as q
from core.storage import review_writes

if TYPE_CHECKING:
    from core.handoff.service import HandoffService

log = logging.getLogger(__name__)

__all__ = ["ACTOR", "COOKIE", "OPERATOR", "PAGE_SIZE", "create_admin_router"]

PAGE_SIZE = 50
WHO = {"user": "사용자 user", "bot": "버디 Buddy"}

Sessions = async_sessionmaker[AsyncSession]


def create_admin_router(
    sessions: Sessions, settings: Settings, labels: Sequence[str], *,
    handoff: HandoffService | None = None,
) -> APIRouter:
    """The dashboard's routes under ``/admin``; ``labels`` are the served model's categories;
    ``handoff`` (``buddy.handoff``) adds the desk to transcripts and the crisis queue."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    tokens = settings.operator_tokens()  # {operator name: token}; ADMIN_TOKEN is "admin"
    threshold = settings.confidence_threshold
    model_labels = list(labels)
    state = AuthState()
    guard = Guard(sessions, tokens)
    clock = v.Clock(settings.operator_timezone)
    desk = HandoffDesk(handoff, clock)
    audit, to_login, checked_form = guard.audit, guard.to_login, guard.checked_form

    @router.get("/admin.css")
    async def css() -> Response:
        return Response(CSS + hv.CSS, media_type="text/css",
                        headers={"cache-control": "max-age=3600"})

    @router.get("/admin.js")
    async def script() -> Response:
        return Response(hv.SCRIPT, media_type="text/javascript",
                        headers={"cache-control": "max-age=3600"})

    if not tokens:
        log.info("ADMIN_TOKEN and OPERATORS not set: the /admin dashboard is off")

        @router.api_route("", methods=["GET", "POST"])
        @router.api_route("/{rest:path}", methods=["GET", "POST"])
        async def off(rest: str = "") -> HTMLResponse:
            return v.off_page()

        return router

    session_cookie = guard.cookie
    router.include_router(create_handoff_router(guard, desk))

    async def chrome(s: AsyncSession) -> int:
        return await q.count_unreviewed_crisis(s)

    async def all_labels(s: AsyncSession) -> list[str]:
        return sorted({*model_labels, *await q.known_categories(s)})

    # --- login / logout ----------------------------------------------------------------
    @router.get("")
    @router.get("/")
    async def home(request: Request) -> Response:
        if await session_cookie(request) is None:
            return to_login()
        return RedirectResponse(f"{PREFIX}/conversations", status_code=303, headers=v.HEADERS)

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        if await session_cookie(request) is not None:
            return RedirectResponse(f"{PREFIX}/conversations", status_code=303, headers=v.HEADERS)
        return v.login_page()

    @router.post("/login")
    async def login(request: Request) -> Response:
        """The right token always logs in; wrong ones are counted per client address (the
        real one only behind a proxy named in TRUSTED_PROXIES), and a client over the limit
        gets 429 for its wrong guesses, while other operators are not affected."""
        client = request.client.host if request.client else "?"
        now = time.time()
        form = await read_form(request) or {}
        given = form.get("token", "")
        # every token is compared (constant time each), so the time taken names no one
        matches = [name for name, tok in tokens.items()
                   if hmac.compare_digest(given.encode("utf-8"), tok.encode("utf-8"))]
        right = bool(given) and bool(matches)
        recent = state.recent_failures(client, now)
        if not right:
            if len(recent) >= LOGIN_FAILURES_ALLOWED:
                await audit("login_locked")
                return v.login_page("너무 많이 실패했습니다. 10분 뒤에 다시 시도하세요. "
                                  "Too many failed attempts from this address; wait 10 minutes.",
                                  status=429)
            recent.append(now)
            await audit("login_failed")
            log.warning("admin login refused (wrong token)")
            return v.login_page("토큰이 맞지 않습니다. Wrong token.", status=401)
        state.failures.pop(client, None)
        operator = matches[0]
        OPERATOR.set(operator)
        current = await guard.generations[operator].current()
        await audit("login")
        response = RedirectResponse(f"{PREFIX}/conversations", status_code=303, headers=v.HEADERS)
        response.set_cookie(
            COOKIE, issue_cookie(tokens[operator], current, now, operator), max_age=SESSION_MAX_AGE_S, path=PREFIX,
            httponly=True, samesite="strict", secure=request.url.scheme == "https",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        cookie = await session_cookie(request)
        form = await read_form(request) or {}
        if cookie is None:
            return to_login()
        if not hmac.compare_digest(form.get("csrf", ""), guard.csrf(cookie)):
            return v.page("Refused", Html('<div class="notice error">Form expired; reload.</div>'),
                         status=403)
        # every cookie this operator was issued stops working, for good (others stay in)
        await guard.generations[OPERATOR.get()].advance()
        await audit("logout")
        response = to_login()
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # --- views -------------------------------------------------------------------------
    @router.get("/conversations")
    async def conversations(request: Request) -> Response:
        cookie = await session_cookie(request)
        if cookie is None:
            return to_login()
        query = v.parse_filter(request, threshold)
        page = query.page
        async with sessions() as s:
            rows, total = await q.list_conversations(
                s, query.flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
            platforms = await q.known_platforms(s)
            categories = await q.known_categories(s)
            unreviewed = await chrome(s)
        await audit("view_conversations", detail=query.flt.describe())
        body_rows = []
        for r in rows:
            crisis = Html("")
            if r.crisis:
                crisis = tpl('<span class="badge {cls}">{t}</span>',
                             cls="new" if r.unreviewed_crisis else "crisis",
                             t=f"위기 {r.unreviewed_crisis} new" if r.unreviewed_crisis else "위기")
            preview = (r.preview or "").replace("\n", " ")
            if len(preview) > 80:
                preview = preview[:79] + "…"
            body_rows.append(tpl(
                '<tr><td class="mono"><a href="{href}">{short}</a></td><td>{platform}</td>'
                '<td class="nowrap">{started}</td><td class="mono">{user}</td>'
                '<td class="num">{n}</td><td>{crisis}</td>{conf}<td>{preview}</td></tr>',
                href=f"{PREFIX}/conversations/{r.id}", short=r.id[:8], platform=r.platform,
                started=clock.when(r.started_at), user=r.user_ref, n=r.messages, crisis=crisis,
                conf=v.conf_cell(r.lowest_confidence, threshold), preview=preview,
            ))
        params = {k: v for k, v in query.raw.items() if v}
        pager = []
        if page > 1:
            pager.append(tpl('<a href="{h}">← 이전 newer</a>',
                             h=url(f"{PREFIX}/conversations", **params, page=page - 1)))
        if page * PAGE_SIZE < total:
            pager.append(tpl('<a href="{h}">다음 older →</a>',
                             h=url(f"{PREFIX}/conversations", **params, page=page + 1)))
        table = tpl(
            '<p class="muted">{count}</p><table><thead><tr><th>ID</th><th>플랫폼 platform</th>'
            "<th>시작 started ({tz})</th><th>사용자 user</th><th>메시지 msgs</th><th>위기 crisis</th>"
            "<th>최저 확신도 min conf</th><th>첫 메시지 first message</th></tr></thead>"
            '<tbody>{rows}</tbody></table><div class="pager">{pager}</div>',
            count=f"{total} conversations match (filter: {query.flt.describe()})", tz=clock.tz,
            rows=join(body_rows) or Html('<tr><td colspan="8" class="muted">No conversations match.</td></tr>'),
            pager=join(pager),
        )
        form = v.filter_form(f"{PREFIX}/conversations", query, platforms, categories)
        return v.page("대화 Conversations", join([form, table]), active="conversations",
                     csrf=guard.csrf(cookie), unreviewed=unreviewed, status=query.status)

    @router.get("/conversations/{conversation_id}")
    async def conversation(request: Request, conversation_id: str) -> Response:
        cookie = await session_cookie(request)
        if cookie is None:
            return to_login()
        csrf = guard.csrf(cookie)
        async with sessions() as s:
            tr = await q.transcript(s, conversation_id)
            labels_now = await all_labels(s)
            unreviewed = await chrome(s)
            panel = await desk.panel(s, conversation_id, csrf) if tr is not None else Html("")
        if tr is None:
            return v.page("Not found", Html('<div class="notice error">No such conversation.</div>'),
                         csrf=csrf, unreviewed=unreviewed, status=404)
        await audit("view_transcript", target=tr.conversation.id)
        c = tr.conversation
        here = f"{PREFIX}/conversations/{c.id}"
        rows = []
        for m in tr.messages:
            actions = []
            if m.role == "user" and m.crisis:
                actions.append(v.review_form(m, csrf, here, clock))
            if m.can_relabel:
                actions.append(v.relabel_form(m, labels_now, csrf, here))
            cls = m.role if m.role in ("bot", "operator") else ("crisis" if m.crisis else "")
            rows.append(tpl(
                '<tr id="m-{id}" class="{cls}"><td class="nowrap mono">{at}</td><td>{who}</td>'
                '<td><div class="text">{text}</div></td>{cat}{conf}<td>{actions}</td></tr>',
                id=m.id, cls=cls, at=clock.time(m.created_at),
                who=WHO.get(m.role, f"상담사 {m.operator or ''}"), text=m.text,
                cat=v.category_cell(m),
                conf=v.conf_cell(m.confidence, threshold if m.role == "user" else 0.0),
                actions=join(actions),
            ))
        head = tpl(
            '<p><span class="mono">{id}</span> · {platform} · 사용자 user <span class="mono">'
            "{user}</span> · {started} {tz} · {n} messages {crisis}</p>",
            id=c.id, platform=c.platform, user=c.user_ref, started=clock.when(c.started_at),
            tz=clock.tz,
            n=c.messages,
            crisis=Html('<span class="badge crisis">위기 crisis</span>') if c.crisis else "",
        )
        table = tpl(
            "<table><thead><tr><th>시각 time ({tz})</th><th>누가 who</th><th>메시지 message</th>"
            "<th>카테고리 category</th><th>확신도 conf</th><th>조치 actions</th></tr></thead>"
            "<tbody>{rows}</tbody></table>", rows=join(rows), tz=clock.tz,
        )
        return v.page("대화 기록 Transcript", join([head, panel, table]), active="conversations",
                     csrf=csrf, unreviewed=unreviewed, script=desk.on)

    @router.get("/crisis")
    async def crisis_view(request: Request) -> Response:
        cookie = await session_cookie(request)
        if cookie is None:
            return to_login()
        csrf = guard.csrf(cookie)
        async with sessions() as s:
            items = await q.crisis_queue(s, limit=200)
            unreviewed = await chrome(s)
            queued = await desk.queued(s, csrf)
            handoffs = await desk.queue_cells(s, [m.conversation_id for m in items], csrf)
        await audit("view_crisis_queue")
        intro = tpl('<p class="muted">{t}</p>', t=f"{unreviewed} unreviewed crisis messages, "
                    "unreviewed first. Mark one reviewed once it has been looked after.")
        return v.page("위기 대화 Crisis queue", join([queued, intro, v.queue_table(
            items, csrf, f"{PREFIX}/crisis", [], clock, threshold, crisis=True,
            handoffs=handoffs)]),
            active="crisis", csrf=csrf, unreviewed=unreviewed)

    @router.get("/low-confidence")
    async def low_view(request: Request) -> Response:
        cookie = await session_cookie(request)
        if cookie is None:
            return to_login()
        csrf = guard.csrf(cookie)
        async with sessions() as s:
            items = await q.low_confidence_queue(s, threshold, limit=200)
            labels_now = await all_labels(s)
            unreviewed = await chrome(s)
        await audit("view_low_confidence")
        intro = tpl('<p class="muted">{t}</p>', t=f"Users' messages with confidence below "
                    f"{threshold:g} (CONFIDENCE_THRESHOLD), not yet relabelled first. A relabel "
                    "is exported by `buddy logs export --corrections` for `buddy train`.")
        return v.page("낮은 확신도 Low confidence", join([intro, v.queue_table(
            items, csrf, f"{PREFIX}/low-confidence", labels_now, clock, threshold,
            crisis=False)]),
            active="low-confidence", csrf=csrf, unreviewed=unreviewed)

    @router.get("/charts")
    async def charts_view(request: Request) -> Response:
        cookie = await session_cookie(request)
        if cookie is None:
            return to_login()
        query = v.parse_filter(request, threshold)
        async with sessions() as s:
            st = await q.stats(s, query.flt, threshold=threshold)
            platforms = await q.known_platforms(s)
            categories = await q.known_categories(s)
            unreviewed = await chrome(s)
        await audit("view_charts", detail=query.flt.describe())
        params = {k: v for k, v in query.raw.items() if v}
        cards = join(tpl("<div>{label}<b>{n}</b></div>", label=label, n=n) for label, n in (
            ("대화 conversations", st.conversations), ("사용자 users", st.users),
            ("사용자 메시지 user messages", st.user_messages), ("위기 crisis", st.crisis),
            ("미확인 위기 unreviewed", st.unreviewed_crisis),
            (f"확신도 < {threshold:g}", st.low_confidence), ("수정됨 corrected", st.corrections),
        ))
        imgs = join(
            tpl('<img src="{src}" alt="{name}">',
                src=url(f"{PREFIX}/charts/{name}.png", **params), name=name)
            for name in charts.CHART_NAMES
        )
        body = join([v.filter_form(f"{PREFIX}/charts", query, platforms, categories),
                     tpl('<div class="summary">{c}</div><div class="charts">{i}</div>',
                         c=cards, i=imgs)])
        return v.page("통계 Charts", body, active="charts", csrf=guard.csrf(cookie),
                     unreviewed=unreviewed, status=query.status)

    @router.get("/charts/{name}.png")
    async def chart_png(request: Request, name: str) -> Response:
        if await session_cookie(request) is None:
            return Response(status_code=401, headers=v.HEADERS)
        if name not in charts.CHART_NAMES:
            return Response(status_code=404, headers=v.HEADERS)
        query = v.parse_filter(request, threshold)
        if query.errors:
            return Response(" ".join(query.errors), status_code=400, media_type="text/plain",
                            headers=v.HEADERS)
        async with sessions() as s:
            st = await q.stats(s, query.flt, threshold=threshold)
        png = await asyncio.to_thread(charts.render, name, st, threshold=threshold)
        return Response(png, media_type="image/png", headers=v.HEADERS)

    # --- actions -----------------------------------------------------------------------
    @router.post("/messages/{message_id}/relabel")
    async def relabel(request: Request, message_id: str) -> Response:
        form, refused = await checked_form(request)
        if refused is not None:
            return refused
        assert form is not None
        try:
            async with sessions() as s, s.begin():
                allowed = await all_labels(s)
                await review_writes.relabel(s, message_id, form.get("category", ""), OPERATOR.get(),
                                            allowed=allowed)
        except (LookupError, ValueError) as exc:
            return v.page("Not relabelled", tpl('<div class="notice error">{e}</div>', e=str(exc)),
                         status=400)
        target = safe_next(form.get("next"))
        return RedirectResponse(f"{target}#m-{message_id}", status_code=303, headers=v.HEADERS)

    @router.post("/messages/{message_id}/review")
    async def review(request: Request, message_id: str) -> Response:
        form, refused = await checked_form(request)
        if refused is not None:
            return refused
        assert form is not None
        try:
            async with sessions() as s, s.begin():
                await review_writes.mark_reviewed(s, message_id, OPERATOR.get())
        except LookupError as exc:
            return v.page("Not found", tpl('<div class="notice error">{e}</div>', e=str(exc)),
                         status=404)
        return RedirectResponse(safe_next(form.get("next")), status_code=303, headers=v.HEADERS)

    return router
