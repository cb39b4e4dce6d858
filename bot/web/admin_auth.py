"""Logging in to the ``/admin`` dashboard: signed session cookies, CSRF tokens, safe forms.

The cookie holds a timestamp, the session generation, the operator's name and an HMAC keyed
by that operator's token (``OPERATORS``, or ``ADMIN_TOKEN`` for ``admin``) over all three —
never the token — and expires after :data:`SESSION_MAX_AGE_S`. Each operator has their own
generation, so one operator's logout ends only their sessions. The generation lives in
the database (:mod:`bot.web.admin_sessions`): logging out, or starting with another token,
moves it on, so every earlier cookie stops working, across restarts and processes.
A cookie signed with an old token fails its HMAC anyway. Comparisons are constant-time.
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
LOGIN_FAILURES_ALLOWED = 10  # wrong tokens per client address per window, then 429 for it
LOGIN_WINDOW_S = 10 * 60
MAX_TRACKED_CLIENTS = 10_000


@dataclass
class AuthState:
    """Per-process failed login attempts, per client address (the lockout)."""

    failures: dict[str, list[float]] = field(default_factory=dict)

    def recent_failures(self, client: str, now: float) -> list[float]:
        """This client's failures inside the window; forgets idle clients (bounded memory)."""
        if len(self.failures) > MAX_TRACKED_CLIENTS:
            for key in [k for k, v in self.failures.items() if not v or now - v[-1] >= LOGIN_WINDOW_S]:
                del self.failures[key]
        recent = [t for t in self.failures.get(client, []) if now - t < LOGIN_WINDOW_S]
        self.failures[client] = recent
        return recent


def sign(token: str, purpose: str, value: str) -> str:
    return hmac.new(token.encode("utf-8"), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def fingerprint(token: str) -> str:
    """Stored to notice a changed token; an HMAC keyed by the token, so it reveals nothing."""
    return sign(token, "fingerprint", "buddy-admin")


def issue_cookie(token: str, generation: int, now: float, operator: str = "admin") -> str:
    """``issued.generation.signature.operator`` (the name last: it may contain dots)."""
    issued = f"{int(now)}.{generation}"
    return f"{issued}.{sign(token, 'session', f'{issued}.{operator}')}.{operator}"


def cookie_operator(cookie: str | None) -> str | None:
    """Which operator a cookie claims to be (to pick the token that must have signed it)."""
    parts = (cookie or "").split(".", 3)
    return parts[3] if len(parts) == 4 and parts[3] else None


def cookie_valid(token: str, cookie: str | None, generation: int, now: float) -> bool:
    """Signed by this token for the operator it names, issued in the current session
    generation, not expired."""
    parts = (cookie or "").split(".", 3)
    if len(parts) != 4:
        return False
    issued, gen, sig, operator = parts
    if not (issued.isdigit() and gen.isdigit()) or int(gen) != generation:
        return False
    age = now - int(issued)
    if age > SESSION_MAX_AGE_S or age < -60:
        return False
    return hmac.compare_digest(sig, sign(token, "session", f"{issued}.{gen}.{operator}"))


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
