"""Escaping-by-default HTML for the admin dashboard, without a template engine dependency.

Every value put into a template goes through :func:`html.escape` unless it is already
:class:`Html` (built here from escaped parts). Templates are constants in code; what users
wrote can only ever arrive as a value, so a message is never HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import urlencode


class Html(str):
    """Markup that is already safe to emit."""

    __slots__ = ()


def esc(value: object) -> Html:
    """Escape anything that is not already :class:`Html`; ``None`` becomes empty."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(html.escape(str(value), quote=True))


def tpl(template: str, **values: object) -> Html:
    """Fill ``{name}`` fields of a constant template with escaped values."""
    return Html(template.format_map({k: esc(v) for k, v in values.items()}))


def join(parts: Iterable[object], sep: str = "") -> Html:
    return Html(sep.join(esc(p) for p in parts))


def url(path: str, **params: object) -> str:
    """A path with a query string; empty parameters are left out (escaped again by tpl)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return f"{path}?{query}" if query else path


CSS = """
:root { --fg:#1d2630; --muted:#66707a; --line:#d9dee3; --accent:#3b6ea5; --warn:#b3261e;
        --ok:#2e7d32; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 "Noto Sans KR","NanumGothic","Apple SD Gothic Neo","Malgun Gothic",
       system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { background:#223247; color:#fff; padding:.6rem 1.2rem; display:flex; gap:1.2rem;
         align-items:center; flex-wrap:wrap; }
header .brand { font-weight:700; margin-right:.6rem; }
header a { color:#d8e4f2; text-decoration:none; padding:.2rem .1rem; }
header a.active { color:#fff; border-bottom:2px solid #fff; }
header form { margin-left:auto; }
header button { background:transparent; color:#d8e4f2; border:1px solid #6b7f96; }
main { padding:1rem 1.2rem 3rem; max-width:1280px; }
h1 { font-size:1.3rem; margin:.2rem 0 1rem; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:0 .45rem; border-radius:.6rem; font-size:.8rem;
         font-weight:600; white-space:nowrap; }
.badge.crisis { background:#fbe3e1; color:var(--warn); }
.badge.new { background:var(--warn); color:#fff; }
.badge.ok { background:#e3f1e4; color:var(--ok); }
.badge.count { background:var(--warn); color:#fff; margin-left:.25rem; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.4rem .55rem; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { background:#eef1f4; font-size:.85rem; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.nowrap, td.mono { white-space:nowrap; }
.mono { font-family: ui-monospace, "D2Coding", "NanumGothicCoding", monospace; font-size:.85rem; }
.low { color:var(--warn); font-weight:600; }
.text { white-space:pre-wrap; word-break:break-word; max-width:46rem; }
tr.bot td { background:#fafbfc; color:#3c4650; }
tr.crisis td { background:#fff5f4; }
form.filters { display:flex; flex-wrap:wrap; gap:.6rem 1rem; align-items:end; background:#fff;
               border:1px solid var(--line); padding:.7rem .9rem; margin-bottom:1rem; }
form.filters label { display:flex; flex-direction:column; font-size:.8rem; color:var(--muted); }
form.filters label.check { flex-direction:row; gap:.3rem; align-items:center; font-size:.9rem;
                           color:var(--fg); }
input, select, button { font: inherit; padding:.25rem .45rem; border:1px solid #b9c1ca;
                        border-radius:4px; background:#fff; }
button { cursor:pointer; background:var(--accent); color:#fff; border-color:var(--accent); }
button.secondary { background:#fff; color:var(--accent); }
button.warn { background:var(--warn); border-color:var(--warn); }
form.inline { display:flex; gap:.3rem; align-items:center; margin:.2rem 0; }
form.inline select { max-width:14rem; }
.notice { padding:.7rem 1rem; border-radius:4px; margin-bottom:1rem; background:#fff;
          border-left:4px solid var(--accent); }
.notice.error { border-left-color:var(--warn); }
.pager { margin-top:.8rem; display:flex; gap:1rem; }
.charts img { max-width:100%; background:#fff; border:1px solid var(--line); margin-bottom:1rem; }
.summary { display:flex; flex-wrap:wrap; gap:.8rem; margin-bottom:1rem; }
.summary div { background:#fff; border:1px solid var(--line); padding:.5rem .9rem; min-width:9rem; }
.summary b { display:block; font-size:1.3rem; }
.login { max-width:26rem; margin:4rem auto; background:#fff; border:1px solid var(--line);
         padding:1.5rem; }
.login input { width:100%; margin:.4rem 0 1rem; }
"""
