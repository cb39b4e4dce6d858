"""A per-user sliding-window flood limit shared by every adapter."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from core.users import UserMemory

SLOT = "flood"


class FloodLimiter:
    """Allows ``limit`` messages per ``window`` seconds per user key.

    The timestamps live in ``users`` (the core's one per-user store), so ``/forget`` and its
    bound cover them too.
    """

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic,
        users: UserMemory | None = None,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._users = users if users is not None else UserMemory()

    def allow(self, key: str) -> bool:
        now = self._clock()
        q: deque[float] | None = self._users.get(key, SLOT)
        if q is None:
            q = deque()
            self._users.put(key, SLOT, q)
        while q and now - q[0] > self._window:
            q.popleft()
        if len(q) >= self._limit:
            return False
        q.append(now)
        return True
