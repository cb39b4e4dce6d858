"""Telegram as a :class:`~bot.channel.Channel`: building, running and reaching the bot.

Long polling by default; webhook mode when ``TELEGRAM_WEBHOOK_URL`` is set, with the
webhook served as a route of the same web server (:meth:`TelegramChannel.routes`, mounted
by the web app before it starts) and Telegram's secret token checked on every request.
``TELEGRAM_BASE_URL`` points the client at a self-hosted Bot API server (tests point it
at a stand-in on loopback). The handlers live in :mod:`bot.telegram_bot`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot import texts
from bot.channel import ChannelStatus, DeliveryError, with_sender
from bot.gate import Gate
from bot.telegram_bot import PLATFORM, PerChatUpdateProcessor, TelegramAdapter, on_error
from bot.telegram_send import call_with_retry, send_text

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # edits are not answered again
MAX_WEBHOOK_BODY = 1_000_000
START_TIMEOUT_S = 30.0


def build_application(
    buddy: Buddy,
    settings: Settings,
    *,
    read_timeout: float = 15.0,
    connect_timeout: float = 10.0,
) -> Application:
    """The python-telegram-bot Application, configured from settings, handlers registered.

    In webhook mode it has no Updater: updates arrive through :func:`webhook_route`.
    """
    if settings.telegram_token is None:
        raise ValueError("TELEGRAM_TOKEN is not set")
    gate = Gate(buddy, PLATFORM)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .concurrent_updates(PerChatUpdateProcessor(gate))
        .read_timeout(read_timeout)
        .connect_timeout(connect_timeout)
        .write_timeout(read_timeout)
    )
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    if settings.telegram_webhook_url:
        builder = builder.updater(None)
    application = builder.build()
    adapter = TelegramAdapter(gate)
    for group, handler in adapter.handlers():
        application.add_handler(handler, group=group)
    application.add_error_handler(on_error)
    return application


def webhook_path(settings: Settings) -> str:
    """The path of ``TELEGRAM_WEBHOOK_URL`` that the web server must answer."""
    path = urlparse(settings.telegram_webhook_url or "").path
    return path if path and path != "/" else DEFAULT_WEBHOOK_PATH


def webhook_secret(settings: Settings) -> str:
    """The configured secret token, or a fresh random one (we register it ourselves)."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


def webhook_route(application: Application | None, path: str, secret: str,
                  source: TelegramChannel | None = None) -> Route:
    """A Starlette route that feeds Telegram's webhook POSTs into the application.

    Requests without the right ``X-Telegram-Bot-Api-Secret-Token`` get 403, so nobody but
    Telegram can inject messages. The update is queued and 200 returned at once: Telegram
    redelivers on a slow or failed answer, and the gate drops repeated update ids. With
    ``source`` the application is looked up per request (the route exists before the
    channel starts); until it runs the answer is 503 and Telegram retries later.
    """

    async def endpoint(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        app = source.application if source is not None else application
        if app is None:
            return Response(status_code=503)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        try:
            update = Update.de_json(json.loads(body), app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: unreadable update ignored")
            return Response(status_code=400)
        await app.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, endpoint, methods=["POST"], name="telegram-webhook")


async def register_commands(application: Application) -> None:
    """Show the commands in Telegram's menu; a failure here is cosmetic, so only logged."""
    commands = [BotCommand(name, description) for name, description in texts.COMMAND_MENU]
    try:
        await call_with_retry(lambda: application.bot.set_my_commands(commands),
                              what="setMyCommands", idempotent=True)
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", exc)


async def start_telegram(
    application: Application, settings: Settings, *, secret: str | None = None,
    poll_timeout: float = 10.0,
) -> str:
    """Connect (getMe), register commands, start taking updates; returns a mode summary.

    Raises :class:`telegram.error.TelegramError` (e.g. ``InvalidToken``) when the Bot API
    refuses us; the caller reports it and keeps the other channels running.
    """
    await application.initialize()
    await register_commands(application)
    await application.start()
    name = f"@{application.bot.username}"
    if settings.telegram_webhook_url:
        await call_with_retry(
            lambda: application.bot.set_webhook(
                settings.telegram_webhook_url or "", secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
            ),
            what="setWebhook", idempotent=True,
        )
        return f"{name}, webhook {settings.telegram_webhook_url}"
    assert application.updater is not None
    await application.updater.start_polling(
        allowed_updates=ALLOWED_UPDATES, timeout=int(poll_timeout), bootstrap_retries=3,
    )
    return f"{name}, long polling"


async def stop_telegram(application: Application) -> None:
    """Stop fetching, let handlers in flight finish their replies, close the client."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class TelegramChannel:
    """Telegram, started when ``TELEGRAM_TOKEN`` is set; reaches a chat by its id."""

    name = PLATFORM

    def __init__(self, settings: Settings, *, poll_timeout: float = 10.0) -> None:
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.application: Application | None = None
        self._secret = webhook_secret(settings) if settings.telegram_webhook_url else None

    def routes(self) -> list[BaseRoute]:
        """The webhook route, for the web app to mount before it starts (webhook mode)."""
        if self._secret is None or self.settings.telegram_token is None:
            return []
        return [webhook_route(None, webhook_path(self.settings), self._secret, source=self)]

    async def start(self, buddy: Buddy, settings: Settings) -> ChannelStatus:
        if settings.telegram_token is None:
            return ChannelStatus("Telegram", False, "TELEGRAM_TOKEN not set")
        application = build_application(buddy, settings)
        try:
            mode = await asyncio.wait_for(
                start_telegram(application, settings, secret=self._secret,
                               poll_timeout=self.poll_timeout), START_TIMEOUT_S)
        except Exception as exc:  # a bad token or no network: report it, keep the rest up
            log.error("Telegram did not start", exc_info=True)
            with contextlib.suppress(Exception):
                await stop_telegram(application)
            return ChannelStatus("Telegram", False, f"failed to start: {_why(exc)}; check "
                                 "TELEGRAM_TOKEN and TELEGRAM_BASE_URL")
        self.application = application
        return ChannelStatus("Telegram", True, mode)

    async def stop(self) -> None:
        application, self.application = self.application, None
        if application is not None:
            await stop_telegram(application)

    async def send_text(self, address: str, text: str, sender: str | None = None) -> None:
        """Send to the chat ``address`` (its id), split at 4096, retried where safe."""
        if self.application is None:
            raise DeliveryError("Telegram is not running; start it with TELEGRAM_TOKEN set")
        try:
            chat_id = int(address)
        except ValueError:
            raise DeliveryError("not a Telegram chat address (expected a chat id)") from None
        try:
            await send_text(self.application.bot, chat_id, with_sender(text, sender))
        except TelegramError as exc:
            raise DeliveryError(f"Telegram refused the message ({_why(exc)}); the user may "
                                "have blocked the bot or left the chat") from exc
