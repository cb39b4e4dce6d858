"""What this process remembers about each user between messages, in one bounded store.

Why one store: per-user memory kept in several dicts grew with different limits (or none)
and ``/forget`` had to find every one of them. Here each user has one record of named
slots (the flood limiter's timestamps, the crisis check's recent levels); the store keeps
the :data:`MAX_USERS` users seen most recently and forgets a user in one call.

Only what may be lost lives here: a restart or an eviction starts a user afresh (the open
conversation itself lives in the database, :mod:`core.storage.dialogue_state`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

# Users remembered at once, least recently seen dropped first. Each record is a few
# hundred bytes (at most ``FLOOD_LIMIT_PER_MINUTE`` timestamps and six risk levels), so
# the store stays under ~10 MB; a user dropped is one who wrote nothing for a long while.
MAX_USERS = 20_000


class UserMemory:
    """An LRU of per-user records, each a small dict of named slots (thread-safe)."""

    def __init__(self, max_users: int = MAX_USERS) -> None:
        if max_users < 1:
            raise ValueError("the per-user memory needs room for at least one user")
        self._max = max_users
        self._users: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_key: str, slot: str) -> Any | None:
        """The user's value in ``slot`` (None when there is none); marks them recent."""
        with self._lock:
            record = self._users.get(user_key)
            if record is None:
                return None
            self._users.move_to_end(user_key)
            return record.get(slot)

    def put(self, user_key: str, slot: str, value: Any) -> None:
        """Keep ``value`` in the user's ``slot``, dropping the least recent user if full."""
        with self._lock:
            record = self._users.get(user_key)
            if record is None:
                record = self._users[user_key] = {}
                while len(self._users) > self._max:
                    self._users.popitem(last=False)
            else:
                self._users.move_to_end(user_key)
            record[slot] = value

    def drop(self, user_key: str, slot: str) -> None:
        """Forget one slot of the user's record."""
        with self._lock:
            record = self._users.get(user_key)
            if record is not None:
                record.pop(slot, None)
                if not record:
                    del self._users[user_key]

    def forget(self, user_key: str) -> None:
        """Forget everything about the user (``/forget``)."""
        with self._lock:
            self._users.pop(user_key, None)

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, user_key: object) -> bool:
        return user_key in self._users
