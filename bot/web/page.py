"""The chat page as served: ``static/index.html`` with the crisis lines filled in.

The HTML file holds no phone number: the notice under the header, the crisis card's call
buttons and the texts ``chat.js`` shows when the network fails are rendered here from
:mod:`bot.texts` (and so from :mod:`core.safety.hotlines`) once, when the app is built.
Every value is HTML-escaped; ``chat.js`` reads its texts from ``data-`` attributes.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from bot import texts
from core.safety.hotlines import EMERGENCY, HOTLINES, SUICIDE_PREVENTION

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _tel(number: str) -> str:
    return "tel:" + escape(number.replace("-", ""), quote=True)


def _notice() -> str:
    """The line under the header: every line, each a ``tel:`` link."""
    links = [f'<a href="{_tel(h.number)}">{escape(h.name)} {escape(h.number)}</a>'
             for h in HOTLINES if h is not EMERGENCY]
    links += [f'<a href="{_tel(n)}">{escape(n)}</a>' for n in texts.emergency_numbers()]
    return f"{escape(texts.PAGE_NOTICE)} {' · '.join(links)}"


def _crisis_calls() -> str:
    """The crisis card's big buttons: the suicide prevention line, then the emergency lines."""
    sp = SUICIDE_PREVENTION
    calls = [f'<a class="call" href="{_tel(sp.number)}">'
             f"{escape(sp.number)} {escape(sp.name)} 걸기</a>"]
    calls += [f'<a class="call secondary" href="{_tel(n)}">{escape(n)} 긴급신고</a>'
              for n in texts.emergency_numbers()]
    return "\n        ".join(calls)


def render_page() -> str:
    """index.html with the notice, the crisis buttons and chat.js's texts filled in."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    data = {
        "data-msg-network": texts.PAGE_NETWORK,
        "data-msg-failed": texts.PAGE_FAILED,
        "data-from-person": texts.PAGE_FROM_PERSON,
    }
    attributes = " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in data.items())
    return (page.replace("<!--hotline-notice-->", _notice())
                .replace("<!--crisis-calls-->", _crisis_calls())
                .replace("<body>", f"<body {attributes}>", 1))
