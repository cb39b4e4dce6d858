"""Pseudonymous user references: the only form in which a user exists in Buddy's log."""

from __future__ import annotations

import hashlib
import hmac


def user_key(secret: bytes, platform: str, platform_user_id: str) -> str:
    """HMAC-SHA256 of ``platform:user_id``; stable per secret, not reversible without it."""
    msg = f"{platform}:{platform_user_id}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def user_ref(key: str) -> str:
    """The short reference operators see and type (``buddy logs forget REF``)."""
    return key[:12]
