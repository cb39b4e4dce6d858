"""The operators' desk in a Telegram group: take a conversation, write to the user, hand back.

What an operator sees: each crisis alert in the group has a "대화 맡기 / Take" button. The
operator who presses it takes the conversation through
:meth:`core.handoff.service.HandoffService.take`, acting as the operator their Telegram
account is mapped to (``OPERATOR_TELEGRAM_IDS``); the bot then opens one thread for that
conversation — a forum topic when the group is a forum, otherwise a head message that
everything else replies to. The user's new messages (and Buddy's crisis replies) appear in the
thread from the service's live feed; the holder's replies there go to the user with
:meth:`~core.handoff.service.HandoffService.send`; ``/handback`` or the button gives the
conversation back to Buddy. Anyone else gets a clear refusal and nothing reaches the user.

Why every handler stops the update here: the group is not a counselling chat. A reply to the
bot's message in a group would otherwise reach Buddy's counselling handlers (which answer
replies to the bot) when the group shares the users' bot; so all of the group's updates end
in this desk, failures included (:meth:`OperatorDesk._final`).

Threads live in memory: after a restart a reply to an old thread is refused with what to do
(press Take again, which reopens a thread for a conversation the operator still holds).
Telegram account ids are never logged, and nothing here stores a user's platform address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import telegram_desk_texts as say
from bot.splitting import split_message
from bot.telegram_send import TEXT_LIMIT, call_with_retry
from core.handoff import lookup
from core.handoff import texts as user_texts
from core.handoff.live import LiveEvent
from core.handoff.service import HandoffService
from core.handoff.states import HandoffError
from core.safety.alerts import TAKE_PREFIX

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
BACK_PREFIX = "back:"  # callback data: the prefix and the conversation id
BACK_LABEL = "버디에게 돌려주기 / Hand back"
REMEMBERED_MESSAGES = 10_000  # thread messages a reply can point at (oldest forgotten)

@dataclass
class Thread:
    """One held conversation's place in the group."""

    conversation_id: str
    user_ref: str
    operator: str
    head: int  # the message everything replies to (in a forum: the topic's first message)
    topic: int | None  # message_thread_id in a forum group
    relay: asyncio.Task[None] | None = None


class OperatorDesk:
    """The group's handlers and the open threads; one per operators' group."""

    def __init__(self, bot: Bot, chat_id: int, *, forum: bool, service: HandoffService,
                 accounts: dict[int, str]) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.forum = forum
        self.service = service
        self.accounts = accounts
        self.threads: dict[str, Thread] = {}
        self._by_message: OrderedDict[int, str] = OrderedDict()
        self._topics: dict[int, str] = {}  # forum topic → conversation (kept for a re-take)
        self._sent_here: dict[str, list[str]] = {}  # operator texts sent from the group

    def handlers(self) -> list[BaseHandler]:
        """Everything the group can do; every update from the group ends here."""
        here = filters.Chat(self.chat_id) & filters.UpdateType.MESSAGE
        return [
            CallbackQueryHandler(self._final(self.on_take), pattern=f"^{TAKE_PREFIX}"),
            CallbackQueryHandler(self._final(self.on_back_button), pattern=f"^{BACK_PREFIX}"),
            CommandHandler("handback", self._final(self.on_handback), filters=here),
            MessageHandler(here & filters.TEXT & ~filters.COMMAND, self._final(self.on_reply)),
            MessageHandler(filters.Chat(self.chat_id), self._final(self.ignore)),
        ]

    async def close(self) -> None:
        """Stop relaying (on shutdown); the conversations stay held (the idle timer runs)."""
        relays = [t.relay for t in self.threads.values() if t.relay is not None]
        for relay in relays:
            relay.cancel()
        for relay in relays:
            with contextlib.suppress(asyncio.CancelledError):
                await relay

    # --- handlers -------------------------------------------------------------------------
    async def on_take(self, update: Update, context: Context) -> None:
        """"Take" under an alert: hold the conversation as the presser, open its thread."""
        query = update.callback_query
        assert query is not None and query.data is not None
        if not self._in_group(query.message):
            await _answer(query)
            return
        operator = self.accounts.get(query.from_user.id)
        if operator is None:
            await _answer(query, say.NOT_OPERATOR.format(account=query.from_user.id), alert=True)
            return
        ref = query.data.removeprefix(TAKE_PREFIX)
        conversation = await lookup.conversation_for_ref(self.service.sessions, ref)
        if conversation is None:
            await _answer(query, say.UNREACHABLE, alert=True)
            return
        subscription = self.service.feed.subscribe(conversation)  # before the user can write
        try:
            await self.service.take(operator, conversation)
        except HandoffError as exc:
            self.service.feed.unsubscribe(subscription)
            if await lookup.holder(self.service.sessions, conversation) != operator:
                await _answer(query, str(exc), alert=True)
                return
            if conversation in self.threads:
                await _answer(query, say.ALREADY_YOURS)
                return
            subscription = self.service.feed.subscribe(conversation)  # reopen after a restart
        try:
            thread = await self._open(conversation, ref, operator)
        except BaseException:
            self.service.feed.unsubscribe(subscription)  # still held: Take again reopens it
            raise
        thread.relay = asyncio.create_task(self._relay(thread, subscription),
                                           name=f"operators-relay-{ref}")
        await _answer(query, say.TAKEN)

    async def on_reply(self, update: Update, context: Context) -> None:
        """A message in a thread: the holder's goes to the user; anyone else is refused."""
        message = update.message
        assert message is not None and message.text is not None
        conversation = self._conversation_of(message)
        if conversation is None:
            if self._to_the_bot(message):  # an alert, or a thread from before a restart
                await self._say(message, say.NO_THREAD)
            return  # otherwise operators talking among themselves
        operator = self.accounts.get(message.from_user.id) if message.from_user else None
        if operator is None:
            await self._say(message, say.NOT_OPERATOR_REPLY)
            return
        text = message.text.strip()
        self._sent_here.setdefault(conversation, []).append(text)
        try:
            await self.service.send(operator, conversation, text)
        except HandoffError as exc:
            self._sent_here[conversation].remove(text)
            await self._say(message, await self._refusal(conversation, operator, exc))
            return
        await self._react(message)

    async def on_handback(self, update: Update, context: Context) -> None:
        """``/handback`` in a thread (or as a reply to one): give it back to Buddy."""
        message = update.message
        assert message is not None
        conversation = self._conversation_of(message)
        if conversation is None:
            await self._say(message, say.WHICH_ONE)
            return
        operator = self.accounts.get(message.from_user.id) if message.from_user else None
        if operator is None:
            await self._say(message, say.NOT_OPERATOR_REPLY)
            return
        try:
            await self.service.hand_back(operator, conversation)
        except HandoffError as exc:
            await self._say(message, await self._refusal(conversation, operator, exc))

    async def on_back_button(self, update: Update, context: Context) -> None:
        """The thread's "Hand back" button."""
        query = update.callback_query
        assert query is not None and query.data is not None
        operator = self.accounts.get(query.from_user.id)
        if not self._in_group(query.message) or operator is None:
            await _answer(query, say.NOT_OPERATOR.format(account=query.from_user.id), alert=True)
            return
        conversation = query.data.removeprefix(BACK_PREFIX)
        try:
            await self.service.hand_back(operator, conversation)
        except HandoffError as exc:
            await _answer(query, await self._refusal(conversation, operator, exc), alert=True)
            return
        await _answer(query)

    async def ignore(self, update: Update, context: Context) -> None:
        """Anything else in the group (chatter, stickers, other commands): not for Buddy."""

    # --- threads --------------------------------------------------------------------------
    async def _open(self, conversation: str, ref: str, operator: str) -> Thread:
        """The conversation's thread: a (reused) forum topic, or a head message to reply to."""
        topic = next((t for t, c in self._topics.items() if c == conversation), None)
        if self.forum and topic is None:
            created = await call_with_retry(
                lambda: self.bot.create_forum_topic(self.chat_id, f"버디 {ref}"),
                what="createForumTopic", idempotent=False)
            topic = created.message_thread_id
            self._topics[topic] = conversation
        how, how_en = say.HOW_TOPIC if topic is not None else say.HOW_REPLY
        thread = Thread(conversation, ref, operator, head=0, topic=topic)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(BACK_LABEL, callback_data=BACK_PREFIX + conversation)]])
        head = await self._post(thread, say.HEAD.format(operator=operator, ref=ref, how=how,
                                                    how_en=how_en), markup)
        thread.head = head.message_id
        self.threads[conversation] = thread
        return thread

    async def _relay(self, thread: Thread, subscription) -> None:  # noqa: ANN001 (Subscription)
        """Post the conversation's live lines into its thread until it is handed back."""
        async with subscription:
            while True:
                event = await subscription.next()
                if event is None:
                    continue
                text, ended = self._line(thread, event)
                if text:
                    try:
                        await self._post(thread, text)
                    except TelegramError as exc:
                        log.warning("operators' group: a line was not posted (%s)",
                                    type(exc).__name__)
                if ended:
                    if self.threads.get(thread.conversation_id) is thread:
                        del self.threads[thread.conversation_id]
                    return

    def _line(self, thread: Thread, event: LiveEvent) -> tuple[str, bool]:
        """What the group shows for one live event, and whether the hold has ended."""
        if event.role == "user":
            flag = say.CRISIS_FLAG if event.crisis else ""
            return say.FROM_USER.format(ref=thread.user_ref, flag=flag, text=event.text), False
        if event.role == "bot":
            return say.FROM_BUDDY.format(text=event.text), False
        if event.role == "operator":
            mine = self._sent_here.get(thread.conversation_id, [])
            if event.text in mine:  # written here: the operator already sees it
                mine.remove(event.text)
                return "", False
            return say.FROM_DASHBOARD.format(text=event.text), False
        if event.text == user_texts.RETURNED:
            return say.RETURNED, True
        if event.text == user_texts.TIMED_OUT:
            return say.TIMED_OUT, True
        return "", False  # "a person joined": the head message already says so

    async def _post(self, thread: Thread, text: str,
                    markup: InlineKeyboardMarkup | None = None) -> Message:
        """Send into the thread (its topic, or as a reply to its head); remember the ids
        so that a reply to any of them reaches this conversation."""
        last: Message | None = None
        pieces = split_message(text, TEXT_LIMIT)
        for i, piece in enumerate(pieces):
            quote = ReplyParameters(thread.head, allow_sending_without_reply=True) \
                if thread.topic is None and thread.head else None

            async def call(piece: str = piece, quote: ReplyParameters | None = quote,
                           markup: InlineKeyboardMarkup | None =
                           markup if i == len(pieces) - 1 else None) -> Message:
                return await self.bot.send_message(
                    self.chat_id, piece, message_thread_id=thread.topic,
                    reply_parameters=quote, reply_markup=markup)

            last = await call_with_retry(call, what="sendMessage", idempotent=False)
            self._remember(last.message_id, thread.conversation_id)
        assert last is not None
        return last

    def _remember(self, message_id: int, conversation: str) -> None:
        self._by_message[message_id] = conversation
        while len(self._by_message) > REMEMBERED_MESSAGES:
            self._by_message.popitem(last=False)

    def _conversation_of(self, message: Message) -> str | None:
        """The conversation a group message belongs to: its forum topic, or the thread
        message it replies to."""
        if message.is_topic_message and message.message_thread_id in self._topics:
            return self._topics[message.message_thread_id]
        quoted = message.reply_to_message
        return self._by_message.get(quoted.message_id) if quoted is not None else None

    # --- small helpers --------------------------------------------------------------------
    def _to_the_bot(self, message: Message) -> bool:
        quoted = message.reply_to_message
        return bool(quoted and quoted.from_user and quoted.from_user.id == self.bot.id)

    def _in_group(self, message: object) -> bool:
        return isinstance(message, Message) and message.chat.id == self.chat_id

    async def _refusal(self, conversation: str, operator: str, exc: HandoffError) -> str:
        """Why an operator's reply or hand-back did nothing, as precisely as we know."""
        holder = await lookup.holder(self.service.sessions, conversation)
        if holder is None:
            return say.NOT_HELD
        if holder != operator:
            return say.HELD_BY.format(holder=holder)
        return str(exc)  # their own hold, but the platform refused: the service says why

    async def _say(self, message: Message, text: str) -> None:
        """Answer an operator in the group, under their message."""
        try:
            await call_with_retry(
                lambda: self.bot.send_message(
                    self.chat_id, text, message_thread_id=message.message_thread_id
                    if message.is_topic_message else None,
                    reply_parameters=ReplyParameters(message.message_id,
                                                     allow_sending_without_reply=True)),
                what="sendMessage", idempotent=False)
        except TelegramError as exc:
            log.warning("operators' group: answer not sent (%s)", type(exc).__name__)

    async def _react(self, message: Message) -> None:
        """👍 under the operator's message: it reached the user."""
        try:
            await call_with_retry(
                lambda: self.bot.set_message_reaction(self.chat_id, message.message_id, "👍"),
                what="setMessageReaction", idempotent=True)
        except TelegramError as exc:
            log.debug("reaction not set: %s", type(exc).__name__)

    def _final(self, handler: Callable[[Update, Context], Awaitable[None]]
               ) -> Callable[[Update, Context], Awaitable[None]]:
        """Run ``handler``, then stop the update: nothing from the group reaches the
        counselling handlers, not even after a failure (which is logged and told)."""

        async def run(update: Update, context: Context) -> None:
            try:
                await handler(update, context)
            except Exception:
                log.exception("operators' group: %s failed", handler.__name__)
                if update.callback_query is not None:
                    await _answer(update.callback_query, say.FAILED, alert=True)
                elif update.message is not None:
                    await self._say(update.message, say.FAILED)
            raise ApplicationHandlerStop

        return run


async def _answer(query, text: str | None = None, alert: bool = False) -> None:  # noqa: ANN001
    """Answer a button press (a toast, or a dialog with ``alert``); max 200 characters."""
    try:
        await call_with_retry(lambda: query.answer(text[:200] if text else None,
                                                   show_alert=alert),
                              what="answerCallbackQuery", idempotent=True)
    except TelegramError as exc:
        log.warning("answerCallbackQuery failed: %s", type(exc).__name__)
