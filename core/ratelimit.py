"""A per-user sliding-window flood limit shared by every adapter."""

from __future__ import annotations

import time
from collections import deque


class FloodLimiter:
    """Allows ``limit`` messages per ``window`` seconds per user key."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic) -> None:  # noqa: ANN001
        self._limit = limit
        self._window = window
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        q = self._seen.setdefault(key, deque())
        while q and now - q[0] > self._window:
            q.popleft()
        if len(q) >= self._limit:
            return False
        q.append(now)
        if len(self._seen) > 100_000:
            self._seen.pop(next(iter(self._seen)))
        return True
