"""Which conversation a message belongs to: one per user, renewed after silence or /reset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class ConversationState:
    id: str
    started_at: datetime
    last_at: datetime


class ConversationTracker:
    """In-memory map from pseudonymous user key to the open conversation.

    After a restart every user simply starts a new conversation; the log keeps the old one.
    """

    def __init__(self, idle: timedelta, max_users: int = 100_000) -> None:
        self._idle = idle
        self._max = max_users
        self._open: dict[str, ConversationState] = {}

    def current(self, user_key: str, now: datetime) -> ConversationState:
        state = self._open.get(user_key)
        if state is None or now - state.last_at > self._idle:
            state = ConversationState(str(uuid.uuid4()), now, now)
            self._open.pop(user_key, None)
            self._open[user_key] = state
            if len(self._open) > self._max:
                self._open.pop(next(iter(self._open)))
        state.last_at = now
        return state

    def end(self, user_key: str) -> None:
        """Close the user's conversation; the next message starts a new one."""
        self._open.pop(user_key, None)
