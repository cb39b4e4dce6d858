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

# --- what operators read (Korean first, English after) ------------------------------------
NOT_OPERATOR = ("이 텔레그램 계정은 운영자로 등록되어 있지 않아 아무것도 하지 않았습니다. "
                "관리자에게 OPERATOR_TELEGRAM_IDS에 이름:{account} 추가를 요청하세요. "
                "Not an operator account; nothing was done.")
NOT_OPERATOR_REPLY = ("등록된 운영자 계정이 아니어서 사용자에게 전하지 않았습니다 "
                      "(OPERATOR_TELEGRAM_IDS). Not an operator account: not sent.")
UNREACHABLE = ("이 사용자에게는 지금 쓸 수 없습니다 (대화가 끝났거나 기록이 삭제됨). /admin에서 "
               "확인하세요. The user cannot be reached now.")
TAKEN = "맡았습니다. 스레드에서 답장하세요. / Taken: reply in the thread."
ALREADY_YOURS = "이미 맡고 있는 대화입니다. / You already hold it."
HELD_BY = ("다른 운영자({holder})가 맡고 있는 대화라서 전하지 않았습니다. "
           "Held by {holder}: not sent.")
NOT_HELD = ("이 대화는 지금 맡은 사람이 없어 전하지 않았습니다. 다시 맡으려면 알림의 '대화 "
            "맡기'를 누르세요. No one holds it now: not sent.")
WHICH_ONE = ("어느 대화인지 알 수 없습니다: 대화 스레드의 메시지에 답장으로 /handback 을 "
             "보내 주세요. Reply to a thread message with /handback.")
NO_THREAD = ("이 메시지는 열린 대화 스레드가 아니라서 사용자에게 전하지 않았습니다. 알림의 "
             "'대화 맡기'를 누르세요 (이미 맡은 대화면 스레드를 다시 엽니다). Not an open "
             "conversation thread: not sent; press Take on the alert.")
FAILED = "처리하지 못했습니다. 잠시 후 다시 하거나 /admin을 쓰세요. / Failed; try again or use /admin."
HEAD = ("🤝 {operator} 님이 대화 {ref}을(를) 맡았습니다.\n{how} 끝나면 /handback 또는 아래 버튼.\n"
        "(버디는 위기 신호에 상담전화 안내만 보냅니다. / {operator} holds {ref}; {how_en})")
HOW_TOPIC = ("이 토픽에 쓰는 글은 사용자에게 그대로 전해집니다.",
             "write in this topic to reach the user.")
HOW_REPLY = ("이 메시지나 아래 메시지에 답장하면 사용자에게 그대로 전해집니다.",
             "reply to this thread to reach the user.")
FROM_USER = "👤 {ref}{flag}:\n{text}"
CRISIS_FLAG = " ⚠️ 위기 신호"
FROM_BUDDY = "🤖 버디가 위기 안내를 보냈습니다:\n{text}"
FROM_DASHBOARD = "🧑‍⚕️ /admin에서 보낸 글:\n{text}"
RETURNED = "↩️ 버디에게 돌려주었습니다. 사용자는 안내를 받았습니다. / Handed back to Buddy."
TIMED_OUT = "⏱ 운영자 활동이 없어 버디에게 돌아갔습니다. / Handed back after idle time."


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
            await _answer(query, NOT_OPERATOR.format(account=query.from_user.id), alert=True)
            return
        ref = query.data.removeprefix(TAKE_PREFIX)
        conversation = await lookup.conversation_for_ref(self.service.sessions, ref)
        if conversation is None:
            await _answer(query, UNREACHABLE, alert=True)
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
                await _answer(query, ALREADY_YOURS)
                return
            subscription = self.service.feed.subscribe(conversation)  # reopen after a restart
        try:
            thread = await self._open(conversation, ref, operator)
        except BaseException:
            self.service.feed.unsubscribe(subscription)  # still held: Take again reopens it
            raise
        thread.relay = asyncio.create_task(self._relay(thread, subscription),
                                           name=f"operators-relay-{ref}")
        await _answer(query, TAKEN)

    async def on_reply(self, update: Update, context: Context) -> None:
        """A message in a thread: the holder's goes to the user; anyone else is refused."""
        message = update.message
        assert message is not None and message.text is not None
        conversation = self._conversation_of(message)
        if conversation is None:
            if self._to_the_bot(message):  # an alert, or a thread from before a restart
                await self._say(message, NO_THREAD)
            return  # otherwise operators talking among themselves
        operator = self.accounts.get(message.from_user.id) if message.from_user else None
        if operator is None:
            await self._say(message, NOT_OPERATOR_REPLY)
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
            await self._say(message, WHICH_ONE)
            return
        operator = self.accounts.get(message.from_user.id) if message.from_user else None
        if operator is None:
            await self._say(message, NOT_OPERATOR_REPLY)
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
            await _answer(query, NOT_OPERATOR.format(account=query.from_user.id), alert=True)
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
        how, how_en = HOW_TOPIC if topic is not None else HOW_REPLY
        thread = Thread(conversation, ref, operator, head=0, topic=topic)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(BACK_LABEL, callback_data=BACK_PREFIX + conversation)]])
        head = await self._post(thread, HEAD.format(operator=operator, ref=ref, how=how,
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
            flag = CRISIS_FLAG if event.crisis else ""
            return FROM_USER.format(ref=thread.user_ref, flag=flag, text=event.text), False
        if event.role == "bot":
            return FROM_BUDDY.format(text=event.text), False
        if event.role == "operator":
            mine = self._sent_here.get(thread.conversation_id, [])
            if event.text in mine:  # written here: the operator already sees it
                mine.remove(event.text)
                return "", False
            return FROM_DASHBOARD.format(text=event.text), False
        if event.text == user_texts.RETURNED:
            return RETURNED, True
        if event.text == user_texts.TIMED_OUT:
            return TIMED_OUT, True
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
            return NOT_HELD
        if holder != operator:
            return HELD_BY.format(holder=holder)
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
                    await _answer(update.callback_query, FAILED, alert=True)
                elif update.message is not None:
                    await self._say(update.message, FAILED)
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
