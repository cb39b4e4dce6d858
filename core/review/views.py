"""What operators see of the log: rows of the conversation list, messages, transcripts,
aggregates and export lines. Plain values; the storage layer
(``core.storage.review_reads``) fills them.

Users appear only as the 12-character pseudonymous reference; the full HMAC key never
reaches a view. Every datetime here is timezone-aware UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from core.safety.levels import RiskLevel

#: Columns of ``buddy logs export``; none of them is a platform id or a secret.
EXPORT_FIELDS: tuple[str, ...] = (
    "message_id", "conversation_id", "user_ref", "platform", "role", "created_at", "kind",
    "text", "category", "confidence", "crisis", "risk_level", "signals", "corrected_category",
    "reviewed_at",
)
HISTOGRAM_BINS = 10


class AmbiguousReference(ValueError):
    """A shortened id matched more than one row; the operator should type more of it."""


@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversation list."""

    id: str
    platform: str
    started_at: datetime
    last_message_at: datetime
    user_ref: str
    messages: int
    crisis: bool
    unreviewed_crisis: int
    lowest_confidence: float | None
    preview: str | None


@dataclass(frozen=True)
class MessageView:
    """One logged message as operators see it, with its latest correction if any."""

    id: str
    conversation_id: str
    user_ref: str
    platform: str
    role: str
    text: str
    kind: str
    category: str | None
    confidence: float | None
    crisis: bool
    signals: tuple[str, ...]
    created_at: datetime
    reviewed_at: datetime | None
    corrected_category: str | None = None
    risk_level: str | None = None  # the safety level's label ("plan"); None when not logged
    operator: str | None = None  # the operator who wrote it (role "operator", a handoff)

    @property
    def can_relabel(self) -> bool:
        """Only what a user wrote, as text, is training material."""
        return self.role == "user" and self.kind == "text"


@dataclass(frozen=True)
class Transcript:
    conversation: ConversationRow
    messages: list[MessageView]


@dataclass
class Stats:
    """Aggregates of the filtered log; message counts are of users' messages."""

    messages: int = 0
    user_messages: int = 0
    conversations: int = 0
    users: int = 0
    crisis: int = 0
    unreviewed_crisis: int = 0
    low_confidence: int = 0
    corrections: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)


def parse_signals(raw: str | None) -> tuple[str, ...]:
    """The stored JSON list of safety signals; anything unreadable counts as none."""
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(s) for s in value) if isinstance(value, list) else ()


def risk_label(value: int | None) -> str | None:
    """A stored level number as its label; None for rows logged before levels existed."""
    if value is None:
        return None
    try:
        return RiskLevel(int(value)).label
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_line(v: MessageView) -> dict[str, object]:
    """One ``buddy logs export`` line, keyed by :data:`EXPORT_FIELDS`."""
    return {
        "message_id": v.id,
        "conversation_id": v.conversation_id,
        "user_ref": v.user_ref,
        "platform": v.platform,
        "role": v.role,
        "created_at": _iso(v.created_at),
        "kind": v.kind,
        "text": v.text,
        "category": v.category,
        "confidence": v.confidence,
        "crisis": v.crisis,
        "risk_level": v.risk_level,
        "signals": list(v.signals),
        "corrected_category": v.corrected_category,
        "reviewed_at": _iso(v.reviewed_at),
    }


def confidence_bin(confidence: float) -> int:
    """The histogram bin of a classifier confidence in [0, 1]."""
    return min(int(confidence * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)
