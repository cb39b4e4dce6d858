"""What the pipeline hands the log writer: plain values, built before anything is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MessageRow:
    """One logged message. ``id`` is fixed when the message is accepted, so a retried write
    can tell which rows already landed and never writes one twice."""

    id: str
    role: str  # "user" | "bot"
    text: str
    created_at: datetime
    kind: str = "text"
    category: str | None = None
    confidence: float | None = None
    crisis: bool = False
    signals: tuple[str, ...] = ()
    model_id: str | None = None
    latency_ms: float | None = None
    risk_level: int | None = None  # a user message's RiskLevel value (0 none … 6 imminent)


@dataclass(frozen=True)
class TurnRecord:
    """A user message and Buddy's reply, with the conversation they belong to."""

    user_key: str
    platform: str
    conversation_id: str
    conversation_started_at: datetime
    messages: tuple[MessageRow, ...] = field(default_factory=tuple)

    def to_json(self, *, ascii_only: bool = False) -> str:
        """One journal line. ``ascii_only`` escapes everything, so even text that cannot be
        UTF-8 encoded (a lone surrogate) can be written down.

        Built field by field: ``dataclasses.asdict`` deep-copies and took 60 µs a turn, on
        the path every reply waits for."""
        doc = {
            "user_key": self.user_key, "platform": self.platform,
            "conversation_id": self.conversation_id,
            "conversation_started_at": self.conversation_started_at.isoformat(),
            "messages": [
                {"id": m.id, "role": m.role, "text": m.text,
                 "created_at": m.created_at.isoformat(), "kind": m.kind,
                 "category": m.category, "confidence": m.confidence, "crisis": m.crisis,
                 "signals": list(m.signals), "risk_level": m.risk_level,
                 "model_id": m.model_id, "latency_ms": m.latency_ms}
                for m in self.messages
            ],
        }
        return json.dumps(doc, ensure_ascii=ascii_only)

    @classmethod
    def from_json(cls, line: str) -> TurnRecord:
        d = json.loads(line)
        msgs = tuple(
            MessageRow(
                **{
                    **m,
                    "created_at": datetime.fromisoformat(m["created_at"]),
                    "signals": tuple(m.get("signals") or ()),
                }
            )
            for m in d["messages"]
        )
        return cls(
            user_key=d["user_key"],
            platform=d["platform"],
            conversation_id=d["conversation_id"],
            conversation_started_at=datetime.fromisoformat(d["conversation_started_at"]),
            messages=msgs,
        )


def encodable(turn: TurnRecord) -> tuple[TurnRecord, bool]:
    """``turn`` with every text UTF-8 encodable (lone surrogates replaced by U+FFFD), and
    whether anything was replaced. Databases, drivers and the journal all refuse them."""
    from dataclasses import replace

    from core.text import encodable_text

    changed = False
    rows = []
    for m in turn.messages:
        text, replaced = encodable_text(m.text) if isinstance(m.text, str) else (m.text, False)
        if replaced:
            changed = True
            m = replace(m, text=text, signals=(*m.signals, REPLACED_SIGNAL))
        rows.append(m)
    return (replace(turn, messages=tuple(rows)) if changed else turn), changed


# Marks a logged text whose unencodable characters were replaced (the original is lost).
REPLACED_SIGNAL = "text:unencodable-replaced"
