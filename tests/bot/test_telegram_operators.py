"""The operators' Telegram group end to end: the real python-telegram-bot client, real HTTP.

One bot (the users' and the alerts', as most deployments run it) against the Bot API
stand-in on 127.0.0.1; a real ``Buddy`` with the handoff on, the crisis check and alerts as
``buddy serve`` builds them, on a real SQLite file. Users write in private chats; operators
press buttons and reply in the group, as people would in the Telegram app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from telegram_stub import TOKEN, Call, TelegramStub

from bot.delivery import ChannelDelivery
from bot.telegram_channel import TelegramChannel
from bot.telegram_operators import TelegramOperators
from core.answers import AnswerBook
from core.app import build_alerts
from core.classify.base import FixedClassifier
from core.config import Settings
from core.handoff import texts
from core.handoff.crypto import new_key
from core.handoff.service import HandoffService
from core.pipeline import Buddy
from core.storage.db import open_engine, session_factory
from core.storage.models import AuditEvent, Handoff
from core.storage.writer import LogWriter

GROUP = -1001234567890
USER = 5501
KIM, LEE, STRANGER = 701, 702, 799  # operators' own Telegram accounts; 799 is no operator
CRISIS = "요즘 너무 힘들어서 죽고 싶어요"
HELLO = "안녕하세요, 상담 선생님 김이에요. 지금 이야기 나눌 수 있을까요?"
ANSWER = "반가워요. 오늘은 어떤 이야기를 하고 싶어요?"


@dataclass
class Desk:
    stub: TelegramStub
    buddy: Buddy
    db: Path

    def to_user(self) -> list[str]:
        return [c.params["text"] for c in self.stub.sent(USER)]

    def in_group(self) -> list[Call]:
        return self.stub.sent(GROUP)

    def answers(self) -> list[dict]:
        return [c.params for c in self.stub.sent(method="answerCallbackQuery")]

    async def alert(self) -> Call:
        """The user writes a crisis message; the group's alert (with its button) arrives."""
        self.stub.text(USER, CRISIS)
        await self.stub.wait_sent(USER)
        (alert,) = await self.stub.wait_sent(GROUP)
        return alert

    async def press_take(self, account: int, alert: Call) -> None:
        [[button]] = alert.params["reply_markup"]["inline_keyboard"]
        self.stub.press(account, alert, button["callback_data"])

    async def group_line(self, count: int) -> Call:
        """Wait until the group has ``count`` bot messages; the last one."""
        return (await self.stub.wait_sent(GROUP, count))[-1]

    async def handoff(self) -> Handoff | None:
        async with self.buddy.handoff.sessions() as s:  # type: ignore[union-attr]
            return await s.scalar(select(Handoff))


def settings_for(stub: TelegramStub, forum: bool = False) -> Settings:
    stub.group(GROUP, forum=forum)
    return Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_token=TOKEN, telegram_base_url=stub.base_url,
        alert_telegram_chat_id=str(GROUP), handoff_key=new_key(),
        operators="kim:" + "k" * 32 + ",lee:" + "l" * 32,
        operator_telegram_ids=f"kim:{KIM},lee:{LEE}")


@contextlib.asynccontextmanager
async def running_desk(sqlite_url: str, tmp_path: Path, forum: bool) -> AsyncIterator[Desk]:
    """The users' Telegram channel and the operators' group on one bot, as serve runs them."""
    async with TelegramStub.running() as stub, _desk(stub, sqlite_url, tmp_path, forum) as desk:
        yield desk


@contextlib.asynccontextmanager
async def _desk(stub: TelegramStub, sqlite_url: str, tmp_path: Path, forum: bool
                ) -> AsyncIterator[Desk]:
    settings = settings_for(stub, forum)
    engine = open_engine(sqlite_url)
    sessions = session_factory(engine)
    writer = LogWriter(sessions)
    await writer.start()
    users = TelegramChannel(settings, poll_timeout=1)

    # as buddy serve wires it: the running channels deliver the operators' messages
    service = HandoffService.from_settings(settings, sessions,
                                           deliver=ChannelDelivery([users]))
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
                  answers=AnswerBook({"일반대화": [ANSWER]}, seed=1),
                  pseudonym_secret=b"operators-test", writer=writer, handoff=service,
                  alerts=build_alerts(settings), flood_limit_per_minute=1000)
    operators = TelegramOperators(settings, users, poll_timeout=1)
    assert (await users.start(buddy, settings)).running
    status = await operators.start(buddy, settings)
    assert status.running, status.line()
    assert ("forum topics" if forum else "reply threads") in status.detail
    yield Desk(stub, buddy, tmp_path / "log.db")
    await operators.stop()
    await users.stop()
    await buddy.aclose()
    await engine.dispose()


@pytest.fixture
async def desk(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(sqlite_url, tmp_path, forum=False) as running:
        yield running


@pytest.fixture
async def forum_desk(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(sqlite_url, tmp_path, forum=True) as running:
        yield running


async def test_alert_take_talk_relay_and_hand_back(desk: Desk) -> None:
    alert = await desk.alert()
    assert "109" in desk.to_user()[0]  # the user had the crisis reply first
    assert "대화 맡기" in alert.params["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert str(USER) not in str(alert.params) and CRISIS not in alert.params["text"]

    await desk.press_take(KIM, alert)
    await desk.stub.wait_sent(USER, 2)
    assert desk.to_user()[1] == texts.JOINED  # "a person joined", in the user's own chat
    head = await desk.group_line(2)
    assert "kim" in head.params["text"] and "/handback" in head.params["text"]
    assert str(USER) not in head.params["text"]

    desk.stub.reply(KIM, head, HELLO)
    await desk.stub.wait_sent(USER, 3)
    assert desk.to_user()[2] == f"[{texts.OPERATOR_SENDER}]\n{HELLO}"  # labelled, never named
    await desk.stub.wait_for(lambda: bool(desk.stub.sent(GROUP, "setMessageReaction")))

    desk.stub.text(USER, "네 고마워요")
    line = await desk.group_line(3)
    assert "네 고마워요" in line.params["text"]
    assert line.params["reply_parameters"]["message_id"] == head.params["_message_id"]
    assert len(desk.to_user()) == 3  # Buddy stayed quiet while a person holds it

    desk.stub.reply(KIM, line, "/handback")  # a reply to any line of the thread works
    await desk.stub.wait_sent(USER, 4)
    assert desk.to_user()[3] == texts.RETURNED
    assert "돌려주었습니다" in (await desk.group_line(4)).params["text"]

    desk.stub.text(USER, "안녕")
    await desk.stub.wait_sent(USER, 5)
    assert HELLO not in desk.to_user()[4] and desk.to_user()[4] not in ("", texts.RETURNED)  # Buddy answers again
    # (gently: still in safety mode after the crisis message)
    assert len(desk.in_group()) == 4  # nothing in the group was answered as counselling

    async with desk.buddy.handoff.sessions() as s:  # type: ignore[union-attr]
        audit = [(a.actor, a.action) for a in await s.scalars(select(AuditEvent))]
    assert audit == [("kim", "take"), ("kim", "message"), ("kim", "hand_back")]


async def test_an_unmapped_account_is_refused_and_nothing_happens(desk: Desk) -> None:
    alert = await desk.alert()
    await desk.press_take(STRANGER, alert)
    await desk.stub.wait_for(lambda: bool(desk.answers()))
    (answer,) = desk.answers()
    assert "운영자로 등록되어 있지 않아" in answer["text"] and answer["show_alert"]
    assert len(desk.to_user()) == 1 and len(desk.in_group()) == 1
    row = await desk.handoff()
    assert row is None or row.state != "held"

    desk.stub.reply(KIM, alert, "제가 볼게요")  # a reply to the alert is not a thread
    assert "스레드가 아니라서" in (await desk.group_line(2)).params["text"]
    assert len(desk.to_user()) == 1


async def test_two_operators_press_take_one_holds_the_other_is_told_who(desk: Desk) -> None:
    alert = await desk.alert()
    await desk.press_take(KIM, alert)
    await desk.press_take(LEE, alert)
    await desk.stub.wait_for(lambda: len(desk.answers()) == 2)
    by_kim, by_lee = desk.answers()
    assert "맡았습니다" in by_kim["text"]
    assert "kim" in by_lee["text"] and by_lee["show_alert"]
    assert (await desk.handoff()).operator == "kim"  # type: ignore[union-attr]
    assert desk.to_user().count(texts.JOINED) == 1

    head = (await desk.stub.wait_sent(GROUP, 2))[1]
    desk.stub.reply(LEE, head, "제가 대신 답할게요")
    refusal = await desk.group_line(3)
    assert "kim" in refusal.params["text"] and "전하지 않았습니다" in refusal.params["text"]
    desk.stub.reply(STRANGER, head, "저도요")
    assert "운영자 계정이 아니어서" in (await desk.group_line(4)).params["text"]
    assert "제가 대신 답할게요" not in desk.to_user() and "저도요" not in desk.to_user()


async def test_a_forum_group_gets_a_topic_per_conversation(forum_desk: Desk) -> None:
    desk = forum_desk
    alert = await desk.alert()
    await desk.press_take(KIM, alert)
    (topic,) = await desk.stub.wait_sent(GROUP, method="createForumTopic")
    head = await desk.group_line(2)
    thread_id = head.params["message_thread_id"]
    assert "이 토픽에 쓰는 글" in head.params["text"]

    desk.stub.in_topic(KIM, GROUP, thread_id, HELLO)  # no reply needed inside the topic
    await desk.stub.wait_sent(USER, 3)
    assert desk.to_user()[2] == f"[{texts.OPERATOR_SENDER}]\n{HELLO}"  # labelled, never named
    desk.stub.text(USER, "네")
    line = await desk.group_line(3)
    assert line.params["message_thread_id"] == thread_id and "네" in line.params["text"]

    desk.stub.in_topic(KIM, GROUP, thread_id, "/handback")
    await desk.stub.wait_sent(USER, 4)
    assert desk.to_user()[3] == texts.RETURNED


async def test_without_operator_accounts_the_group_is_off_and_says_what_to_set() -> None:
    settings = Settings(_env_file=None, alert_telegram_chat_id=str(GROUP),  # type: ignore[call-arg]
                        telegram_token=TOKEN, handoff_key=new_key())
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화"),
                  answers=AnswerBook({"일반대화": [ANSWER]}), pseudonym_secret=b"x")
    status = await TelegramOperators(settings).start(buddy, settings)
    assert not status.running and "OPERATOR_TELEGRAM_IDS" in status.detail


async def test_a_separate_alerts_bot_polls_by_itself(sqlite_url: str) -> None:
    """ALERT_TELEGRAM_TOKEN without the users' bot: the group still answers its buttons."""
    async with TelegramStub.running() as stub:
        settings = settings_for(stub).model_copy(update={
            "alert_telegram_token": SecretStr(TOKEN), "telegram_token": None})
        engine = open_engine(sqlite_url)
        buddy = Buddy(classifier=FixedClassifier({}, default="일반대화"),
                      answers=AnswerBook({"일반대화": [ANSWER]}), pseudonym_secret=b"x",
                      handoff=HandoffService.from_settings(settings, session_factory(engine)))
        operators = TelegramOperators(settings, poll_timeout=1)
        status = await operators.start(buddy, settings)
        assert status.running and "its own bot" in status.detail
        alerts = build_alerts(settings)
        assert alerts is not None
        await alerts.send("0123456789ab", "web", ("phrase:죽고싶",), "ideation")
        (alert,) = await stub.wait_sent(GROUP)
        await Desk(stub, buddy, Path()).press_take(KIM, alert)
        await stub.wait_for(lambda: bool(stub.sent(method="answerCallbackQuery")))
        (answer,) = stub.sent(method="answerCallbackQuery")
        assert "쓸 수 없습니다" in answer.params["text"]  # no such user now: said, not crashed
        await operators.stop()
        await alerts.aclose()
        await engine.dispose()
