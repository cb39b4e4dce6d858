"""Operators who may take a conversation, each with their own dashboard token.

Why names and tokens per person, not one shared token: every take, message and hand-back is
an audit event naming who did it, and one person's token can be withdrawn alone. ``OPERATORS``
reads ``name:token,name2:token2``; the existing ``ADMIN_TOKEN`` keeps working as the
operator named ``admin``. ``OPERATOR_TELEGRAM_IDS`` ties operators to their Telegram
accounts for the operators' group (:mod:`bot.telegram_operators`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from core.errors import ConfigError

ADMIN_NAME = "admin"
TOKEN_MIN_CHARS = 24
_NAME = re.compile(r"^[\w.\-]{1,32}$")


def parse_operators(spec: str, admin_token: str | None = None) -> dict[str, str]:
    """``{name: token}`` from ``OPERATORS`` (plus ``admin`` for ADMIN_TOKEN); ConfigError
    naming the entry and the fix when one is malformed, short or repeated."""
    found: dict[str, str] = {}
    if admin_token:
        found[ADMIN_NAME] = admin_token
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        name, sep, token = entry.partition(":")
        name, token = name.strip(), token.strip()
        if not sep or not _NAME.match(name):
            raise ConfigError(f"OPERATORS entry {name or entry[:8]!r} must be name:token with a "
                              "name of letters, digits, '.', '_' or '-' (up to 32).")
        if len(token) < TOKEN_MIN_CHARS:
            raise ConfigError(f"OPERATORS: the token of {name!r} has {len(token)} characters; it "
                              f"needs at least {TOKEN_MIN_CHARS}. Make one with: python -c "
                              "\"import secrets; print(secrets.token_urlsafe(32))\"")
        if name in found:
            raise ConfigError(f"OPERATORS names {name!r} twice" + (
                " (admin is ADMIN_TOKEN's operator)" if name == ADMIN_NAME else "") + ".")
        if token in found.values():
            raise ConfigError(f"OPERATORS: {name!r} shares a token with another operator; "
                              "each person needs their own.")
        found[name] = token
    return found


def parse_operator_accounts(spec: str, operators: Collection[str]) -> dict[int, str]:
    """``{Telegram account id: operator name}`` from ``OPERATOR_TELEGRAM_IDS``
    (``name:12345,name2:67890``).

    Why a mapping and not "anyone in the group": pressing "Take" in the operators' group acts
    as a named operator in the audit log, so each Telegram account must belong to exactly one
    operator of ``OPERATORS``. The ids are the operators' own, not users', but are still never
    logged; ConfigError names the entry (not the id) and the fix."""
    found: dict[int, str] = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        name, sep, account = (part.strip() for part in entry.partition(":"))
        if not sep or not account.isdigit():
            raise ConfigError(f"OPERATOR_TELEGRAM_IDS entry for {name or '?'!r} must be "
                              "name:telegram_account_id, e.g. kim:123456789 (the number a "
                              "Telegram operator gets when pressing the group's Take button).")
        if name not in operators:
            raise ConfigError(f"OPERATOR_TELEGRAM_IDS names {name!r}, who is not an operator; "
                              "add them to OPERATORS (name:token) first.")
        if int(account) in found:
            raise ConfigError(f"OPERATOR_TELEGRAM_IDS gives one Telegram account to both "
                              f"{found[int(account)]!r} and {name!r}; each person needs their own.")
        found[int(account)] = name
    return found
