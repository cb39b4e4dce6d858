"""Sending to Telegram without losing replies to hiccups and without ever sending one twice.

The retry rule (why it is safe):

* ``RetryAfter`` (HTTP 429): Telegram refused the request and did not process it, so
  the same request is sent again after the wait Telegram asked for.
* A connection that never carried the request (``httpx.ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout`` under PTB's ``NetworkError``/``TimedOut``): the
  server cannot have seen it, so it is retried with exponential backoff.
* Anything else that may have reached the server (a read or write timeout, a connection
  dropped mid-response): a message-creating call (``sendMessage``) is **not** retried,
  because Telegram may already have delivered it and the Bot API offers no way to ask.
  A possibly lost reply is logged; a duplicate reply is never produced. Calls that are
  harmless to repeat (``sendChatAction``, ``answerCallbackQuery``, ``setMyCommands``,
  editing a message to the same text) are retried on every transient error.
* ``BadRequest``/``Forbidden`` (a PTB ``NetworkError`` subclass, but a final answer) are
  never retried.

Redelivered *incoming* updates are the other source of duplicates; the adapter drops any
``update_id`` it has already handled (see :mod:`bot.telegram_bot`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx
from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.splitting import split_message

log = logging.getLogger(__name__)

T = TypeVar("T")

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
MAX_ATTEMPTS = 5
MAX_RETRY_AFTER_S = 60.0  # Telegram asks for longer only when a bot is badly misbehaving
TYPING_REFRESH_S = 4.5  # the typing status lasts 5 s on the client
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 reports ``retry_after`` as int or timedelta (PTB_TIMEDELTA); accept both."""
    with warnings.catch_warnings():  # reading it as int is deprecated; we handle both
        warnings.simplefilter("ignore")
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def never_reached_server(exc: BaseException) -> bool:
    """True when the failed request provably never reached Telegram."""
    if isinstance(exc, (BadRequest, Forbidden)):
        return False
    return isinstance(exc.__cause__, _NEVER_SENT)


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    idempotent: bool,
    attempts: int = MAX_ATTEMPTS,
    base_delay: float = 0.5,
) -> T:
    """Run one Bot API call, retrying only where a retry cannot duplicate its effect."""
    delay = base_delay
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > MAX_RETRY_AFTER_S or attempt == attempts:
                raise
            log.warning("%s: Telegram asked to wait %.0fs (429); retrying", what, wait)
        except (BadRequest, Forbidden):
            raise
        except NetworkError as exc:  # TimedOut is a NetworkError too
            safe = idempotent or never_reached_server(exc)
            if not safe or attempt == attempts:
                if not safe:
                    log.warning("%s: %s after the request may have reached Telegram; not "
                                "resent, to avoid a duplicate", what, type(exc).__name__)
                raise
            wait = delay
            delay = min(delay * 2, 8.0)
            log.warning("%s: %s (attempt %d/%d); retrying in %.1fs",
                        what, type(exc).__name__, attempt, attempts, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    reply_to: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send ``text`` as one or more messages of at most 4096 characters, in order.

    Only the first piece quotes ``reply_to``; only the last carries ``reply_markup``.
    If a piece cannot be sent the rest are not sent either (no gaps in the middle).
    """
    pieces = split_message(text, TEXT_LIMIT)
    sent: list[Message] = []
    for i, piece in enumerate(pieces):
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) \
            if reply_to is not None and i == 0 else None
        markup = reply_markup if i == len(pieces) - 1 else None

        async def call(piece: str = piece, quote: ReplyParameters | None = quote,
                       markup: InlineKeyboardMarkup | None = markup) -> Message:
            return await bot.send_message(
                chat_id, piece, reply_parameters=quote, reply_markup=markup
            )

        sent.append(await call_with_retry(
            call, what=f"sendMessage {i + 1}/{len(pieces)}", idempotent=False
        ))
    return sent


async def _chat_action(bot: Bot, chat_id: int) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.debug("typing indicator failed: %s", type(exc).__name__)


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat while the body runs; failures here never matter.

    The first action is awaited before the body, so it can never arrive after the reply
    (which would leave "typing…" showing under an answered message); it is refreshed
    every 4.5 s for slow answers.
    """

    async def refresh() -> None:
        while True:
            await asyncio.sleep(TYPING_REFRESH_S)
            await _chat_action(bot, chat_id)

    await _chat_action(bot, chat_id)
    task = asyncio.create_task(refresh(), name=f"telegram-typing-{chat_id}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
