"""The handoff service: a person takes a conversation, talks, and hands it back.

Built from settings, a session factory and ``deliver(platform, address, text)`` (in stage 2
the channels' ``send_text``); nothing here knows a platform. The pipeline calls
:meth:`HandoffService.observe` for every message and :meth:`request` when the user asks for
a person; the dashboard calls :meth:`take`, :meth:`send`, :meth:`hand_back`; ``buddy serve``
runs :meth:`run_expiry`. Every operator action is an audit event naming the operator.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.handoff import texts
from core.handoff.crypto import AddressBox, decode_key
from core.handoff.hours import DutyHours, parse_hours
from core.handoff.live import LiveEvent, LiveFeed
from core.handoff.states import HandoffError, HandoffState
from core.storage import handoff as store
from core.storage.audit import record_audit
from core.storage.privacy import scrub_with

log = logging.getLogger(__name__)



class Deliver(Protocol):
    """Sends ``text`` to ``address`` on ``platform``; ``sender`` names the person writing
    (None for Buddy's own notices). ``buddy serve`` builds it from the running channels
    (:class:`bot.delivery.ChannelDelivery`); raises with a reason the operator can read."""

    async def __call__(self, platform: str, address: str, text: str,
                       sender: str | None = None) -> None: ...


Sessions = async_sessionmaker[AsyncSession]
EXPIRY_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Seen:
    """What :meth:`HandoffService.observe` learnt about the user's handoff."""

    state: HandoffState
    conversation_id: str  # the conversation the handoff is about (the operator's view)
    operator: str | None = None


class HandoffService:
    """Handoff actions over the database; one per process."""

    def __init__(
        self, *, sessions: Sessions, box: AddressBox | None, hours: DutyHours,
        operators: Collection[str], deliver: Deliver | None = None,
        idle: timedelta = timedelta(minutes=15),
        conversation_idle: timedelta = timedelta(minutes=30),
        feed: LiveFeed | None = None,
    ) -> None:
        self.sessions = sessions
        self._box = box
        self.hours = hours
        self.operators = frozenset(operators)
        self.deliver = deliver
        self.idle = idle
        self.conversation_idle = conversation_idle
        self.feed = feed or LiveFeed()

    @classmethod
    def from_settings(cls, settings, sessions: Sessions,  # noqa: ANN001 (core.config.Settings)
                      deliver: Deliver | None = None) -> HandoffService:
        key = settings.handoff_key.get_secret_value() if settings.handoff_key else None
        return cls(
            sessions=sessions, box=AddressBox(decode_key(key)) if key else None,
            hours=parse_hours(settings.operator_hours, settings.operator_timezone),
            operators=settings.operator_tokens().keys(), deliver=deliver,
            idle=timedelta(minutes=settings.handoff_idle_minutes),
            conversation_idle=timedelta(minutes=settings.conversation_idle_minutes),
        )

    # --- status ------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """Addresses can be kept (a key is set): the precondition for everything else."""
        return self._box is not None

    def status(self) -> str:
        """One line for ``buddy serve``: on, or off and what to set."""
        if self._box is None:
            return "Handoff: off (set HANDOFF_KEY; make one with `buddy handoff keygen`)"
        if not self.operators:
            return "Handoff: off (no operators: set OPERATORS or ADMIN_TOKEN)"
        if self.deliver is None:
            return "Handoff: off (no channel can deliver operator messages yet)"
        return f"Handoff: on ({len(self.operators)} operator(s), idle hand-back {self.idle})"

    def available(self, now: datetime) -> bool:
        """A person could answer now: key, operators, a way to write, on-duty hours."""
        return (self._box is not None and bool(self.operators) and self.deliver is not None
                and self.hours.on_duty(now))

    # --- the user's side (called by the pipeline) -------------------------------------
    async def observe(
        self, user_key: str, platform: str, conversation_id: str, address: str | None,
        now: datetime,
    ) -> Seen:
        """Keep the user's sealed address (when given) and read their handoff state."""
        async with self.sessions() as s, s.begin():
            if address and self._box is not None:
                await store.remember_address(s, user_key, platform, conversation_id,
                                             self._box.seal(address, user_key), now)
            row = await store.handoff_row(s, user_key)
        if row is None:
            return Seen(HandoffState.NONE, conversation_id)
        return Seen(HandoffState(row.state), row.conversation_id, row.operator)

    async def request(
        self, user_key: str, platform: str, conversation_id: str, now: datetime
    ) -> str:
        """The user asked for a person: queue them when someone can answer; the reply text."""
        if not self.available(now):
            return texts.UNAVAILABLE
        async with self.sessions() as s, s.begin():
            if await store.address_row(s, user_key) is None:
                return texts.UNAVAILABLE  # this platform cannot be written to: say so
            queued = await store.request_handoff(s, user_key, conversation_id, platform, now)
        return texts.QUEUED if queued else texts.ALREADY_QUEUED

    def publish(self, conversation_id: str, role: str, text: str, at: datetime,
                crisis: bool = False) -> None:
        """Show a line live to operators watching ``conversation_id`` (never raises)."""
        try:
            self.feed.publish(LiveEvent(conversation_id, role, text, at, crisis))
        except Exception:
            log.exception("live view publish failed")

    async def forget(self, user_key: str) -> None:
        """``/forget``: end any handoff and delete the address, then scrub the file."""
        async with self.sessions() as s, s.begin():
            await store.forget_handoff(s, user_key)
        await scrub_with(self.sessions)

    # --- the operator's side -------------------------------------------------------------
    async def take(self, operator: str, conversation_id: str) -> None:
        """Hold the conversation for ``operator`` and tell the user a person joined.

        Raises :class:`HandoffError` saying why when it cannot (someone else holds it, the
        user cannot be reached); of two operators racing, exactly one succeeds.
        """
        self._check_operator(operator)
        now = datetime.now(timezone.utc)
        async with self.sessions() as s, s.begin():
            user_key = await store.user_of_conversation(s, conversation_id)
            address = await store.address_row(s, user_key) if user_key else None
            if user_key is None or address is None:
                raise HandoffError("이 사용자에게는 지금 쓸 수 없습니다 (대화가 끝났거나 주소가 "
                                   "없습니다). The user cannot be reached now.")
            await store.ensure_handoff(s, user_key, conversation_id, address.platform, now)
        async with self.sessions() as s, s.begin():
            won = await store.take_handoff(s, user_key, operator, conversation_id, now)
            if won:
                await record_audit(s, operator, "take", target=conversation_id)
            row = await store.handoff_row(s, user_key)
        if not won:
            holder = row.operator if row is not None else None
            raise HandoffError(f"이미 다른 상담사({holder})가 맡았습니다. Already taken by "
                               f"{holder}." if holder else "지금은 맡을 수 없습니다. "
                               "It cannot be taken now; reload the page.")
        try:
            await self._deliver(user_key, texts.JOINED)
        except HandoffError:
            await self._release(user_key, operator, "hand_back", conversation_id, notice=None)
            raise
        self.publish(conversation_id, "notice", texts.JOINED, now)

    async def send(self, operator: str, conversation_id: str, text: str) -> None:
        """Deliver the operator's message and log it as an operator turn."""
        text = text.strip()
        if not text:
            raise HandoffError("빈 메시지는 보낼 수 없습니다. Write something first.")
        now = datetime.now(timezone.utc)
        user_key, row = await self._held_by(operator, conversation_id)
        await self._deliver(user_key, text, sender=texts.OPERATOR_SENDER)
        async with self.sessions() as s, s.begin():
            await store.touch_operator(s, user_key, operator, now)
            await store.log_operator_turn(
                s, message_id=str(uuid.uuid4()), user_key=user_key,
                conversation_id=row.conversation_id, platform=row.platform,
                operator=operator, text=text, now=now)
            await record_audit(s, operator, "message", target=conversation_id)
        self.publish(conversation_id, "operator", text, now)

    async def hand_back(self, operator: str, conversation_id: str) -> None:
        """Give the conversation back to Buddy and tell the user."""
        user_key, _ = await self._held_by(operator, conversation_id)
        await self._release(user_key, operator, "hand_back", conversation_id,
                            notice=texts.RETURNED)

    async def expire_idle(self, now: datetime | None = None) -> int:
        """Hand back conversations whose operator went silent, lapse queued requests of
        users who left, delete addresses no longer needed; returns conversations handed back."""
        now = now or datetime.now(timezone.utc)
        async with self.sessions() as s:
            idle = await store.idle_held(s, now - self.idle)
        handed = 0
        for row in idle:
            if await self._release(row.user_key, row.operator, "timeout", row.conversation_id,
                                   notice=texts.TIMED_OUT, idle_before=now - self.idle):
                handed += 1
        async with self.sessions() as s, s.begin():
            gone_before = now - self.conversation_idle
            await store.lapse_queued(s, gone_before, now)
            stale = await store.delete_stale_addresses(s, gone_before)
        if stale or handed:
            await scrub_with(self.sessions)
        return handed

    async def run_expiry(self, interval_s: float = EXPIRY_INTERVAL_S) -> None:
        """:meth:`expire_idle` every ``interval_s`` until cancelled (a ``buddy serve`` task);
        a failing round is logged and retried, never ends the loop."""
        while True:
            try:
                await self.expire_idle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handoff expiry failed; trying again in %.0f s", interval_s)
            await asyncio.sleep(interval_s)

    # --- helpers ---------------------------------------------------------------------------
    def _check_operator(self, operator: str) -> None:
        if operator not in self.operators:
            raise HandoffError(f"{operator!r} is not an operator (OPERATORS / ADMIN_TOKEN).")

    async def _held_by(self, operator: str, conversation_id: str):  # noqa: ANN202
        self._check_operator(operator)
        async with self.sessions() as s:
            user_key = await store.user_of_conversation(s, conversation_id)
            row = await store.handoff_row(s, user_key) if user_key else None
        if user_key is None or row is None or row.state != HandoffState.HELD.value \
                or row.operator != operator:
            raise HandoffError("이 대화를 맡고 있지 않습니다. You do not hold this conversation.")
        return user_key, row

    async def _deliver(self, user_key: str, text: str, sender: str | None = None) -> None:
        """Open the user's address and send; HandoffError when it cannot be done."""
        if self.deliver is None or self._box is None:
            raise HandoffError("메시지를 전할 채널이 없습니다. No channel can deliver messages.")
        async with self.sessions() as s:
            row = await store.address_row(s, user_key)
        address = self._box.open(row.sealed, user_key) if row is not None else None
        if row is None or address is None:
            raise HandoffError("이 사용자에게는 지금 쓸 수 없습니다 (주소가 없습니다). The user "
                               "cannot be reached now.")
        try:
            await self.deliver(row.platform, address, text, sender)
        except Exception as exc:  # DeliveryError and anything the platform raised
            log.warning("handoff delivery on %s failed: %s", row.platform, type(exc).__name__)
            raise HandoffError(f"전달하지 못했습니다. Not delivered: {exc}") from exc

    async def _release(
        self, user_key: str, operator: str | None, action: str, conversation_id: str, *,
        notice: str | None, idle_before: datetime | None = None,
    ) -> bool:
        """Held → returned, audited; then tell the user (best effort) and delete the address.

        The release comes first: when the idle timer loses to an operator's message sent
        meanwhile, nothing matched, and the user is told nothing."""
        now = datetime.now(timezone.utc)
        async with self.sessions() as s, s.begin():
            done = await store.release_handoff(s, user_key, now, operator=operator,
                                               idle_before=idle_before)
            if done:
                await record_audit(s, operator or "system", action, target=conversation_id)
        if not done:
            return False
        if notice is not None:
            try:
                await self._deliver(user_key, notice)
            except HandoffError:
                log.warning("hand-back notice not delivered")
            self.publish(conversation_id, "notice", notice, now)
        async with self.sessions() as s, s.begin():
            if await store.handoff_state(s, user_key) is HandoffState.RETURNED:
                await store.delete_address(s, user_key)  # until the user writes again
        await scrub_with(self.sessions)
        return True
