"""The one path every message takes: safety, classification, answer, log.

``Buddy.handle`` is the only entry point adapters call. Its order is the product's
promise: the crisis check runs first and on its own, so a failing classifier, model or
database can never stop the crisis reply (it never fails open).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import replies
from core.answers import AnswerBook
from core.classify.base import Classifier, Prediction
from core.crisis_step import CrisisStep
from core.dialogue.state import DialogueState, current
from core.handoff.gate import HELD_REPLY, HandoffGate, off_gate, open_gate
from core.inference import classifier_worker
from core.limits import MAX_TEXT_CHARS, MODEL_MAX_CHARS
from core.messages import IncomingMessage, Reply, ReplyKind
from core.pseudonym import user_key as make_user_key
from core.pseudonym import user_ref as make_user_ref
from core.ratelimit import FloodLimiter
from core.reply_choice import choose, crisis_reply, emoji_reply, fixed, with_identity
from core.safety import (
    ALERT_FROM,
    MessageScan,
    OperatorAlerts,
    SafetyAssessment,
    SafetyChecker,
    SafetyMode,
    classifier_signal,
)
from core.safety.trajectory import RiskTrajectory
from core.storage.dialogue_state import DialogueStateStore
from core.storage.forget import forget_user
from core.storage.writer import LogWriter
from core.text import encodable_text, has_words, normalize
from core.turns import loggable, turn_record
from core.users import UserMemory

if TYPE_CHECKING:
    from core.handoff.service import HandoffService

log = logging.getLogger(__name__)

CLASSIFY_TIMEOUT_S = 10.0
HANDOFF_TIMEOUT_S = 1.5  # a hung database must not hold any reply (a crisis reply least)


class Buddy:
    """The counseling core, handed its parts by :func:`core.app.open_buddy` or by tests.

    ``safety`` is the crisis check (built from settings by ``open_buddy``; the rules alone
    when not given). ``users`` is the one bounded per-user memory of this process (flood
    limit, recent risk levels); ``/forget`` clears a user there.
    """

    def __init__(
        self,
        *,
        classifier: Classifier,
        answers: AnswerBook,
        pseudonym_secret: bytes,
        writer: LogWriter | None = None,
        safety: SafetyChecker | None = None,
        safety_mode: SafetyMode | None = None,
        alerts: OperatorAlerts | None = None,
        trajectory: RiskTrajectory | None = None,
        confidence_threshold: float = 0.30,
        conversation_idle: timedelta = timedelta(minutes=30),
        flood_limit_per_minute: int = 20,
        states: DialogueStateStore | None = None,
        handoff: HandoffService | None = None,
        users: UserMemory | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.classifier = classifier
        self.answers = answers
        self.writer = writer
        self.safety = safety or SafetyChecker()
        self.sessions = sessions  # the log's session factory: forget opens its own session
        self.safety_mode = safety_mode or SafetyMode()
        self.users = users if users is not None else UserMemory()
        self.trajectory = trajectory or RiskTrajectory(users=self.users)
        self.alerts = alerts
        self.confidence_threshold = confidence_threshold
        self._secret = pseudonym_secret
        self._classify_worker = classifier_worker(classifier)
        self._crisis_step = CrisisStep(self.safety, self.trajectory, classifier.morph_inputs)
        # each user's open conversation: shared through the database when given one
        self.states = states or DialogueStateStore()
        self._idle = conversation_idle
        self._flood = FloodLimiter(flood_limit_per_minute, users=self.users)
        self._rng = random.Random()
        self._in_flight = 0
        self._accepting = True
        self.handoff = handoff  # a person taking over (core.handoff); None: off

    # --- identities --------------------------------------------------------------
    def user_key(self, platform: str, user_id: str) -> str:
        return make_user_key(self._secret, platform, str(user_id))

    def user_ref(self, platform: str, user_id: str) -> str:
        """The pseudonymous reference operators see for this platform user."""
        return make_user_ref(self.user_key(platform, user_id))

    # --- the message path ---------------------------------------------------------
    async def handle(self, message: IncomingMessage, *, log_turn: bool = True) -> Reply:
        """Answer one message. Never raises for bad input; logs the turn in the background."""
        self._in_flight += 1
        try:
            return await self._handle(message, log_turn)
        finally:
            self._in_flight -= 1

    async def _handle(self, message: IncomingMessage, log_turn: bool) -> Reply:
        """Limits → crisis check → classify → answer → record, each decided once."""
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        key = self.user_key(message.platform, message.user_id)
        # 1. limits: safety reads every character an adapter accepts, the model only the
        # first ones. (Lone surrogates would break Kiwi, the journal and the database.)
        raw = encodable_text(message.text)[0] if message.kind == "text" else ""
        full = normalize(raw, MAX_TEXT_CHARS)
        text = full[:MODEL_MAX_CHARS]
        loading = asyncio.ensure_future(self._load_state(key))  # a database round trip

        # 2. the crisis check: the message is read once; Kiwi's part of it and the
        # classifier's run in one batch off the loop; the verdict is the scan's.
        scan = await self._crisis_step.scan(full) if full else None
        if scan is not None:
            await self._crisis_step.analyse(scan, text)
        assessment = await self._crisis_step.verdict(key, scan, full)
        state = current(await loading, now, self._idle)
        gate = await self._handoff_gate(message, key, state, now)
        prediction: Prediction | None = None

        # 3-4. classify and answer (a crisis never waits for the classifier)
        if assessment.crisis:
            reply, state = crisis_reply(state, now, assessment, self.safety_mode)
        elif gate.held:  # a person answers; the crisis check still runs
            reply, state, prediction, assessment = await self._while_held(
                key, state, now, full, text, assessment, scan)
        elif (asked := await gate.asked(text)) is not None:
            reply = asked
        elif message.kind != "text":
            reply = fixed(replies.UNSUPPORTED.get(message.kind, replies.UNSUPPORTED_DEFAULT),
                                ReplyKind.UNSUPPORTED)
        elif not text:
            reply = fixed(replies.EMPTY, ReplyKind.EMPTY)
        elif not has_words(text):
            reply, state = emoji_reply(state, now, text, self.safety_mode)
        elif not self._flood.allow(key):
            reply = fixed(replies.TOO_FAST, ReplyKind.FALLBACK)
        else:
            prediction = await self._classify(text)
            if prediction is not None and classifier_signal(prediction) is not None:
                # only a likely crisis category can change the decision: decide with it
                assessment = await self._crisis_step.verdict(key, scan, full, prediction)
            reply, state = choose(state, now, text, prediction, assessment,
                                  answers=self.answers, threshold=self.confidence_threshold,
                                  safety_mode=self.safety_mode,
                                  start=self._rng.randrange(1 << 16))

        # 5. record: the turn's risk, the conversation, the log (durable before the reply)
        if full:
            self._crisis_step.remember(key, assessment.level)
        gate.show(loggable(raw) if message.kind == "text" else f"[{message.kind}]", reply,
                  assessment.crisis)
        state = replace(state, last_at=now, turns=state.turns + 1)
        reply = with_identity(reply, key, state, assessment)
        # the farewell is logged in the conversation it ends, then ends it
        keep = self.states.end(key) if reply.ends_conversation else self.states.save(key, state)
        if log_turn and self.writer is not None:
            await asyncio.gather(keep, self._record(
                message, key, now, state, reply, prediction, assessment,
                (time.perf_counter() - started) * 1000))
        else:
            await keep
        return reply

    async def _handoff_gate(
        self, message: IncomingMessage, key: str, state: DialogueState, now: datetime
    ) -> HandoffGate:
        """The handoff's view of this message; "off" when not configured or unreadable (then
        Buddy answers as always: a user is never left without a reply because of a handoff)."""
        if self.handoff is not None and self.handoff.enabled:
            try:
                return await asyncio.wait_for(open_gate(
                    self.handoff, key, message.platform, state.conversation_id,
                    message.address, now), HANDOFF_TIMEOUT_S)
            except Exception:
                log.exception("handoff state unavailable; Buddy answers this message")
        return off_gate(key, message.platform, state.conversation_id, now)

    async def _while_held(
        self, key: str, state: DialogueState, now: datetime, full: str, text: str,
        assessment: SafetyAssessment, scan: MessageScan | None,
    ) -> tuple[Reply, DialogueState, Prediction | None, SafetyAssessment]:
        """A person holds the conversation: the full crisis check (with the classifier's
        signal, as for any message) decides between the crisis reply and staying quiet."""
        prediction = await self._classify(text) if text and has_words(text) else None
        if prediction is not None and classifier_signal(prediction) is not None:
            assessment = await self._crisis_step.verdict(key, scan, full, prediction)
        if assessment.crisis:
            reply, state = crisis_reply(state, now, assessment, self.safety_mode, prediction)
            return reply, state, prediction, assessment
        return HELD_REPLY, state, prediction, assessment

    async def _load_state(self, key: str) -> DialogueState | None:
        """The user's open conversation (the store never raises; this guards it anyway)."""
        try:
            return await self.states.load(key)
        except Exception:
            log.exception("conversation state unavailable; starting from nothing")
            return None

    async def _classify(self, text: str) -> Prediction | None:
        try:
            return await self._classify_worker.submit(text, timeout=CLASSIFY_TIMEOUT_S)
        except Exception:
            log.exception("classifier failed; answering without a category")
            return None

    # --- logging and alerts --------------------------------------------------------
    async def _record(
        self,
        message: IncomingMessage,
        key: str,
        now: datetime,
        conv: DialogueState,
        reply: Reply,
        prediction: Prediction | None,
        assessment: SafetyAssessment,
        latency_ms: float,
    ) -> None:
        model_id = self.classifier.model_id if prediction is not None else None
        turn = turn_record(message, key, now, conv, reply, prediction, assessment, model_id,
                           latency_ms)
        if reply.crisis and assessment.level >= ALERT_FROM and self.alerts is not None:
            try:  # from ideation up: a passive wish alone gets the reply, not an operator page
                asyncio.get_running_loop().create_task(
                    self.alerts.send(make_user_ref(key), message.platform, assessment.signals,
                                     assessment.risk_level)
                )
            except Exception:
                log.exception("could not schedule the operator alert")
        try:  # durable before the reply: on disk (journal, fsync'd) when this returns
            await self.writer.log(turn)  # type: ignore[union-attr]
        except Exception:  # log() never raises; a reply must go out whatever happens
            log.exception("could not log the turn")

    # --- user controls ------------------------------------------------------------
    def reset(self, platform: str, user_id: str) -> str:
        """Start a new conversation for this user (``/reset``)."""
        self.states.end_soon(self.user_key(platform, user_id))
        return replies.RESET

    async def forget(self, platform: str, user_id: str) -> int:
        """Delete everything stored about this user (``/forget``); returns messages deleted.

        Final: queued turns of theirs are dropped, a late one never lands (tombstone), and
        the text is scrubbed from the files. Raises :class:`core.errors.StorageError` when
        the log cannot be reached: then nothing may be reported as deleted.
        """
        key = self.user_key(platform, user_id)
        if self.handoff is not None:  # any handoff ends, the sealed address goes
            try:
                await self.handoff.forget(key)
            except Exception as exc:
                from core.errors import StorageError

                raise StorageError("the conversation log could not be reached to delete this "
                                   "user's records; try again shortly") from exc
        await self.states.end(key)
        self.states.forget(key)
        self.users.forget(key)
        sessions = self.sessions
        if sessions is None and self.writer is not None:
            sessions = self.writer.sessions  # built with a writer only (tests): the same log
        if sessions is None:
            return 0
        return await forget_user(sessions, key, writer=self.writer)

    # --- lifecycle ----------------------------------------------------------------
    def stop_accepting(self) -> None:
        self._accepting = False

    @property
    def accepting(self) -> bool:
        return self._accepting

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def aclose(self, timeout: float = 8.0) -> None:
        """Finish replies in flight, write the log, send pending alerts."""
        self._accepting = False
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await self._classify_worker.aclose()
        await self._crisis_step.aclose()
        if self.writer is not None:
            await self.writer.aclose(max(0.5, deadline - time.monotonic()))
        if self.alerts is not None:
            await self.alerts.aclose()
