"""How fast an operator sees a crisis message of a conversation they hold, in-process.

From the moment a message enters ``Buddy.handle`` until the operator's live view (a
:class:`core.handoff.live.Subscription`, what stage 2 streams to the page) has it. Runs the
real path: the crisis check, the handoff lookup on a real SQLite file, the durable log
writer; the channel is a collecting stand-in (no network) and the classifier a fixed table
(a crisis message is decided by the safety check before any classifier runs).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.handoff.crypto import AddressBox, decode_key, new_key
from core.handoff.hours import parse_hours
from core.handoff.service import HandoffService
from core.messages import IncomingMessage
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory, upgrade_schema_async
from core.storage.writer import LogWriter

CRISIS_TEXTS = ("죽고 싶어요", "오늘 밤에 다 끝내고 싶어", "살기 싫어요 정말로", "자살하고 싶다")


async def _deliver(platform: str, address: str, text: str, sender: str | None = None) -> None:
    """The channel stand-in: accepts every message at once."""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def crisis_to_operator(messages: int = 200, folder: Path | None = None) -> dict[str, Any]:
    """Milliseconds from ``Buddy.handle`` entry to the operator's view, over ``messages``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = (folder or Path(tmp)) / "handoff-bench.db"
        url = f"sqlite+aiosqlite:///{db}"
        await upgrade_schema_async(url)
        engine = open_engine(url)
        sessions = session_factory(engine)
        writer = LogWriter(sessions)
        await writer.start()
        service = HandoffService(sessions=sessions, box=AddressBox(decode_key(new_key())),
                                 hours=parse_hours("always"), operators=("bench",),
                                 deliver=_deliver, idle=timedelta(minutes=15))
        buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                      answers=AnswerBook({"일반대화": ["반가워요."]}), pseudonym_secret=b"bench",
                      writer=writer, handoff=service)
        try:
            first = await buddy.handle(IncomingMessage("telegram", "u1", "안녕", address="chat-1"))
            assert first.conversation_id is not None
            await service.take("bench", first.conversation_id)
            await buddy.handle(IncomingMessage("telegram", "u1", "죽고 싶어요", address="chat-1"))
            starts: list[float] = []
            seen_at: list[float] = []
            crisis_replies = 0
            async with service.feed.subscribe(first.conversation_id) as view:

                async def operator_view() -> None:  # what stage 2's page stream does
                    while len(seen_at) < messages:
                        event = await view.next(timeout=10)
                        if event is None:
                            return
                        if event.role == "user":
                            seen_at.append(time.perf_counter())

                watching = asyncio.create_task(operator_view())
                for i in range(messages):
                    starts.append(time.perf_counter())
                    reply = await buddy.handle(IncomingMessage(
                        "telegram", "u1", CRISIS_TEXTS[i % len(CRISIS_TEXTS)], address="chat-1"))
                    crisis_replies += reply.crisis
                await asyncio.wait_for(watching, 30)
            latencies = [(seen - start) * 1000 for start, seen in zip(starts, seen_at, strict=True)]
        finally:
            await buddy.aclose()
            await engine.dispose()
    return {
        "messages": messages, "crisis_replies": crisis_replies, "seen": len(latencies),
        "median_ms": round(statistics.median(latencies), 3),
        "p95_ms": round(_pct(latencies, 0.95), 3), "max_ms": round(max(latencies), 3),
    }


def main(messages: int = 200) -> dict[str, Any]:
    return asyncio.run(crisis_to_operator(messages))
