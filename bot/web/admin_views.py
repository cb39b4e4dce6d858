"""HTML of the ``/admin`` dashboard: page chrome, table cells, forms and the filter bar.

Every value users wrote goes through :mod:`bot.web.admin_html`'s escaping ``tpl``; nothing
here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from bot.web.admin_auth import PREFIX
from bot.web.admin_html import Html, join, tpl
from core.handoff.hours import local_time
from core.review.filters import LogFilter, parse_when
from core.review.views import MessageView

HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "script-src 'self'; connect-src 'self'; "  # admin.js: the live view of a conversation
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


# --- page chrome -------------------------------------------------------------------------
NAV = (
    ("conversations", "대화 Conversations"),
    ("crisis", "위기 Crisis queue"),
    ("low-confidence", "낮은 확신도 Low confidence"),
    ("charts", "통계 Charts"),
)


def page(title: str, body: Html, *, active: str = "", csrf: str | None = None,
          unreviewed: int = 0, status: int = 200, script: bool = False) -> HTMLResponse:
    """A dashboard page; ``script`` adds admin.js (only pages with a live view run any)."""
    nav = Html("")
    if csrf is not None:
        links = []
        for slug, label in NAV:
            badge = tpl('<span class="badge count">{n}</span>', n=unreviewed) \
                if slug == "crisis" and unreviewed else Html("")
            links.append(tpl('<a href="{href}" class="{cls}">{label}{badge}</a>',
                             href=f"{PREFIX}/{slug}", cls="active" if slug == active else "",
                             label=label, badge=badge))
        nav = tpl(
            '{links}<form method="post" action="{action}"><input type="hidden" name="csrf" '
            'value="{csrf}"><button type="submit">로그아웃 Log out</button></form>',
            links=join(links), action=f"{PREFIX}/logout", csrf=csrf,
        )
    doc = tpl(
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex"><title>{title} · Buddy admin</title>'
        '<link rel="stylesheet" href="{css}">{script}</head><body><header>'
        '<span class="brand">버디 Buddy · admin</span>{nav}</header>'
        '<main><h1>{title}</h1>{body}</main></body></html>',
        title=title, css=f"{PREFIX}/admin.css", nav=nav, body=body,
        script=tpl('<script src="{src}" defer></script>', src=f"{PREFIX}/admin.js")
        if script else Html(""),
    )
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


def login_page(message: str = "", status: int = 200) -> HTMLResponse:
    notice = tpl('<div class="notice error">{m}</div>', m=message) if message else Html("")
    body = tpl(
        '<div class="login">{notice}<form method="post" action="{action}">'
        '<label for="token">운영자 토큰 Admin token or operator token (ADMIN_TOKEN / OPERATORS)</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" '
        'required autofocus><button type="submit">로그인 Log in</button></form></div>',
        notice=notice, action=f"{PREFIX}/login",
    )
    return page("로그인 Log in", body, status=status)


def off_page() -> HTMLResponse:
    body = Html(
        '<div class="notice error"><p><b>관리자 대시보드가 꺼져 있습니다.</b> '
        "The admin dashboard is off because <code>ADMIN_TOKEN</code> is not set.</p>"
        "<p>To turn it on, put a long random token in <code>.env</code>, e.g. the output of "
        "<code>python -c \"import secrets; print(secrets.token_urlsafe(32))\"</code>:</p>"
        "<pre>ADMIN_TOKEN=&lt;that token&gt;</pre><p>then restart <code>buddy serve</code> "
        "and log in here with the token.</p></div>"
    )
    return page("Dashboard off", body, status=503)


@dataclass(frozen=True)
class Clock:
    """Every time ``/admin`` shows, in the operators' zone (``OPERATOR_TIMEZONE``), not UTC:
    an operator reading "03:12" must not have to add nine hours in a crisis."""

    tz: str = "Asia/Seoul"

    def when(self, value: datetime | None) -> str:
        """Date and minute, e.g. ``2026-12-05 21:04``; empty for None."""
        return local_time(value, self.tz, "%Y-%m-%d %H:%M") if value is not None else ""

    def time(self, value: datetime | None) -> str:
        """Time of day with seconds, e.g. ``21:04:05`` (a transcript's rows)."""
        return local_time(value, self.tz, "%H:%M:%S") if value is not None else ""


def conf_cell(value: float | None, threshold: float) -> Html:
    if value is None:
        return Html('<td class="num muted">-</td>')
    return tpl('<td class="num {cls}">{v}</td>', cls="low" if value < threshold else "",
               v=f"{value:.2f}")


def category_cell(m: MessageView) -> Html:
    if m.corrected_category and m.corrected_category != m.category:
        return tpl('<td><s class="muted">{old}</s> → <b>{new}</b></td>',
                   old=m.category or "-", new=m.corrected_category)
    return tpl("<td>{c}</td>", c=m.category or "-")


def relabel_form(m: MessageView, labels: Sequence[str], csrf: str, next_url: str) -> Html:
    current = m.corrected_category or m.category or ""
    options = join(
        tpl('<option value="{v}"{sel}>{v}</option>', v=lab,
            sel=Html(" selected") if lab == current else Html(""))
        for lab in labels
    )
    return tpl(
        '<form class="inline" method="post" action="{action}">'
        '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" '
        'value="{next}"><select name="category" aria-label="category">{options}</select>'
        '<button type="submit" class="secondary">다시 분류 Relabel</button></form>',
        action=f"{PREFIX}/messages/{m.id}/relabel", csrf=csrf, next=next_url, options=options,
    )


def review_form(m: MessageView, csrf: str, next_url: str, clock: Clock) -> Html:
    if m.reviewed_at is not None:
        return tpl('<span class="badge ok">확인됨 reviewed {at}</span>',
                   at=clock.when(m.reviewed_at))
    return tpl(
        '<form class="inline" method="post" action="{action}">'
        '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" '
        'value="{next}"><button type="submit" class="warn">확인 Mark reviewed</button></form>',
        action=f"{PREFIX}/messages/{m.id}/review", csrf=csrf, next=next_url,
    )


def queue_table(items: Sequence[MessageView], csrf: str, here: str, labels_now: Sequence[str],
                clock: Clock, threshold: float, *, crisis: bool,
                handoffs: dict[str, Html] | None = None) -> Html:
    """A queue of messages (crisis or low confidence), each with its actions and, in the
    crisis queue, the conversation's handoff state (``handoffs``)."""
    rows = []
    for m in items:
        action = review_form(m, csrf, here, clock) if crisis else (
            relabel_form(m, labels_now, csrf, here) if m.can_relabel else Html(""))
        if handoffs and m.conversation_id in handoffs:
            action = join([action, handoffs[m.conversation_id]])
        extra = join([m.risk_level or "-", *m.signals], ", ") if crisis else ""
        rows.append(tpl(
            '<tr id="m-{id}"><td class="nowrap">{at}</td><td>{platform}</td>'
            '<td class="mono">{user}</td><td><div class="text">{text}</div>'
            '<a href="{conv}">대화 보기 open conversation</a></td>{cat}{conf}'
            '<td class="muted">{extra}</td><td>{action}</td></tr>',
            id=m.id, at=clock.when(m.created_at), platform=m.platform, user=m.user_ref,
            text=m.text, conv=f"{PREFIX}/conversations/{m.conversation_id}#m-{m.id}",
            cat=category_cell(m), conf=conf_cell(m.confidence, threshold), extra=extra,
            action=action,
        ))
    return tpl(
        "<table><thead><tr><th>시각 time ({tz})</th><th>플랫폼 platform</th><th>사용자 user</th>"
        "<th>메시지 message</th><th>카테고리 category</th><th>확신도 conf</th>"
        "<th>{extra}</th><th>조치 action</th></tr></thead><tbody>{rows}</tbody></table>",
        extra="신호 signals" if crisis else "", tz=clock.tz,
        rows=join(rows) or Html('<tr><td colspan="8" class="muted">Nothing here.</td></tr>'),
    )


# --- filters -----------------------------------------------------------------------------
MAX_PAGE = 1_000_000
MAX_PARAM_CHARS = 200


@dataclass(frozen=True)
class Query:
    flt: LogFilter
    raw: dict[str, str]
    errors: list[str]
    page: int = 1

    @property
    def status(self) -> int:
        """400 when part of the filter was refused (the page says which), else 200."""
        return 400 if self.errors else 200


def parse_page(value: str) -> tuple[int, str | None]:
    """``?page=``: 1 to :data:`MAX_PAGE`; anything else is page 1 and an error to show."""
    if not value:
        return 1, None
    if value.isascii() and value.isdigit() and len(value) <= 7 and 1 <= int(value) <= MAX_PAGE:
        return int(value), None
    return 1, (f"쪽 번호는 1부터 {MAX_PAGE:,}까지예요. "
               f"(page must be a whole number from 1 to {MAX_PAGE:,}.)")


def parse_filter(request: Request, threshold: float) -> Query:
    """The filter in the query string; a value that cannot be used is dropped and named in
    ``errors`` (Korean and English) instead of failing the page."""
    p = request.query_params
    raw = {k: p.get(k, "").strip()[:MAX_PARAM_CHARS] for k in
           ("platform", "since", "until", "category", "crisis", "low", "q")}
    errors = []
    since = until = None
    try:
        since = parse_when(raw["since"]) if raw["since"] else None
    except ValueError as exc:
        errors.append(f"시작 시각을 읽을 수 없어요. (since: {exc})")
    try:
        until = parse_when(raw["until"], end=True) if raw["until"] else None
    except ValueError as exc:
        errors.append(f"끝 시각을 읽을 수 없어요. (until: {exc})")
    page, page_error = parse_page(p.get("page", "").strip())
    if page_error:
        errors.append(page_error)
    flt = LogFilter(
        platform=raw["platform"] or None, since=since, until=until,
        category=raw["category"] or None, crisis=raw["crisis"] == "1",
        low_confidence=threshold if raw["low"] == "1" else None, text=raw["q"] or None,
    )
    return Query(flt, raw, errors, page)


def filter_form(action: str, query: Query, platforms: Sequence[str],
                 categories: Sequence[str]) -> Html:
    raw = query.raw

    def select(name: str, label: str, values: Sequence[str]) -> Html:
        opts = [tpl('<option value="">{all}</option>', all="전체 all")]
        opts += [tpl('<option value="{v}"{sel}>{v}</option>', v=v,
                     sel=Html(" selected") if raw[name] == v else Html("")) for v in values]
        return tpl('<label>{label}<select name="{name}">{opts}</select></label>',
                   label=label, name=name, opts=join(opts))

    def check(name: str, label: str) -> Html:
        return tpl('<label class="check"><input type="checkbox" name="{name}" value="1"{c}>'
                   "{label}</label>", name=name, label=label,
                   c=Html(" checked") if raw[name] == "1" else Html(""))

    errors = join(tpl('<div class="notice error">{e}</div>', e=e) for e in query.errors)
    return tpl(
        '{errors}<form class="filters" method="get" action="{action}">'
        "{platform}"
        '<label>시작 since<input type="text" name="since" value="{since}" '
        'placeholder="2026-05-01 / 7d" size="11"></label>'
        '<label>까지 until<input type="text" name="until" value="{until}" '
        'placeholder="2026-05-31" size="11"></label>'
        "{category}"
        '<label>검색 text<input type="search" name="q" value="{q}" size="16"></label>'
        "{crisis}{low}"
        '<button type="submit">적용 Filter</button><a href="{action}">초기화 reset</a></form>',
        errors=errors, action=action, platform=select("platform", "플랫폼 platform", platforms),
        since=raw["since"], until=raw["until"], category=select("category", "카테고리 category",
                                                                categories),
        q=raw["q"], crisis=check("crisis", "위기 crisis"), low=check("low", "낮은 확신도 low confidence"),
    )
