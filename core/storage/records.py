"""What the pipeline hands the log writer: plain values, built before anything is written."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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

    def to_json(self) -> str:
        """One journal line (used only while the database is unreachable)."""

        def enc(o: Any) -> Any:
            if isinstance(o, datetime):
                return o.isoformat()
            raise TypeError(type(o))

        return json.dumps(asdict(self), ensure_ascii=False, default=enc)

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
