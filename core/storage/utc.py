"""Every stored time is UTC; SQLite hands datetimes back without a zone.

One helper for the whole storage layer (and the review views built on it), so a naive
value from SQLite and an aware one from PostgreSQL compare alike.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive value (SQLite, or an operator's input) is taken to be UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
