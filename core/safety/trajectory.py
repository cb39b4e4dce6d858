"""Conversation-level risk: what a user said in their last turns raises what they say now.

Why: people rarely say it all in one message. ``요즘 너무 힘들어`` → ``약 모아놨어`` →
``오늘이 마지막이야`` is a plan told in three turns, and each turn alone is at most a hint
(``약 모아놨어`` could be vitamins; ``오늘이 마지막이야`` could be the last day of a course).
After earlier pain or a wish to be dead, such a hint is no longer innocent.

How a message is raised (:func:`raise_level`, pure):

- The user's *remembered* level is the highest decayed level of their recent turns.
- A message that is not a crisis but carries a hint (its ``cue``: finality, preparation,
  a place, a means, a farewell…) becomes a crisis at the hint's own level, at least
  passive, when the remembered level is distress or higher (``약 모아놨어`` → plan).
- A crisis message below the remembered level is raised to it, at most to plan (only the
  message itself can say "now": imminent is never carried over).
- Nothing else changes: a harmless message after a crisis stays harmless (safety mode's
  gentle follow-ups take care of those turns), and nothing is ever lowered.

How risk decays (:func:`decayed`): a turn's level loses one step for every
:data:`TURN_STEP` (3) later turns of the same user after the first, and one step for every
:data:`MINUTE_STEP` (20) minutes since it was said; the two add up, and a level never falls
below none. So within 20 minutes ``distress`` counts in full for the next 3 turns and is gone
from the 4th; ``passive`` counts as passive for 3 turns and as distress for 3 more; ``plan``
(five steps above none) still counts as passive 12 turns later. Time alone: every level is
one step lower after 20 minutes and gone after at most 2 hours (:data:`FORGET_MINUTES`,
when the user's memory is dropped). Only turns with a level are remembered (the last
:data:`MEMORY_TURNS`); users are also dropped on ``/forget`` and, least recent first, by the
bound of the core's one per-user store (:class:`core.users.UserMemory`, slot ``risk``),
keyed by the pseudonymous user key: a restart forgets it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.safety.assessment import SafetyAssessment
from core.safety.levels import CRISIS_FROM, RiskLevel
from core.users import UserMemory

TURN_STEP = 3
MINUTE_STEP = 20.0
MEMORY_TURNS = 12
FORGET_MINUTES = 120.0  # six steps of time: even imminent has decayed to none
# The highest level a remembered turn can lend the present one.
CARRY_MAX = RiskLevel.PLAN
SLOT = "risk"


@dataclass(frozen=True)
class Seen:
    """One remembered turn: its number for this user, when, and its level."""

    turn: int
    at: float
    level: RiskLevel


def decayed(seen: Seen, turn: int, now: float, turn_step: int = TURN_STEP,
            minute_step: float = MINUTE_STEP) -> RiskLevel:
    """``seen``'s level as it counts at ``turn`` / ``now`` (see the module's decay rule)."""
    turns = max(0, turn - seen.turn - 1)  # the turn right after counts in full
    minutes = max(0.0, (now - seen.at) / 60.0)
    steps = turns // turn_step + int(minutes // minute_step)
    return RiskLevel(max(0, int(seen.level) - steps))


def raise_level(current: SafetyAssessment, remembered: RiskLevel) -> SafetyAssessment:
    """``current`` raised by the user's ``remembered`` level (pure; never lowers)."""
    if remembered < RiskLevel.DISTRESS:
        return current
    if current.crisis:
        carried = min(remembered, CARRY_MAX)
        if carried <= current.level or remembered < CRISIS_FROM:
            return current
        return replace(current, level=carried,
                       signals=(*current.signals, f"trajectory:{carried.label}"))
    if current.cue >= CRISIS_FROM:
        level = max(current.cue, CRISIS_FROM)
        return replace(current, crisis=True, level=level,
                       signals=(*current.signals, f"trajectory:{level.label}"))
    return current


@dataclass
class _History:
    turns: int
    seen: deque[Seen]


class RiskTrajectory:
    """Per-user memory of recent levels; ``clock`` is injectable so tests move time.

    The histories live in ``users`` (the core's one per-user store; its own when not given).
    """

    def __init__(
        self,
        turn_step: int = TURN_STEP,
        minute_step: float = MINUTE_STEP,
        clock: Callable[[], float] = time.monotonic,
        users: UserMemory | None = None,
    ) -> None:
        if turn_step < 1 or minute_step <= 0:
            raise ValueError("risk decay needs at least one turn and a positive time per step")
        self._turn_step = turn_step
        self._minute_step = minute_step
        self._clock = clock
        self._users = users if users is not None else UserMemory()

    def remembered(self, user_key: str) -> RiskLevel:
        """The highest decayed level of the user's recent turns, as of their next turn."""
        history = self._live(user_key)
        if history is None:
            return RiskLevel.NONE
        turn, now = history.turns + 1, self._clock()
        return max(
            (decayed(s, turn, now, self._turn_step, self._minute_step) for s in history.seen),
            default=RiskLevel.NONE,
        )

    def adjust(self, user_key: str, assessment: SafetyAssessment) -> SafetyAssessment:
        """The message's assessment raised by the user's history (reads, never records)."""
        return raise_level(assessment, self.remembered(user_key))

    def record(self, user_key: str, level: RiskLevel) -> None:
        """Remember this turn's final level (call once per user message)."""
        history = self._live(user_key)
        if history is None:
            if level <= RiskLevel.NONE:
                return  # nothing to remember, and no memory to keep per harmless user
            history = _History(0, deque(maxlen=MEMORY_TURNS))
            self._users.put(user_key, SLOT, history)
        history.turns += 1
        if level > RiskLevel.NONE:
            history.seen.append(Seen(history.turns, self._clock(), level))

    def forget(self, user_key: str) -> None:
        """Drop the user's history (``/forget`` clears the whole store's record instead)."""
        self._users.drop(user_key, SLOT)

    def _live(self, user_key: str) -> _History | None:
        history: _History | None = self._users.get(user_key, SLOT)
        if history is None:
            return None
        last = history.seen[-1].at if history.seen else None
        if last is not None and self._clock() - last >= FORGET_MINUTES * 60.0:
            self._users.drop(user_key, SLOT)
            return None
        return history
