"""What an operator asks to see: :class:`LogFilter` and the times they may type.

``buddy logs`` and ``/admin`` share one filter, so an operator gets the same answer from
the terminal and the browser. Pure values: the storage layer turns a filter into SQL
(``core.storage.review_reads.filter_conditions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from core.storage.utc import as_utc

_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")

# Times an operator may ask for. Outside them nothing is logged, and the arithmetic of a far
# date (``until=9999-12-31`` is the day after 9999-12-31) or age (``99999999999d``) overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
_FORMS = ("use a date (2026-05-01), an ISO time (2026-05-01T09:30), 'today', or an age like "
          "7d / 12h / 30m")


def parse_when(value: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """Parse an operator's ``--since``/``--until``: ``2026-05-01``, an ISO time, ``7d``, ``12h``.

    A bare date used as an end (``end=True``) means the whole day, so ``--until 2026-05-01``
    includes messages of May 1st. Raises ``ValueError`` with the accepted forms, also for a
    time before 1970 or from 2200 on (never an ``OverflowError``).
    """
    raw = value.strip().lower()
    now = as_utc(now) or datetime.now(timezone.utc)
    try:
        parsed = _parse_when(raw, value.strip(), end, now)
    except OverflowError:
        parsed = LATEST + timedelta(days=1)  # too far either way: refused just below
    if parsed is None:
        raise ValueError(f"cannot read {value[:40]!r} as a time; {_FORMS}")
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(f"{value[:40]!r} is out of range; use a time between "
                         f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return parsed


def _parse_when(raw: str, value: str, end: bool, now: datetime) -> datetime | None:
    """The time ``raw`` names, None when it is no accepted form; may raise OverflowError."""
    if raw in ("today", "오늘"):
        start = datetime.combine(now.date(), time(), timezone.utc)
        return start + timedelta(days=1) if end else start
    m = _RELATIVE.match(raw)
    if m:
        if len(m.group(1)) > 9:  # int() of a 5,000-digit age is slow; no age is that long
            raise OverflowError(raw)
        n, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]
        return now - delta
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            start = datetime.combine(date.fromisoformat(raw), time(), timezone.utc)
            return start + timedelta(days=1) if end else start
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class LogFilter:
    """Which messages an operator is looking at; every field narrows, none is required.

    A conversation matches when at least one of its messages matches every given field.
    ``low_confidence`` is a threshold: messages whose classifier confidence is below it.
    """

    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    crisis: bool = False
    low_confidence: float | None = None
    text: str | None = None

    def describe(self) -> str:
        """For the audit log: which filters, never the searched words (they may be a user's)."""
        parts = []
        for name in ("platform", "category"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={as_utc(value).isoformat()}")
        if self.crisis:
            parts.append("crisis")
        if self.low_confidence is not None:
            parts.append(f"confidence<{self.low_confidence:g}")
        if self.text:
            parts.append("text-search")
        return " ".join(parts) or "all"
