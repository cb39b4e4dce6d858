"""Logging in to the ``/admin`` dashboard: signed session cookies, CSRF tokens, safe forms.

The cookie holds a timestamp and an HMAC keyed by ``ADMIN_TOKEN`` — never the token — and
expires after :data:`SESSION_MAX_AGE_S`; logging out moves the horizon so every earlier
cookie stops working. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import Request

PREFIX = "/admin"
SESSION_MAX_AGE_S = 12 * 60 * 60
MAX_FORM_BYTES = 16 * 1024


@dataclass
class AuthState:
    """Per-process login state: the logout horizon and recent failed attempts."""

    not_before: float = 0.0
    failures: dict[str, list[float]] = field(default_factory=dict)


def sign(token: str, purpose: str, value: str) -> str:
    return hmac.new(token.encode("utf-8"), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def issue_cookie(token: str, now: float) -> str:
    issued = str(int(now))
    return f"{issued}.{sign(token, 'session', issued)}"


def cookie_valid(token: str, cookie: str | None, state: AuthState, now: float) -> bool:
    if not cookie or "." not in cookie:
        return False
    issued, _, sig = cookie.partition(".")
    if not issued.isdigit():
        return False
    age = now - int(issued)
    if age > SESSION_MAX_AGE_S or age < -60 or int(issued) < state.not_before:
        return False
    return hmac.compare_digest(sig, sign(token, "session", issued))


def csrf_token(token: str, cookie: str) -> str:
    return sign(token, "csrf", cookie)[:32]


async def read_form(request: Request) -> dict[str, str] | None:
    """A urlencoded form body as single values; None when it is too large or not a form."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in parsed.items()}


def safe_next(value: str | None) -> str:
    """Only our own pages as redirect targets (no open redirect)."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return PREFIX + "/conversations"
