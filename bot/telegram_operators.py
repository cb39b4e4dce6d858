"""The Telegram operators' group as a channel of ``buddy serve``: starting and stopping it.

On when the alert chat (``ALERT_TELEGRAM_CHAT_ID``) is set, handoff is on (conversation log
and ``HANDOFF_KEY``) and ``OPERATOR_TELEGRAM_IDS`` maps operators to their Telegram accounts;
what happens in the group is :mod:`bot.telegram_desk`.

Which bot listens: the alerts' bot (``ALERT_TELEGRAM_TOKEN``, else ``TELEGRAM_TOKEN``). When
that is the users' bot and it runs, the desk's handlers join its application, in a group
before the counselling handlers: Telegram gives one bot's updates to one poller only, so a
second poller on the same token would steal the users' messages. A separate alerts bot gets
an application of its own (long polling). ``stop`` removes the handlers (or stops that
application); conversations stay held and the idle timer hands them back.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseHandler

from bot.channel import ChannelStatus, DeliveryError
from bot.telegram_channel import TelegramChannel, stop_telegram
from bot.telegram_desk import OperatorDesk
from bot.telegram_send import call_with_retry
from core.app import operator_group_wanted

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

TITLE = "Operators' group (Telegram)"
HANDLER_GROUP = -2  # before the counselling adapter's screen (-1) and handlers (0)
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


class TelegramOperators:
    """The operators' group; ``users`` is the users' Telegram channel (its bot is shared
    when the tokens are the same)."""

    name = "telegram-operators"

    def __init__(self, settings: Settings, users: TelegramChannel | None = None, *,
                 poll_timeout: float = 10.0) -> None:
        self.settings = settings
        self.users = users
        self.poll_timeout = poll_timeout
        self.desk: OperatorDesk | None = None
        self._application: Application | None = None
        self._own = False
        self._handlers: list[BaseHandler] = []

    async def start(self, buddy: Buddy, settings: Settings) -> ChannelStatus:
        """Join the users' bot or start the alerts' own; off, with what to set, otherwise."""
        why = _why_off(buddy, settings)
        if why:
            return ChannelStatus(TITLE, False, why)
        chat_id = int(settings.alert_telegram_chat_id or "")
        token = (settings.alert_telegram_token or settings.telegram_token)
        assert token is not None  # operator_group_wanted checked it
        shared = (self.users is not None and self.users.application is not None
                  and settings.telegram_token is not None
                  and token.get_secret_value() == settings.telegram_token.get_secret_value())
        application = self.users.application if shared and self.users else \
            _own_application(token.get_secret_value(), settings)
        try:
            if not shared:
                await application.initialize()
            chat = await call_with_retry(lambda: application.bot.get_chat(chat_id),
                                         what="getChat", idempotent=True)
        except Exception as exc:
            log.error("operators' group did not start: %s", type(exc).__name__)
            if not shared:
                with contextlib.suppress(Exception):
                    await application.shutdown()
            return ChannelStatus(TITLE, False, f"the bot cannot see ALERT_TELEGRAM_CHAT_ID "
                                 f"({type(exc).__name__}); add the bot to the group as an admin")
        assert buddy.handoff is not None
        accounts = settings.operator_telegram_accounts()
        self.desk = OperatorDesk(application.bot, chat_id, forum=bool(chat.is_forum),
                                 service=buddy.handoff, accounts=accounts)
        self._handlers = self.desk.handlers()
        for handler in self._handlers:
            application.add_handler(handler, group=HANDLER_GROUP)
        if not shared:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=int(self.poll_timeout),
                bootstrap_retries=3)
        self._application, self._own = application, not shared
        kind = "forum topics" if chat.is_forum else "reply threads"
        bot = "the users' bot" if shared else "its own bot (ALERT_TELEGRAM_TOKEN)"
        return ChannelStatus(TITLE, True, f"{len(accounts)} operator account(s), {kind}, "
                             f"{bot}")

    async def stop(self) -> None:
        """Stop relaying and taking updates; held conversations stay held."""
        application, self._application = self._application, None
        if self.desk is not None:
            await self.desk.close()
        if application is None:
            return
        if self._own:
            await stop_telegram(application)
        else:
            for handler in self._handlers:
                with contextlib.suppress(ValueError):
                    application.remove_handler(handler, group=HANDLER_GROUP)
        self._handlers = []

    async def send_text(self, address: str, text: str, sender: str | None = None) -> None:
        """The group reaches operators, never a user: there is no user address here."""
        raise DeliveryError("the operators' group does not write to users; use the user's "
                            "own platform channel")


def _why_off(buddy: Buddy, settings: Settings) -> str | None:
    """What to set for the group to run, or None when it can."""
    if not operator_group_wanted(settings):
        return ("set ALERT_TELEGRAM_CHAT_ID, a bot token, HANDOFF_KEY and "
                "OPERATOR_TELEGRAM_IDS (name:account_id)")
    if buddy.handoff is None or not buddy.handoff.enabled:
        return "handoff is off (it needs the conversation log and HANDOFF_KEY)"
    if not (settings.alert_telegram_chat_id or "").lstrip("-").isdigit():
        return "ALERT_TELEGRAM_CHAT_ID must be the group's numeric id, e.g. -1001234567890"
    return None


def _own_application(token: str, settings: Settings) -> Application:
    """An application for a separate alerts bot (its handlers come from the desk)."""
    builder = ApplicationBuilder().token(token).read_timeout(15).connect_timeout(10)
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    return builder.build()
