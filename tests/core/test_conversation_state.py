"""Conversations that survive restarts and replicas: two cores over one real database.

Each test opens real engines on a migrated SQLite file (and on PostgreSQL where
``DATABASE_URL_POSTGRES_TEST`` is set, through the ``db_url`` fixture) and checks what a user
would notice: the same conversation, its topic, its safety mode and no repeated replies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory
from core.storage.dialogue_state import DialogueStateStore
from core.storage.models import DialogueStateRow, Message
from core.storage.writer import LogWriter

ANSWERS = {
    "배경/직장": [f"회사 일 답 {i}. 요즘 가장 힘든 건 어떤 부분인가요?" for i in range(6)],
    "증상/불면": [f"잠 답 {i}. 언제부터 그랬어요?" for i in range(6)],
    "일반대화": ["반가워요."],
}
TABLE = {
    "회사에서 팀장이 계속 나만 갈궈서 너무 힘들어": "배경/직장",
    "요즘 잠이 안 와요": "증상/불면",
}
NUMBERS = ("109", "1577-0199")


@asynccontextmanager
async def core_on(url: str) -> AsyncIterator[Buddy]:
    """One core process: its own engine, log writer and state store over ``url``."""
    engine = open_engine(url)
    writer = LogWriter(session_factory(engine))
    await writer.start()
    buddy = Buddy(
        classifier=FixedClassifier(TABLE, default="일반대화", default_confidence=0.1),
        answers=AnswerBook(ANSWERS, seed=1),
        pseudonym_secret=b"shared-secret",
        writer=writer,
        states=DialogueStateStore(session_factory(engine), timeout=10),  # sharing, not speed
    )
    try:
        yield buddy
    finally:
        await buddy.aclose()
        await engine.dispose()


def say(text: str) -> IncomingMessage:
    return IncomingMessage("web", "session-1", text)


async def test_two_cores_alternating_turns_continue_one_conversation(db_url: str) -> None:
    async with core_on(db_url) as a, core_on(db_url) as b:
        cores = [a, b]
        script = [
            "회사에서 팀장이 계속 나만 갈궈서 너무 힘들어", "응", "한 달 정도 됐어", "모르겠어",
            "😢", "고마워", "죽고 싶어", "요즘 잠이 안 와요", "죽고 싶어",
        ]
        got = []
        for i, text in enumerate(script):
            reply = await cores[i % 2].handle(say(text))
            await cores[i % 2].writer.flush(timeout=10)  # type: ignore[union-attr]
            got.append(reply)

        assert len({r.conversation_id for r in got}) == 1  # one conversation, two processes
        assert got[0].kind is ReplyKind.ANSWER and got[0].category == "배경/직장"
        for reply in got[1:6]:  # short answers continue the work topic on either core
            assert reply.kind is ReplyKind.FOLLOW_UP and reply.category == "배경/직장", reply
        assert "한 달" in got[2].text  # the duration was heard
        assert got[6].crisis and all(n in got[6].text for n in NUMBERS)
        assert got[7].kind is ReplyKind.SAFETY_FOLLOWUP  # safety mode crossed processes
        assert got[8].crisis and all(n in got[8].text for n in NUMBERS)
        assert got[8].text != got[6].text and len(got[8].text) < len(got[6].text)
        texts = [r.text for r in got]
        assert len(set(texts)) == len(texts)  # nothing said twice

        bye = await a.handle(say("고마워, 이만 종료해줘 버디"))
        assert bye.kind is ReplyKind.FAREWELL and "109" in bye.text  # safety mode: numbers stay
        assert bye.conversation_id == got[0].conversation_id
        assert (await b.handle(say("요즘 잠이 안 와요"))).conversation_id != bye.conversation_id


async def test_farewell_is_logged_in_the_conversation_it_ends(db_url: str) -> None:
    async with core_on(db_url) as a, core_on(db_url) as b:
        first = await a.handle(say("요즘 잠이 안 와요"))
        bye = await b.handle(say("고마워, 이만 종료해줘 버디"))
        assert bye.kind is ReplyKind.FAREWELL and bye.conversation_id == first.conversation_id
        after = await a.handle(say("요즘 잠이 안 와요"))
        assert after.conversation_id != first.conversation_id  # ended for every process
        for core in (a, b):
            await core.writer.flush(timeout=10)  # type: ignore[union-attr]
        async with a.writer.sessions() as s:  # type: ignore[union-attr]
            rows = list(await s.scalars(select(Message).order_by(Message.created_at)))
        farewell_rows = [r for r in rows if r.kind == "farewell"]
        assert len(farewell_rows) == 1
        assert farewell_rows[0].conversation_id == first.conversation_id
        assert {r.conversation_id for r in rows[:4]} == {first.conversation_id}


async def test_a_restart_continues_the_conversation_and_its_safety_mode(sqlite_url: str) -> None:
    url = sqlite_url
    async with core_on(url) as before:
        crisis = await before.handle(say("죽고 싶어"))
    async with core_on(url) as after:  # a new process: empty memory, same database
        follow = await after.handle(say("요즘 잠이 안 와요"))
        again = await after.handle(say("죽고 싶어"))
    assert follow.kind is ReplyKind.SAFETY_FOLLOWUP
    assert follow.conversation_id == crisis.conversation_id
    assert again.crisis and again.text != crisis.text and "109" in again.text


async def test_forget_deletes_the_conversation_state(sqlite_url: str) -> None:
    async with core_on(sqlite_url) as a:
        await a.handle(say("요즘 잠이 안 와요"))
        await a.forget("web", "session-1")
        async with a.writer.sessions() as s:  # type: ignore[union-attr]
            assert (await s.scalars(select(DialogueStateRow))).all() == []


@pytest.mark.slow
async def test_a_broken_state_store_never_breaks_a_reply(sqlite_url: str, tmp_path: Path) -> None:
    """The database file vanishes under a running core: replies still come, in context,
    from this process's copy."""
    async with core_on(sqlite_url) as a:
        first = await a.handle(say("회사에서 팀장이 계속 나만 갈궈서 너무 힘들어"))
        (tmp_path / "log.db").unlink()
        short = await a.handle(say("응"))
        assert short.kind is ReplyKind.FOLLOW_UP and short.category == "배경/직장"
        assert short.conversation_id == first.conversation_id
        assert a.states.failures >= 1
        assert (await a.handle(say("죽고 싶어"))).crisis


@pytest.mark.parametrize("timeout", [0.0001])
async def test_a_slow_state_store_falls_back_to_the_cache(sqlite_url: str, timeout: float) -> None:
    engine = open_engine(sqlite_url)
    store = DialogueStateStore(session_factory(engine), timeout=timeout, cooldown=60)
    buddy = Buddy(classifier=FixedClassifier(TABLE, default="일반대화", default_confidence=0.1),
                  answers=AnswerBook(ANSWERS, seed=1), pseudonym_secret=b"s", states=store)
    first = await buddy.handle(say("요즘 잠이 안 와요"))
    second = await buddy.handle(say("2주쯤"))
    assert second.kind is ReplyKind.FOLLOW_UP and "2주" in second.text
    assert second.conversation_id == first.conversation_id
    await engine.dispose()


async def test_the_retention_purge_removes_old_conversation_states(sqlite_url: str) -> None:
    from datetime import datetime, timedelta, timezone

    from core.storage.retention import purge_before

    async with core_on(sqlite_url) as a:
        await a.handle(say("요즘 잠이 안 와요"))
        await a.writer.flush(timeout=10)  # type: ignore[union-attr]
        async with a.writer.sessions() as s, s.begin():  # type: ignore[union-attr]
            await purge_before(s, datetime.now(timezone.utc) + timedelta(days=1))
        async with a.writer.sessions() as s:  # type: ignore[union-attr]
            assert (await s.scalars(select(DialogueStateRow))).all() == []
