"""What one answered message writes into the conversation log: a user row and a bot row.

Kept beside the message path, not in it: the rows are plain data built from the decision
(:class:`~core.storage.records.TurnRecord`), and the writer makes them durable.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime, timedelta

from core.classify.base import Prediction
from core.dialogue.state import DialogueState
from core.messages import IncomingMessage, Reply, ReplyKind
from core.safety import SafetyAssessment
from core.storage.records import MessageRow, TurnRecord


def loggable(text: str) -> str:
    """What the log keeps: the user's full text, NFC, without NUL (PostgreSQL refuses it)."""
    return unicodedata.normalize("NFC", text).replace("\x00", "")


def turn_record(
    message: IncomingMessage,
    key: str,
    now: datetime,
    conv: DialogueState,
    reply: Reply,
    prediction: Prediction | None,
    assessment: SafetyAssessment,
    model_id: str | None,
    latency_ms: float,
) -> TurnRecord:
    """The turn's two rows (random version-4 ids; the bot's a microsecond later); one row
    while a person holds the conversation, since Buddy said nothing."""
    user_text = loggable(message.text) if message.kind == "text" else f"[{message.kind}]"
    return TurnRecord(
        user_key=key,
        platform=message.platform,
        conversation_id=conv.conversation_id,
        conversation_started_at=conv.started_at,
        messages=(
            MessageRow(
                id=str(uuid.uuid4()), role="user", text=user_text, created_at=now,
                kind=message.kind, category=prediction.category if prediction else None,
                confidence=prediction.confidence if prediction else None,
                crisis=assessment.crisis, signals=assessment.signals, model_id=model_id,
                risk_level=int(assessment.level),
            ),
            MessageRow(
                id=str(uuid.uuid4()), role="bot", text=reply.text,
                created_at=now + timedelta(microseconds=1), kind=reply.kind.value,
                category=reply.category, confidence=reply.confidence, crisis=reply.crisis,
                model_id=model_id, latency_ms=round(latency_ms, 3),
            ),
        )[: 1 if reply.kind is ReplyKind.HELD else 2],
    )
