"""When operators are on duty: ``OPERATOR_HOURS`` such as ``always`` or ``Mon-Fri 09:00-18:00``.

Why it matters: a user who asks for a person at 3 a.m. must be told honestly that no one is
there (and given the 24-hour lines), not left in a queue nobody reads. Hours are read in the
operators' time zone (``OPERATOR_TIMEZONE``), never the server's.

Grammar: ``always``, or one or more ``;``-separated windows ``DAYS HH:MM-HH:MM`` where DAYS
is a day (``Sat``), a range (``Mon-Fri``) or a comma list (``Mon,Wed``); an end before the
start runs past midnight (``Fri 22:00-02:00``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def covers(self, local: datetime) -> bool:
        at = local.time()
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= at < self.end
        # past midnight: the evening part on a listed day, the morning part the day after
        if local.weekday() in self.days and at >= self.start:
            return True
        return (local - timedelta(days=1)).weekday() in self.days and at < self.end


@dataclass(frozen=True)
class DutyHours:
    """Parsed ``OPERATOR_HOURS``; ``windows`` empty means always on duty."""

    windows: tuple[Window, ...]
    zone: ZoneInfo

    def on_duty(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in a window, read in the operators' zone."""
        if not self.windows:
            return True
        local = now.astimezone(self.zone)
        return any(w.covers(local) for w in self.windows)


def _time(value: str, spec: str) -> time:
    hours, minutes = (int(p) for p in value.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ConfigError(f"OPERATOR_HOURS {spec!r}: {value} is not a time of day (00:00-24:00).")
    return time(hours, minutes)


def _days(value: str, spec: str) -> frozenset[int]:
    out: set[int] = set()
    for part in value.split(","):
        ends = part.split("-")
        try:
            idx = [DAYS.index(e[:3]) for e in ends if e]
        except ValueError:
            raise ConfigError(f"OPERATOR_HOURS {spec!r}: {part!r} is not a day; use Mon, Tue, "
                              "Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or 'always'.") from None
        if len(idx) == 1:
            out.add(idx[0])
        elif len(idx) == 2:
            first, last = idx
            out.update(range(first, last + 1) if first <= last
                       else [*range(first, 7), *range(0, last + 1)])
        else:
            raise ConfigError(f"OPERATOR_HOURS {spec!r}: {part!r} is not a day or a range.")
    return frozenset(out)


def zone(name: str) -> ZoneInfo:
    """``OPERATOR_TIMEZONE`` as a zone; a ConfigError naming an example when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"OPERATOR_TIMEZONE {name!r} is not a time zone; use an IANA name "
                          "such as Asia/Seoul.") from None


def parse_hours(spec: str, tz: str = "Asia/Seoul") -> DutyHours:
    """Parse ``OPERATOR_HOURS``; raises ConfigError with an example when it cannot."""
    text = " ".join(spec.strip().lower().split())
    if text in ("", "always", "24/7"):
        return DutyHours((), zone(tz))
    windows = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        found = _WINDOW.match(chunk)
        if found is None:
            raise ConfigError(f"OPERATOR_HOURS {spec!r} is not understood: write 'always' or "
                              "windows like 'Mon-Fri 09:00-18:00; Sat 10:00-14:00'.")
        windows.append(Window(_days(found["days"], spec), _time(found["start"], spec),
                              _time(found["end"], spec)))
    return DutyHours(tuple(windows), zone(tz))


def local_time(at: datetime, tz: str = "Asia/Seoul", fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """``at`` shown to operators in their zone, e.g. ``2026-12-05 21:04 KST`` (/admin uses it
    through :class:`bot.web.admin_views.Clock`)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
    return aware.astimezone(zone(tz)).strftime(fmt)
