"""Risk levels of a message, C-SSRS-inspired, ordered from no risk to an act under way.

Why levels and not a yes/no: the reply, the operator alert and the order of the review
queue all depend on *how* at risk a person is. Someone in pain without any wish to die
needs warmth and the numbers in view, not the crisis card; someone on a bridge right now
needs 119 before anything else. ``crisis`` (the crisis reply) is every level from
:attr:`RiskLevel.PASSIVE` up.
"""

from __future__ import annotations

from enum import IntEnum


class RiskLevel(IntEnum):
    """How much risk one message (or a conversation) signals; comparable (``<``, ``max``)."""

    NONE = 0
    DISTRESS = 1
    PASSIVE = 2
    IDEATION = 3
    METHOD = 4
    PLAN = 5
    IMMINENT = 6

    @property
    def label(self) -> str:
        """The lower-case name used in JSON, logs and the API (``"ideation"``)."""
        return self.name.lower()

    @property
    def ko(self) -> str:
        return _DESCRIPTIONS[self][0]

    @property
    def en(self) -> str:
        return _DESCRIPTIONS[self][1]

    @property
    def crisis(self) -> bool:
        """True when this level gets the crisis reply (passive and above)."""
        return self >= CRISIS_FROM

    @classmethod
    def parse(cls, value: object) -> RiskLevel:
        """A level from its label, its number or a legacy verdict string.

        The legacy strings of the yes/no detector map safely: ``"crisis"`` to ideation (a
        crisis of unknown kind still alerts operators), ``"concern"`` to none. Raises
        ``ValueError`` naming the accepted labels for anything else.
        """
        if isinstance(value, RiskLevel):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        text = str(value).strip().lower()
        if text in _LEGACY:
            return _LEGACY[text]
        for level in cls:
            if level.label == text:
                return level
        raise ValueError(f"unknown risk level {value!r}; use one of {', '.join(LABELS)}")


_DESCRIPTIONS: dict[RiskLevel, tuple[str, str]] = {
    RiskLevel.NONE: ("위기 신호 없음", "no crisis signal"),
    RiskLevel.DISTRESS: ("죽음 생각 없는 정서적 고통", "emotional pain without a wish to die"),
    RiskLevel.PASSIVE: (
        "죽었으면·깨지 않았으면·사라졌으면 하는 소극적 바람",
        "passive wish to be dead, not wake up or disappear",
    ),
    RiskLevel.IDEATION: ("자살에 대한 생각", "thoughts of killing oneself"),
    RiskLevel.METHOD: ("수단·방법, 자해 행동이나 충동", "means or methods, self-harm acts or urges"),
    RiskLevel.PLAN: (
        "의도·시간·장소·준비·작별이 있는 계획",
        "intent with a time, place, preparation or farewell",
    ),
    RiskLevel.IMMINENT: (
        "지금 진행 중이거나 수단이 손에 있는 임박한 위험",
        "act in progress, means at hand, now",
    ),
}
_LEGACY = {"crisis": RiskLevel.IDEATION, "concern": RiskLevel.NONE}

#: The crisis reply is given from this level up.
CRISIS_FROM = RiskLevel.PASSIVE
#: Operators are alerted from this level up (a passive wish alone does not page anyone).
ALERT_FROM = RiskLevel.IDEATION
LABELS: tuple[str, ...] = tuple(level.label for level in RiskLevel)

# The labels in order, for training files and model metadata (``data/crisis`` level column).
LEVELS: tuple[str, ...] = tuple(level.label for level in RiskLevel)
# The labels that get the crisis reply.
CRISIS_LEVELS: frozenset[str] = frozenset(lv.label for lv in RiskLevel if lv >= CRISIS_FROM)
