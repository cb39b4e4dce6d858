"""The Bot API failing with 5xx: a reply is never duplicated, and the bot carries on.

The rule under test is :mod:`bot.telegram_send`'s: a 5xx answer means the request
reached the server, which may have delivered the message before failing, and the Bot API
offers no way to ask; so ``sendMessage`` is never resent after one (a possibly lost reply
is logged, a duplicate reply is never produced). Harmless calls are simply retried or
ignored. 429 and read timeouts are covered in ``tests/bot/test_telegram.py``.

The stand-in Bot API (:mod:`telegram_stub`) is extended here with two 5xx faults: the
request refused before it was processed (nothing delivered) and a gateway error after it
was processed (delivered, but the bot is told it failed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram_stub import TOKEN, TelegramStub

from bot.splitting import split_message
from bot.telegram_channel import build_application, start_telegram, stop_telegram
from core import replies
from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.config import Settings
from core.pipeline import Buddy
from core.storage.writer import LogWriter
from core.text import normalize

SLEEP = "요즘 잠이 안 와요"
SLEEP_ANSWER = "잠이 오지 않는 밤은 정말 길게 느껴지죠. 요즘 잠들기 전에 어떤 생각이 많이 드나요?"
LONELY = "친구들이 다 바빠서 요즘 주말마다 혼자 지내요"
LONELY_ANSWER = "외로운 마음이 드셨군요. 요즘 누구와 가장 많이 이야기하세요?"
# A new topic, stated in full (a short feeling right after another answer would be read as
# a reply to that answer's question: tests/core/test_dialogue.py).
LONELY_REPLY = LONELY_ANSWER
LONG = "아주 긴 이야기를 들려줘"
LONG_ANSWER = "\n\n".join(
    (f"{n}번째 문단이에요. " + "천천히 하나씩 이야기해 봐요. " * 40).strip() for n in range(1, 16)
)


@dataclass
class FlakyBotApi(TelegramStub):
    """The stand-in Bot API, able to answer 5xx as well."""

    pending_5xx: dict[str, list[list[int]]] = field(default_factory=dict)

    def fail_5xx(self, method: str, status: int = 500, *, processed: bool = False,
                 after: int = 0) -> None:
        """Let ``after`` calls of ``method`` pass, then answer the next with HTTP ``status``.

        ``processed``: the call took effect (message delivered) before the error came back.
        """
        self.pending_5xx.setdefault(method.lower(), []).append([after, status, processed])

    async def _endpoint(self, request: Request) -> Response:
        key = request.path_params["method"].lower()
        queued = self.pending_5xx.get(key)
        if not queued:
            return await super()._endpoint(request)
        if queued[0][0] > 0:
            queued[0][0] -= 1
            return await super()._endpoint(request)
        _, status, processed = queued.pop(0)
        if processed:
            await super()._endpoint(request)  # delivered, counted; then the gateway fails
            return Response("<html><body>502 Bad Gateway</body></html>", status_code=status,
                            media_type="text/html")
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return JSONResponse({"ok": False, "error_code": status,
                             "description": "Internal Server Error"}, status_code=status)


@pytest.fixture
async def api() -> AsyncIterator[FlakyBotApi]:
    async with FlakyBotApi.running() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def telegram(api: FlakyBotApi, log_db: tuple[LogWriter, Path]) -> AsyncIterator[object]:
    classifier = FixedClassifier({SLEEP: "증상/불면", LONELY: "감정/외로움",
                                  normalize(LONG): "긴답변"}, default="일반대화")
    answers = AnswerBook({"증상/불면": [SLEEP_ANSWER], "감정/외로움": [LONELY_ANSWER],
                          "긴답변": [LONG_ANSWER]})
    buddy = Buddy(classifier=classifier, answers=answers, pseudonym_secret=b"tg-faults",
                  writer=log_db[0], flood_limit_per_minute=1000)
    settings = Settings(_env_file=None, telegram_token=TOKEN,  # type: ignore[arg-type]
                        telegram_base_url=api.base_url)
    application = build_application(buddy, settings)
    await start_telegram(application, settings, poll_timeout=1)
    yield application
    await stop_telegram(application)


def texts_to(api: TelegramStub, chat_id: int) -> list[str]:
    return [c.params["text"] for c in api.sent(chat_id)]


def logged_roles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT role FROM messages ORDER BY created_at")]


@pytest.mark.parametrize("processed", [False, True], ids=["refused", "delivered-then-502"])
async def test_a_5xx_on_send_message_is_not_resent_and_the_next_message_is_answered(
    api: FlakyBotApi, telegram: object, log_db: tuple[LogWriter, Path], processed: bool
) -> None:
    api.fail_5xx("sendMessage", 500 if not processed else 502, processed=processed)
    api.text(601, SLEEP)
    api.text(601, LONELY)  # the same chat, right after: handled after the failed send
    await api.wait_sent(601, 2 if processed else 1)
    await stop_telegram(telegram)  # type: ignore[arg-type]  # every handler has finished

    expected = [SLEEP_ANSWER, LONELY_REPLY] if processed else [LONELY_REPLY]
    assert texts_to(api, 601) == expected  # never twice, and no error notice added
    assert replies.INTERNAL_ERROR not in texts_to(api, 601)
    assert api.attempts["sendmessage"] == 2  # one try each: the failed one was not resent
    writer, db = log_db
    assert await writer.flush(timeout=10)
    assert logged_roles(db) == ["user", "bot", "user", "bot"]  # both turns kept in the log


async def test_a_5xx_in_the_middle_of_a_long_reply_leaves_no_gap_and_no_repeat(
    api: FlakyBotApi, telegram: object
) -> None:
    pieces = split_message(LONG_ANSWER, 4096)
    assert len(pieces) >= 3
    api.fail_5xx("sendMessage", 503, after=1)  # the long reply's second piece
    api.text(602, LONG)
    api.text(602, LONELY)
    await api.wait_sent(602, 2)
    await stop_telegram(telegram)  # type: ignore[arg-type]
    # The second piece hit the 503 and was not resent; the pieces after it were not sent
    # either (a reply with a hole in the middle reads as nonsense); the next message is.
    assert texts_to(api, 602) == [pieces[0], LONELY_REPLY]
    assert api.attempts["sendmessage"] == 3


async def test_a_5xx_on_the_typing_indicator_does_not_cost_the_reply(
    api: FlakyBotApi, telegram: object
) -> None:
    api.fail_5xx("sendChatAction", 500)
    api.text(603, SLEEP)
    await api.wait_sent(603)
    await stop_telegram(telegram)  # type: ignore[arg-type]
    assert texts_to(api, 603) == [SLEEP_ANSWER]
    assert api.pending_5xx["sendchataction"] == []  # the fault was hit


async def test_a_5xx_on_get_updates_delays_but_never_drops_or_repeats_a_message(
    api: FlakyBotApi, telegram: object
) -> None:
    api.fail_5xx("getUpdates", 502)
    api.fail_5xx("getUpdates", 500)
    api.text(604, SLEEP)
    await api.wait_sent(604)
    api.text(604, LONELY)
    await api.wait_sent(604, 2)
    await stop_telegram(telegram)  # type: ignore[arg-type]
    assert texts_to(api, 604) == [SLEEP_ANSWER, LONELY_REPLY]
    assert api.pending_5xx["getupdates"] == []  # both polls failed on the way
