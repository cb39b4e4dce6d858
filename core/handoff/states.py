"""The states of one user's handoff to a person, and the only moves between them.

Why a table of moves and not flags: two operators, an idle timer and the user all act on
the same conversation; every storage update is a conditional UPDATE from the state this
table allows, so a move that lost a race simply matches no row.

::

    none ──request──▶ queued ──take──▶ held ──hand_back / timeout──▶ returned
      └────────────────take───────────▲  ▲                             │
                                      └───────── take / request ◀──────┘
    any ──forget──▶ none
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from core.errors import BuddyError


class HandoffState(str, Enum):
    """Where a user's conversation stands with the operators."""

    NONE = "none"  # Buddy answers; no one asked for a person
    QUEUED = "queued"  # the user asked for a person; waiting for an operator
    HELD = "held"  # one operator talks; Buddy stays quiet (crisis replies excepted)
    RETURNED = "returned"  # handed back (by the operator or the idle timer): Buddy answers


@dataclass(frozen=True)
class HandoffView:
    """A user's handoff as ``/admin`` shows it: plain values, the user only as the
    pseudonymous reference (never the key, never the address)."""

    conversation_id: str
    user_ref: str
    platform: str
    state: HandoffState
    operator: str | None
    requested_at: datetime | None
    taken_at: datetime | None


class HandoffEvent(str, Enum):
    REQUEST = "request"
    TAKE = "take"
    HAND_BACK = "hand_back"
    TIMEOUT = "timeout"
    FORGET = "forget"


class HandoffError(BuddyError):
    """A handoff action that cannot happen now; the message says why, for the operator."""


# (from-states, to-state) per event; an event not allowed from a state is refused
_MOVES: dict[HandoffEvent, tuple[frozenset[HandoffState], HandoffState]] = {
    HandoffEvent.REQUEST: (frozenset({HandoffState.NONE, HandoffState.RETURNED,
                                      HandoffState.QUEUED}), HandoffState.QUEUED),
    HandoffEvent.TAKE: (frozenset({HandoffState.NONE, HandoffState.QUEUED,
                                   HandoffState.RETURNED}), HandoffState.HELD),
    HandoffEvent.HAND_BACK: (frozenset({HandoffState.HELD}), HandoffState.RETURNED),
    HandoffEvent.TIMEOUT: (frozenset({HandoffState.HELD}), HandoffState.RETURNED),
    HandoffEvent.FORGET: (frozenset(HandoffState), HandoffState.NONE),
}


def allowed_from(event: HandoffEvent) -> frozenset[HandoffState]:
    """The states ``event`` may start from (what a conditional UPDATE matches)."""
    return _MOVES[event][0]


def move(state: HandoffState, event: HandoffEvent) -> HandoffState:
    """The state after ``event``; raises :class:`HandoffError` when it is not allowed."""
    sources, target = _MOVES[event]
    if state not in sources:
        raise HandoffError(f"cannot {event.value} a conversation that is {state.value}")
    return target


def is_active(state: HandoffState) -> bool:
    """Queued or held: the user's address must be kept so a person can write."""
    return state in (HandoffState.QUEUED, HandoffState.HELD)
