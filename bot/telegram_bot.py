"""Telegram's handlers: Telegram updates in, the shared :class:`~bot.gate.Gate`, messages out.

Built on python-telegram-bot 22; :mod:`bot.telegram_channel` builds the application from
these handlers and runs it (polling or webhook) as a :class:`~bot.channel.Channel`.

The adapter stays thin: it decides *whether* a message is for Buddy (private chat, or
mentioned / replied to in a group), turns it into an :class:`IncomingMessage`, and
sends the :class:`Reply` text back, split at 4096 characters. Every decision about *what*
to answer belongs to the core.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.gate import Gate
from bot.telegram_send import call_with_retry, send_text, typing
from core import replies
from core.messages import IncomingMessage

log = logging.getLogger(__name__)

PLATFORM = "telegram"

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Awaitable[None]]

# Non-text messages answered with a kind text-only reply: (kind for the core, attribute).
# Animation comes before document: Telegram sets both on a GIF.
_NON_TEXT: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"), ("photo", "photo"), ("voice", "voice"), ("audio", "audio"),
    ("video", "video"), ("video", "video_note"), ("animation", "animation"),
    ("document", "document"), ("location", "location"), ("location", "venue"),
    ("contact", "contact"), ("poll", "poll"), ("dice", "dice"),
)
_ANY_NON_TEXT = (
    filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
    | filters.VIDEO_NOTE | filters.ANIMATION | filters.Document.ALL | filters.LOCATION
    | filters.VENUE | filters.CONTACT | filters.POLL | filters.Dice.ALL
)


def message_kind(message: Message) -> str:
    """What a non-text message is, in the core's vocabulary ("sticker", "photo", ...)."""
    for kind, attribute in _NON_TEXT:
        if getattr(message, attribute, None):
            return kind
    return "other"


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Many chats at once, but one chat's updates strictly in order (the gate's turn).

    The turn is taken here, before any handler runs, because PTB starts one task per
    update in arrival order: the gate's FIFO lock then keeps that order per chat.
    """

    def __init__(self, gate: Gate, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self.gate = gate

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self.gate.in_order(str(chat.id)):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class TelegramAdapter:
    """The handlers, each one small coroutine; they share the core through the gate."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.buddy = gate.buddy

    def handlers(self) -> list[tuple[int, BaseHandler]]:
        """The one table of what Buddy reacts to: (group, handler), in matching order."""
        only_new = filters.UpdateType.MESSAGE
        private = filters.ChatType.PRIVATE
        table: list[tuple[int, BaseHandler]] = [
            (-1, TypeHandler(Update, self.screen)),
            (0, CommandHandler("start", self.on_start, filters=only_new)),
            (0, CommandHandler("help", self.on_help, filters=only_new)),
            (0, CommandHandler("reset", self.on_reset, filters=only_new)),
            (0, CommandHandler("forget", self.on_forget, filters=only_new)),
            (0, CommandHandler("privacy", self.on_privacy, filters=only_new)),
            (0, CallbackQueryHandler(self.on_forget_button, pattern=r"^forget:")),
            (0, MessageHandler(only_new & private & filters.COMMAND, self.on_unknown_command)),
            (0, MessageHandler(only_new & filters.TEXT & ~filters.COMMAND, self.on_text)),
            (0, MessageHandler(only_new & _ANY_NON_TEXT, self.on_non_text)),
        ]
        return table

    # --- gate: duplicates and shutdown -------------------------------------------------
    async def screen(self, update: Update, context: Context) -> None:
        """Drop redelivered updates; during shutdown, say so instead of answering."""
        if not self.gate.first_time(str(update.update_id)):
            raise ApplicationHandlerStop
        if not self.gate.accepting:
            await self.refuse(update, context)
            raise ApplicationHandlerStop

    async def refuse(self, update: Update, context: Context) -> None:
        """During shutdown: no model answer, but a message meant for Buddy still gets the
        crisis check (and, for a crisis, the crisis reply); anything else is told to come
        back, with the crisis line. Group messages not addressed to Buddy stay unanswered."""
        message, chat = update.message, update.effective_chat
        if update.callback_query is not None:  # a /forget button: say why nothing happens
            await _answer_query(update.callback_query, texts.SHUTTING_DOWN[:200])
            return
        if message is None or chat is None:
            return
        raw = message.text if message.text is not None else message.caption
        entities = (message.parse_entities() if message.text is not None
                    else message.parse_caption_entities())
        text = addressed_text(message, raw or "", entities, context.bot)
        if text is None:
            return
        refused = self.gate.refuse(text)
        quote = message.message_id if chat.type != ChatType.PRIVATE else None
        await send_text(context.bot, chat.id, refused.text, reply_to=quote)

    # --- commands ---------------------------------------------------------------------
    async def on_start(self, update: Update, context: Context) -> None:
        await self._say(update, context, texts.start_text())

    async def on_help(self, update: Update, context: Context) -> None:
        await self._say(update, context, texts.HELP)

    async def on_privacy(self, update: Update, context: Context) -> None:
        await self._say(update, context, replies.PRIVACY)

    async def on_reset(self, update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None:
            return
        await self._say(update, context, self.buddy.reset(PLATFORM, str(user.id)))

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        await self._say(update, context, texts.UNKNOWN_COMMAND)

    async def on_forget(self, update: Update, context: Context) -> None:
        """Ask first: deleting is final, and a stray tap on the menu must not do it."""
        user = update.effective_user
        if user is None:
            return
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton(texts.FORGET_YES, callback_data=f"forget:yes:{user.id}"),
            InlineKeyboardButton(texts.FORGET_NO, callback_data=f"forget:no:{user.id}"),
        ]])
        await self._say(update, context, texts.FORGET_CONFIRM, reply_markup=keyboard)

    async def on_forget_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        _, answer, owner = (query.data.split(":") + ["", ""])[:3]
        if owner != str(query.from_user.id):
            await _answer_query(query, texts.FORGET_NOT_YOURS)
            return
        await _answer_query(query)
        if answer != "yes":
            await _edit(query, texts.FORGET_CANCELLED)
            return
        try:
            deleted = await self.buddy.forget(PLATFORM, owner)
        except Exception:
            log.exception("forget failed")
            await _edit(query, texts.FORGET_FAILED)
            return
        log.info("forgot user %s (%d messages)", self.buddy.user_ref(PLATFORM, owner), deleted)
        await _edit(query, replies.FORGOTTEN)

    # --- messages ---------------------------------------------------------------------
    async def on_text(self, update: Update, context: Context) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        text = addressed_text(message, message.text, message.parse_entities(), context.bot)
        if text is not None:
            await self._answer(update, context, text, "text")

    async def on_non_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice...: a caption is read as text (it may be a cry for help)."""
        message = update.message
        if message is None:
            return
        if message.caption:
            caption = addressed_text(message, message.caption, message.parse_caption_entities(),
                                     context.bot)
            if caption is not None:
                await self._answer(update, context, caption, "text")
            return
        if addressed_text(message, "", {}, context.bot) is not None:
            await self._answer(update, context, "", message_kind(message))

    async def _answer(self, update: Update, context: Context, text: str, kind: str) -> None:
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None:
            return
        incoming = IncomingMessage(PLATFORM, str(user.id), text, str(message.message_id), kind,
                                   address=str(chat.id))
        reply = await self.gate.answer(incoming, lambda: typing(context.bot, chat.id))
        quote = message.message_id if chat.type != ChatType.PRIVATE else None
        await send_text(context.bot, chat.id, reply.text, reply_to=quote)

    async def _say(self, update: Update, context: Context, text: str,
                   reply_markup: InlineKeyboardMarkup | None = None) -> None:
        chat, message = update.effective_chat, update.message
        if chat is None:
            return
        quote = message.message_id if message and chat.type != ChatType.PRIVATE else None
        await send_text(context.bot, chat.id, text, reply_to=quote, reply_markup=reply_markup)


def addressed_text(
    message: Message, text: str, entities: dict[MessageEntity, str], bot: Bot
) -> str | None:
    """The text meant for Buddy, or None when a group message is not addressed to it.

    In a private chat everything is. In a group only a message that mentions the bot
    (``@name`` or a text mention) or replies to one of its messages is; the mention
    itself is removed so the classifier reads only what the person said.
    """
    if message.chat.type == ChatType.PRIVATE:
        return text
    mentions = [
        (e, t) for e, t in entities.items()
        if (e.type == MessageEntity.MENTION and t[1:].lower() == (bot.username or "").lower())
        or (e.type == MessageEntity.TEXT_MENTION and e.user is not None and e.user.id == bot.id)
    ]
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    if not mentions and not to_bot:
        return None
    for _, mention in mentions:
        if mention.startswith("@"):
            text = text.replace(mention, " ")
    return " ".join(text.split())


async def _answer_query(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await call_with_retry(lambda: query.answer(text), what="answerCallbackQuery",
                              idempotent=True)
    except TelegramError as exc:
        log.warning("answerCallbackQuery failed: %s", type(exc).__name__)


async def _edit(query: CallbackQuery, text: str) -> None:
    """Replace the confirmation (and its buttons) with the outcome; safe to repeat."""
    await call_with_retry(lambda: query.edit_message_text(text), what="editMessageText",
                          idempotent=True)


async def on_error(update: object, context: Context) -> None:
    """Log the failure; tell the user gently, unless sending itself is what failed."""
    log.error("telegram update failed", exc_info=context.error)
    if isinstance(context.error, TelegramError):
        return  # the reply may have arrived, or cannot be sent at all: do not add to it
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None:
        try:
            await send_text(context.bot, chat.id, replies.INTERNAL_ERROR)
        except TelegramError:
            log.warning("could not tell chat about the error")
