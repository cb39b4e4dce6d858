"""The Telegram adapter end to end: the real python-telegram-bot client, real HTTP.

The client talks to :mod:`tests.bot.telegram_stub` on 127.0.0.1 through
``TELEGRAM_BASE_URL``, exactly as it would talk to a self-hosted Bot API server; the core
is a real ``Buddy`` with a fixed classifier and a real SQLite log file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram_stub import BOT_USER, TOKEN, TelegramStub, serve_app

from bot.splitting import split_message
from bot.telegram_channel import (
    SECRET_HEADER,
    build_application,
    start_telegram,
    stop_telegram,
    webhook_path,
    webhook_route,
)
from bot.texts import COMMAND_MENU, FORGET_NOT_YOURS, HELP
from core import replies
from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.config import Settings
from core.pipeline import Buddy
from core.storage.writer import LogWriter
from core.text import normalize

SLEEP = "요즘 잠이 안 와요"
SLEEP_ANSWER = "잠이 오지 않는 밤은 정말 길게 느껴지죠. 요즘 잠들기 전에 어떤 생각이 많이 드나요?"
LONG_QUESTION = ("긴 이야기를 들어 주세요. " + "오늘은 정말 많은 일이 있었어요. " * 300)[:5000]
LONG_ANSWER = "\n\n".join(
    (f"{n}번째 문단이에요. " + "천천히 하나씩 이야기해 봐요. " * 40).strip() for n in range(1, 12)
)
CRISIS = "요즘 너무 힘들어서 죽고 싶어요"


@pytest.fixture
async def stub() -> AsyncIterator[TelegramStub]:
    async with TelegramStub.running() as server:
        yield server


@pytest.fixture
def buddy(log_db: tuple[LogWriter, Path]) -> Buddy:
    classifier = FixedClassifier(
        {SLEEP: "증상/불면", normalize(LONG_QUESTION): "긴답변"}, default="일반대화",
        default_confidence=0.1,
    )
    answers = AnswerBook({"증상/불면": [SLEEP_ANSWER], "긴답변": [LONG_ANSWER]})
    return Buddy(classifier=classifier, answers=answers, pseudonym_secret=b"telegram-test",
                 writer=log_db[0], flood_limit_per_minute=1000)


def settings_for(stub: TelegramStub, **extra: object) -> Settings:
    return Settings(_env_file=None, telegram_token=TOKEN, telegram_base_url=stub.base_url,
                    **extra)  # type: ignore[arg-type]


@pytest.fixture
async def telegram(stub: TelegramStub, buddy: Buddy) -> AsyncIterator[object]:
    settings = settings_for(stub)
    application = build_application(buddy, settings)
    mode = await start_telegram(application, settings, poll_timeout=1)
    assert mode == "@buddy_test_bot, long polling"
    yield application
    await stop_telegram(application)


def texts_to(stub: TelegramStub, chat_id: int) -> list[str]:
    return [c.params["text"] for c in stub.sent(chat_id)]


# --- commands ---------------------------------------------------------------------------
async def test_commands_are_in_the_menu(stub: TelegramStub, telegram: object) -> None:
    (call,) = stub.sent(method="setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == [n for n, _ in COMMAND_MENU]


async def test_start_says_who_buddy_is_the_crisis_numbers_and_how_data_is_kept(
    stub: TelegramStub, telegram: object
) -> None:
    stub.command(101, "/start")
    (start,) = await stub.wait_sent(101)
    text = start.params["text"]
    assert replies.ABOUT in text
    assert "109" in text and "1577-0199" in text
    assert replies.PRIVACY in text


async def test_help_privacy_reset_and_unknown_command(stub: TelegramStub, telegram: object
                                                      ) -> None:
    for command in ("/help", "/privacy", "/reset", "/nonsense"):
        stub.command(102, command)
    await stub.wait_sent(102, 4)
    got = texts_to(stub, 102)
    assert got[:3] == [HELP, replies.PRIVACY, replies.RESET]
    assert "/help" in got[3]


# --- messages ---------------------------------------------------------------------------
async def test_text_gets_the_category_answer_after_a_typing_indicator(
    stub: TelegramStub, telegram: object
) -> None:
    stub.text(103, SLEEP)
    await stub.wait_sent(103)
    assert texts_to(stub, 103) == [SLEEP_ANSWER]
    methods = [c.method for c in stub.calls if int(c.params.get("chat_id", 0)) == 103]
    assert methods == ["sendChatAction", "sendMessage"]
    assert stub.sent(103, "sendChatAction")[0].params["action"] == "typing"


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        ("sticker", replies.UNSUPPORTED["sticker"]),
        ("photo", replies.UNSUPPORTED["photo"]),
        ("voice", replies.UNSUPPORTED["voice"]),
    ],
)
async def test_non_text_gets_a_kind_text_only_reply(
    stub: TelegramStub, telegram: object, send: str, expected: str
) -> None:
    getattr(stub, send)(104)
    await stub.wait_sent(104)
    assert texts_to(stub, 104) == [expected]


async def test_a_crisis_message_gets_the_hotlines(stub: TelegramStub, telegram: object) -> None:
    stub.text(105, CRISIS)
    (reply,) = await stub.wait_sent(105)
    assert "109" in reply.params["text"] and "1577-0199" in reply.params["text"]


async def test_a_crisis_caption_on_a_photo_is_read(stub: TelegramStub, telegram: object) -> None:
    stub.photo(106, caption=CRISIS)
    (reply,) = await stub.wait_sent(106)
    assert "109" in reply.params["text"] and "1577-0199" in reply.params["text"]


async def test_a_5000_character_exchange_is_split_cleanly_and_in_order(
    stub: TelegramStub, telegram: object
) -> None:
    assert len(LONG_QUESTION) == 5000 and len(LONG_ANSWER) > 5000
    stub.text(107, LONG_QUESTION)
    expected = split_message(LONG_ANSWER, 4096)
    await stub.wait_sent(107, len(expected))
    got = texts_to(stub, 107)
    assert len(got) >= 2 and all(len(piece) <= 4096 for piece in got)
    assert got == expected
    assert "\n\n".join(got) == LONG_ANSWER  # cut at paragraph breaks: nothing lost or mangled


async def test_several_users_at_once_each_get_exactly_one_reply(
    stub: TelegramStub, telegram: object
) -> None:
    users = list(range(201, 211))
    for user in users:
        stub.text(user, SLEEP)
    for user in users:
        await stub.wait_sent(user)
    await stop_telegram(telegram)  # type: ignore[arg-type]  # every handler has finished
    assert {user: texts_to(stub, user) for user in users} == {u: [SLEEP_ANSWER] for u in users}


async def test_a_429_is_retried_after_retry_after_without_a_duplicate(
    stub: TelegramStub, telegram: object
) -> None:
    stub.fail_next("sendMessage", retry_after=1)
    stub.text(108, SLEEP)
    await stub.wait_sent(108)
    await stop_telegram(telegram)  # type: ignore[arg-type]
    assert texts_to(stub, 108) == [SLEEP_ANSWER]
    assert stub.attempts["sendmessage"] == 2  # refused once, then sent once


async def test_a_reply_whose_answer_times_out_is_never_sent_twice(
    stub: TelegramStub, buddy: Buddy
) -> None:
    settings = settings_for(stub)
    application = build_application(buddy, settings, read_timeout=0.3)
    await start_telegram(application, settings, poll_timeout=1)
    stub.answer_late("sendMessage", seconds=1.5)  # delivered, but the answer comes too late
    stub.text(109, SLEEP)
    await stub.wait_sent(109)
    await stop_telegram(application)
    assert texts_to(stub, 109) == [SLEEP_ANSWER]  # no resend, no error notice on top
    assert stub.attempts["sendmessage"] == 1


async def test_flooding_gets_the_friendly_notice(stub: TelegramStub, buddy: Buddy) -> None:
    settings = settings_for(stub)
    strict = Buddy(classifier=buddy.classifier, answers=buddy.answers,
                   pseudonym_secret=b"telegram-test", flood_limit_per_minute=2)
    application = build_application(strict, settings)
    await start_telegram(application, settings, poll_timeout=1)
    for _ in range(3):
        stub.text(110, SLEEP)
    await stub.wait_sent(110, 3)
    await stop_telegram(application)
    assert texts_to(stub, 110) == [SLEEP_ANSWER, SLEEP_ANSWER, replies.TOO_FAST]


# --- groups -----------------------------------------------------------------------------
GROUP = {"id": -100500, "type": "group", "title": "친구들"}


async def test_in_groups_only_mentions_and_replies_are_answered(
    stub: TelegramStub, telegram: object
) -> None:
    stub.text(301, SLEEP, chat=GROUP)  # not for Buddy
    mention = "@buddy_test_bot " + SLEEP
    asked = stub.text(302, mention, chat=GROUP,
                      entities=[{"type": "mention", "offset": 0, "length": 15}])
    bot_message = {"message_id": 1, "date": 0, "chat": GROUP, "from": BOT_USER, "text": "…"}
    replied = stub.text(303, SLEEP, chat=GROUP, reply_to_message=bot_message)
    stub.sticker(304)  # a private sticker after them, as a marker that all were handled
    await stub.wait_sent(GROUP["id"], 2)
    await stub.wait_sent(304)
    await stop_telegram(telegram)  # type: ignore[arg-type]
    sent = stub.sent(GROUP["id"])
    assert [c.params["text"] for c in sent] == [SLEEP_ANSWER, SLEEP_ANSWER]
    assert [c.params["reply_parameters"]["message_id"] for c in sent] == [
        asked["message"]["message_id"], replied["message"]["message_id"]]


# --- /forget ----------------------------------------------------------------------------
def _rows(db: Path, user_key: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM messages WHERE user_id = ?",
                            (user_key,)).fetchone()[0]


async def test_forget_deletes_the_users_rows_after_confirmation(
    stub: TelegramStub, telegram: object, buddy: Buddy, log_db: tuple[LogWriter, Path]
) -> None:
    writer, db = log_db
    stub.text(401, SLEEP)
    stub.text(402, SLEEP)
    await stub.wait_sent(401)
    await stub.wait_sent(402)
    await writer.flush(10)
    mine, other = buddy.user_key("telegram", "401"), buddy.user_key("telegram", "402")
    assert _rows(db, mine) == 2 and _rows(db, other) == 2

    stub.command(401, "/forget")
    _, confirm = await stub.wait_sent(401, 2)
    buttons = confirm.params["reply_markup"]["inline_keyboard"][0]
    yes = next(b["callback_data"] for b in buttons if b["callback_data"].startswith("forget:yes"))
    assert _rows(db, mine) == 2  # asking deletes nothing

    stub.press(402, confirm, yes)  # someone else's tap does nothing
    await stub.wait_for(lambda: len(stub.sent(method="answerCallbackQuery")) == 1)
    assert stub.sent(method="answerCallbackQuery")[0].params["text"] == FORGET_NOT_YOURS

    stub.press(401, confirm, yes)
    await stub.wait_for(lambda: len(stub.sent(method="editMessageText")) == 1)
    assert stub.sent(method="editMessageText")[0].params["text"] == replies.FORGOTTEN
    assert _rows(db, mine) == 0
    assert _rows(db, other) == 2


# --- webhook mode -----------------------------------------------------------------------
async def test_webhook_mode_checks_the_secret_and_drops_redelivered_updates(
    stub: TelegramStub, buddy: Buddy
) -> None:
    settings = settings_for(stub, telegram_webhook_url="https://buddy.example/tg/hook",
                            telegram_webhook_secret="s3cret-token")
    application = build_application(buddy, settings)
    mode = await start_telegram(application, settings, secret="s3cret-token")
    assert mode == "@buddy_test_bot, webhook https://buddy.example/tg/hook"
    (hook,) = stub.sent(method="setWebhook")
    assert hook.params["secret_token"] == "s3cret-token"

    from starlette.applications import Starlette

    web = Starlette(routes=[webhook_route(application, webhook_path(settings), "s3cret-token")])
    update = {"update_id": 777, "message": {
        "message_id": 5, "date": 0, "text": SLEEP,
        "chat": {"id": 501, "type": "private"}, "from": {"id": 501, "is_bot": False,
                                                         "first_name": "U"}}}
    async with serve_app(web) as port, httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{port}/tg/hook"
        forged = await client.post(url, json=update, headers={SECRET_HEADER: "guess"})
        missing = await client.post(url, json=update)
        first = await client.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"})
        again = await client.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"})
        await stub.wait_sent(501)
        await stop_telegram(application)
    assert (forged.status_code, missing.status_code) == (403, 403)
    assert (first.status_code, again.status_code) == (200, 200)
    assert texts_to(stub, 501) == [SLEEP_ANSWER]  # the redelivery was not answered again


async def test_a_request_that_never_reached_telegram_is_retried() -> None:
    """Connection refused: nothing was sent, so even sendMessage may safely try again."""
    import socket

    from telegram.error import NetworkError
    from telegram.request import HTTPXRequest

    from bot.telegram_send import call_with_retry

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    request = HTTPXRequest()
    await request.initialize()
    tries = 0

    async def send() -> object:
        nonlocal tries
        tries += 1
        return await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage")

    with pytest.raises(NetworkError):
        await call_with_retry(send, what="sendMessage", idempotent=False, attempts=3,
                              base_delay=0.01)
    await request.shutdown()
    assert tries == 3
