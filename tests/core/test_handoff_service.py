"""A person takes a conversation, talks, hands it back: through ``Buddy.handle`` on real
SQLite files (and PostgreSQL where racing matters). The channel is a collecting stand-in:
the real Telegram / Discord / web clients come with stage 2 (adapter wiring)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.handoff import texts
from core.handoff.crypto import AddressBox, decode_key, new_key
from core.handoff.hours import parse_hours
from core.handoff.service import HandoffService
from core.handoff.states import HandoffError
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory
from core.storage.models import AuditEvent, ContactAddress, Handoff, Message
from core.storage.retention import purge_expired
from core.storage.writer import LogWriter

ADDRESS = "tg-chat-7350012345"
ANSWERS = {"일반대화": ["반가워요. 오늘은 어떤 이야기를 하고 싶어요?"]}


@dataclass
class Outbox:
    """Collects what a channel's ``send_text`` would have sent, as (platform, address, text)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    refuse: bool = False

    senders: list[str | None] = field(default_factory=list)

    async def __call__(self, platform: str, address: str, text: str,
                       sender: str | None = None) -> None:
        if self.refuse:
            raise RuntimeError("bot was blocked by the user")
        self.sent.append((platform, address, text))
        self.senders.append(sender)

    def texts(self) -> list[str]:
        return [t for _, _, t in self.sent]


@dataclass
class Setup:
    buddy: Buddy
    service: HandoffService
    writer: LogWriter
    outbox: Outbox
    db: Path


def make_service(sessions, outbox: Outbox | None, *, key: str | None = None,  # noqa: ANN001
                 hours: str = "always", operators: tuple[str, ...] = ("kim", "lee")
                 ) -> HandoffService:
    return HandoffService(
        sessions=sessions, box=AddressBox(decode_key(key or new_key())),
        hours=parse_hours(hours), operators=operators, deliver=outbox,
        idle=timedelta(minutes=15))


@pytest.fixture
async def setup(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Setup]:
    engine = open_engine(sqlite_url)
    sessions = session_factory(engine)
    writer = LogWriter(sessions)
    await writer.start()
    outbox = Outbox()
    service = make_service(sessions, outbox)
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                  answers=AnswerBook(ANSWERS, seed=1), pseudonym_secret=b"test-secret",
                  writer=writer, handoff=service)
    yield Setup(buddy, service, writer, outbox, tmp_path / "log.db")
    await writer.aclose()
    await engine.dispose()


def say(text: str, user: str = "55501", address: str | None = ADDRESS) -> IncomingMessage:
    return IncomingMessage("telegram", user, text, address=address)


async def rows(setup: Setup, model):  # noqa: ANN001, ANN201
    assert await setup.writer.flush(timeout=10)
    async with setup.service.sessions() as s:
        return list(await s.scalars(select(model)))


def file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())


async def held_conversation(setup: Setup, operator: str = "kim") -> str:
    first = await setup.buddy.handle(say("안녕"))
    await setup.service.take(operator, first.conversation_id)
    return first.conversation_id


async def test_asking_for_a_person_queues_and_says_what_to_expect(setup: Setup) -> None:
    reply = await setup.buddy.handle(say("사람이랑 얘기하고 싶어"))
    assert reply.kind is ReplyKind.HANDOFF and reply.text == texts.QUEUED
    assert "109" in reply.text and "1577-0199" in reply.text
    again = await setup.buddy.handle(say("상담사 연결해 주세요"))
    assert again.text == texts.ALREADY_QUEUED
    [row] = await rows(setup, Handoff)
    assert row.state == "queued"


async def test_operator_takes_talks_and_hands_back(setup: Setup) -> None:
    conv = await held_conversation(setup)
    assert setup.outbox.sent[-1] == ("telegram", ADDRESS, texts.JOINED)
    await setup.service.send("kim", conv, "안녕하세요, 상담사 김입니다. 천천히 말씀해 주세요.")
    assert setup.outbox.sent[-1] == ("telegram", ADDRESS,
                                     "안녕하세요, 상담사 김입니다. 천천히 말씀해 주세요.")
    # the user sees a person wrote it (never the operator's name); notices are Buddy's own
    assert setup.outbox.senders[-2:] == [None, texts.OPERATOR_SENDER]

    quiet = await setup.buddy.handle(say("네 고마워요"))
    assert quiet.kind is ReplyKind.HELD and quiet.text == ""  # Buddy does not answer

    await setup.service.hand_back("kim", conv)
    assert setup.outbox.texts()[-1] == texts.RETURNED
    back = await setup.buddy.handle(say("안녕"))
    assert back.kind is not ReplyKind.HELD and back.text

    log = sorted(await rows(setup, Message), key=lambda m: m.created_at)
    said = [(m.role, m.text, m.operator) for m in log]
    assert ("operator", "안녕하세요, 상담사 김입니다. 천천히 말씀해 주세요.", "kim") in said
    assert ("user", "네 고마워요", None) in said  # the held turn is logged…
    assert not any(role == "bot" and not text for role, text, _ in said)  # …without a Buddy line
    audit = [(a.actor, a.action, a.target) for a in await rows(setup, AuditEvent)]
    assert [(a, act) for a, act, _ in audit] == [("kim", "take"), ("kim", "message"),
                                                  ("kim", "hand_back")]
    assert all(t == conv for _, _, t in audit)


async def test_the_operator_sees_new_messages_live_and_a_crisis_still_gets_the_hotlines(
    setup: Setup,
) -> None:
    conv = await held_conversation(setup)
    async with setup.service.feed.subscribe(conv) as view:
        quiet = await setup.buddy.handle(say("오늘 좀 힘들었어요"))
        seen = await view.next(timeout=5)
        assert quiet.kind is ReplyKind.HELD
        assert seen is not None and (seen.role, seen.text) == ("user", "오늘 좀 힘들었어요")

        crisis = await setup.buddy.handle(say("죽고 싶어요"))
        assert crisis.kind is ReplyKind.CRISIS and "109" in crisis.text  # safety first
        user_line, bot_line = await view.next(timeout=5), await view.next(timeout=5)
        assert user_line is not None and user_line.crisis and user_line.text == "죽고 싶어요"
        assert bot_line is not None and bot_line.role == "bot" and "109" in bot_line.text
    log = await rows(setup, Message)
    assert any(m.role == "bot" and m.kind == "crisis" for m in log)
    assert any(m.role == "user" and m.text == "오늘 좀 힘들었어요" for m in log)


async def test_two_operators_racing_one_wins(setup: Setup) -> None:
    first = await setup.buddy.handle(say("사람 바꿔줘"))
    results = await asyncio.gather(setup.service.take("kim", first.conversation_id),
                                   setup.service.take("lee", first.conversation_id),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["HandoffError", "NoneType"]
    [row] = await rows(setup, Handoff)
    winner = "kim" if results[0] is None else "lee"
    assert row.operator == winner and row.state == "held"
    with pytest.raises(HandoffError, match=winner):
        await setup.service.take("lee" if winner == "kim" else "kim", first.conversation_id)
    with pytest.raises(HandoffError):  # the loser cannot write either
        await setup.service.send("lee" if winner == "kim" else "kim", first.conversation_id, "hi")


async def test_race_across_processes_on_every_database(db_url: str) -> None:
    """Two services with their own engines (two ``buddy serve`` processes), one database."""
    key = new_key()
    engines = [open_engine(db_url), open_engine(db_url)]
    outbox = Outbox()
    services = [make_service(session_factory(e), outbox, key=key) for e in engines]
    writer = LogWriter(session_factory(engines[0]))
    await writer.start()
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                  answers=AnswerBook(ANSWERS, seed=1), pseudonym_secret=b"s", writer=writer,
                  handoff=services[0])
    try:
        conv = (await buddy.handle(say("안녕"))).conversation_id
        for _ in range(5):
            results = await asyncio.gather(services[0].take("kim", conv),
                                           services[1].take("lee", conv),
                                           return_exceptions=True)
            assert sum(r is None for r in results) == 1, results
            winner = "kim" if results[0] is None else "lee"
            await services[0 if winner == "kim" else 1].hand_back(winner, conv)
            await buddy.handle(say("다시 왔어요"))  # the address comes back with the next message
    finally:
        await writer.aclose()
        for e in engines:
            await e.dispose()


async def test_the_address_is_sealed_on_disk_and_gone_after_forget(setup: Setup) -> None:
    await setup.buddy.handle(say("안녕"))
    assert await setup.writer.flush(timeout=10)
    [row] = await rows(setup, ContactAddress)
    assert ADDRESS.encode() not in file_bytes(setup.db)  # encrypted at rest
    sealed = row.sealed
    await setup.buddy.forget("telegram", "55501")
    assert await rows(setup, ContactAddress) == [] and await rows(setup, Handoff) == []
    assert sealed not in file_bytes(setup.db) and ADDRESS.encode() not in file_bytes(setup.db)


async def test_retention_purge_deletes_the_address(setup: Setup) -> None:
    await setup.buddy.handle(say("안녕"))
    [row] = await rows(setup, ContactAddress)
    result = await purge_expired(setup.service.sessions, 1,
                                 now=datetime.now(timezone.utc) + timedelta(days=2))
    assert result.messages >= 1
    assert await rows(setup, ContactAddress) == []
    assert row.sealed not in file_bytes(setup.db)


async def test_silent_operator_is_timed_out_with_a_notice(setup: Setup) -> None:
    conv = await held_conversation(setup)
    assert await setup.service.expire_idle(datetime.now(timezone.utc)) == 0  # not yet
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    assert await setup.service.expire_idle(later) == 1
    assert setup.outbox.texts()[-1] == texts.TIMED_OUT
    [row] = await rows(setup, Handoff)
    assert row.state == "returned" and row.operator is None
    assert await rows(setup, ContactAddress) == []  # hand-back deletes the address
    assert ("kim", "timeout", conv) in [(a.actor, a.action, a.target)
                                        for a in await rows(setup, AuditEvent)]
    answer = await setup.buddy.handle(say("안녕"))
    assert answer.kind is not ReplyKind.HELD and answer.text  # Buddy answers again


async def test_addresses_of_ended_conversations_are_deleted(setup: Setup) -> None:
    await setup.buddy.handle(say("안녕"))
    await setup.service.expire_idle(datetime.now(timezone.utc) + timedelta(minutes=31))
    assert await rows(setup, ContactAddress) == []


async def test_no_key_means_handoff_off_and_an_honest_reply(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    service = HandoffService(sessions=session_factory(engine), box=None,
                             hours=parse_hours("always"), operators=("kim",), deliver=Outbox())
    assert "off" in service.status() and "HANDOFF_KEY" in service.status()
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                  answers=AnswerBook(ANSWERS, seed=1), pseudonym_secret=b"s", handoff=service)
    reply = await buddy.handle(say("사람이랑 얘기하고 싶어"))
    assert "109" in reply.text and "1577-0199" in reply.text
    assert reply.text == texts.UNAVAILABLE
    await engine.dispose()


async def test_off_duty_and_unreachable_users_are_told_no_one_is_available(setup: Setup) -> None:
    setup.service.hours = parse_hours("Mon 03:00-03:00")  # a window no moment falls in
    reply = await setup.buddy.handle(say("사람이랑 얘기하고 싶어"))
    assert reply.text == texts.UNAVAILABLE and "109" in reply.text
    assert await rows(setup, Handoff) == []  # nobody was queued
    setup.service.hours = parse_hours("always")
    cli = await setup.buddy.handle(say("상담사 연결해 주세요", user="cli-1", address=None))
    assert cli.text == texts.UNAVAILABLE  # a platform Buddy cannot write to: said honestly


async def test_a_refused_delivery_releases_the_conversation(setup: Setup) -> None:
    first = await setup.buddy.handle(say("안녕"))
    setup.outbox.refuse = True
    with pytest.raises(HandoffError, match="blocked"):
        await setup.service.take("kim", first.conversation_id)
    reply = await setup.buddy.handle(say("안녕"))
    assert reply.kind is not ReplyKind.HELD


async def test_database_gone_the_crisis_reply_still_goes_out(tmp_path: Path) -> None:
    from core.storage.db import upgrade_schema_async

    db = tmp_path / "gone.db"
    url = f"sqlite+aiosqlite:///{db}"
    await upgrade_schema_async(url)
    engine = open_engine(url)
    service = make_service(session_factory(engine), Outbox())
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                  answers=AnswerBook(ANSWERS, seed=1), pseudonym_secret=b"s", handoff=service)
    db.unlink()  # the log's file is deleted under the running server
    reply = await buddy.handle(say("죽고 싶어요"))
    assert reply.kind is ReplyKind.CRISIS and "109" in reply.text
    asked = await buddy.handle(say("사람이랑 얘기하고 싶어"))
    assert asked.text == texts.UNAVAILABLE  # honest, with the hotlines
    await engine.dispose()
