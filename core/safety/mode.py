"""Per-user safety mode: after a crisis reply, the next turns stay gentle for a while.

The pipeline keeps each user's safety mode in the shared conversation state
(``core.dialogue.state``: level, until when, follow-ups used), so it survives a restart and
crosses processes; it reads only the limits (``turns``, ``seconds``) from this class. The
in-memory bookkeeping below remains for callers that want a standalone per-process mode.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Entry:
    turns_used: int
    expires_at: float


class SafetyMode:
    """Remembers who received a crisis reply, for ``turns`` messages or ``minutes``.

    Whichever limit comes first ends the mode. ``clock`` is injectable so tests can move
    time without sleeping.
    """

    def __init__(
        self,
        turns: int = 5,
        minutes: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 10_000,
    ) -> None:
        if turns < 1 or minutes <= 0:
            raise ValueError("safety mode needs at least one turn and a positive duration")
        self._turns = turns
        self._seconds = minutes * 60.0
        self._clock = clock
        self._max_users = max_users
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @property
    def turns(self) -> int:
        return self._turns

    @property
    def seconds(self) -> float:
        return self._seconds

    def enter(self, user_key: str) -> None:
        """Start (or restart) safety mode for a user who just got the crisis reply."""
        with self._lock:
            self._prune()
            self._entries[user_key] = _Entry(0, self._clock() + self._seconds)

    def active(self, user_key: str) -> bool:
        """True while the user still has follow-up turns left and time has not run out."""
        with self._lock:
            return self._live(user_key) is not None

    def next_turn(self, user_key: str) -> int | None:
        """Use one follow-up turn: its 1-based number, or None when the mode is not active."""
        with self._lock:
            entry = self._live(user_key)
            if entry is None:
                return None
            entry.turns_used += 1
            if entry.turns_used >= self._turns:
                del self._entries[user_key]
            return entry.turns_used

    def leave(self, user_key: str) -> None:
        """End safety mode early (e.g. the user ended the conversation)."""
        with self._lock:
            self._entries.pop(user_key, None)

    def _live(self, user_key: str) -> _Entry | None:
        entry = self._entries.get(user_key)
        if entry is None:
            return None
        if self._clock() >= entry.expires_at:
            del self._entries[user_key]
            return None
        return entry

    def _prune(self) -> None:
        """Drop expired entries; if still too many, drop the oldest (bounded memory)."""
        now = self._clock()
        for key in [k for k, e in self._entries.items() if now >= e.expires_at]:
            del self._entries[key]
        while len(self._entries) >= self._max_users:
            del self._entries[next(iter(self._entries))]
