"""A small conversation log for the log-review tests, written through the real LogWriter.

Every sentence here is invented for these tests. Raw platform ids exist only in this
file: the tests check they never reach an export or a screen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from core.pseudonym import user_key, user_ref
from core.storage.db import open_engine, session_factory
from core.storage.records import MessageRow, TurnRecord
from core.storage.writer import LogWriter

SECRET = b"review-test-secret"
RAW_IDS = {"telegram": "987654321", "web": "browser-session-5f3a", "discord": "112233445566778899"}
INJECTION = "<script>alert('x')</script><b>굵게</b> & \"따옴표\""


@dataclass
class Seeded:
    """Ids the tests look for."""

    conversations: dict[str, str] = field(default_factory=dict)  # name -> id
    user_messages: dict[str, str] = field(default_factory=dict)  # name -> message id
    users: dict[str, str] = field(default_factory=dict)  # platform -> user_ref
    keys: dict[str, str] = field(default_factory=dict)  # platform -> full key


def _key(platform: str) -> str:
    return user_key(SECRET, platform, RAW_IDS[platform])


# name, platform, age, [(user text, category, confidence, crisis)]
CONVERSATIONS: list[tuple[str, str, timedelta, list[tuple[str, str, float, bool]]]] = [
    ("sleep", "telegram", timedelta(days=3), [
        ("요즘 잠이 안 와요", "증상/불면", 0.82, False),
        ("밤마다 뒤척이다가 새벽에야 겨우 잠들어요", "증상/불면", 0.77, False),
    ]),
    ("exam", "web", timedelta(days=1), [
        ("시험 때문에 너무 불안해요", "감정/불안", 0.91, False),
        (INJECTION, "감정/불안", 0.12, False),
    ]),
    ("crisis", "discord", timedelta(hours=2), [
        ("더 이상 버틸 힘이 없어요. 사라지고 싶어요", "감정/우울감", 0.55, True),
    ]),
    ("vague", "web", timedelta(hours=5), [
        ("그냥 뭐랄까 애매한 기분이에요", "감정/외로움", 0.18, False),
    ]),
    ("old", "telegram", timedelta(days=200), [
        ("오래전에 나눈 인사예요", "일상/인사", 0.40, False),
    ]),
]


def turns(now: datetime | None = None) -> tuple[list[TurnRecord], Seeded]:
    now = now or datetime.now(timezone.utc)
    seeded = Seeded()
    out = []
    for name, platform, age, lines in CONVERSATIONS:
        conv_id = str(uuid.uuid4())
        seeded.conversations[name] = conv_id
        key = _key(platform)
        seeded.keys[platform] = key
        seeded.users[platform] = user_ref(key)
        start = now - age
        for i, (text, cat, conf, crisis) in enumerate(lines):
            at = start + timedelta(minutes=2 * i)
            mid = str(uuid.uuid4())
            seeded.user_messages[name if i == 0 else f"{name}{i}"] = mid
            reply = "지금 많이 힘드시군요. 109에 전화하면 바로 도움을 받을 수 있어요." if crisis \
                else "그랬군요. 조금 더 이야기해 줄래요?"
            out.append(TurnRecord(
                user_key=key, platform=platform, conversation_id=conv_id,
                conversation_started_at=start,
                messages=(
                    MessageRow(mid, "user", text, at, category=cat, confidence=conf,
                               crisis=crisis, signals=("emergency:test",) if crisis else (),
                               model_id="test-model"),
                    MessageRow(str(uuid.uuid4()), "bot", reply, at + timedelta(seconds=1),
                               kind="crisis" if crisis else "answer", category=cat,
                               confidence=conf, crisis=crisis, model_id="test-model",
                               latency_ms=3.0),
                ),
            ))
    return out, seeded


async def seed_log(url: str, now: datetime | None = None) -> Seeded:
    """Write the fixture log into the (migrated) database at ``url`` through LogWriter."""
    engine = open_engine(url)
    writer = LogWriter(session_factory(engine))
    await writer.start()
    records, seeded = turns(now)
    for t in records:
        writer.submit(t)
    assert await writer.flush(timeout=30)
    await writer.aclose()
    await engine.dispose()
    return seeded
