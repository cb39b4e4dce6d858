"""The one path every message takes: safety, classification, answer, log.

``Buddy.handle`` is the only entry point adapters call. Its order is the product's
promise: the crisis check runs first and on its own, so a failing classifier, model or
database can never stop the crisis reply (it never fails open).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
import unicodedata
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import replies
from core.answers import AnswerBook
from core.classify.base import Classifier, Prediction
from core.dialogue import respond
from core.dialogue.state import DialogueState, current
from core.inference import ClassifierRunner, MorphPrefetcher
from core.limits import MAX_TEXT_CHARS, MODEL_MAX_CHARS, SAFETY_WINDOW_CHARS
from core.messages import IncomingMessage, Reply, ReplyKind
from core.pseudonym import user_key as make_user_key
from core.pseudonym import user_ref as make_user_ref
from core.ratelimit import FloodLimiter
from core.safety import (
    ALERT_FROM,
    OperatorAlerts,
    RiskLevel,
    SafetyAssessment,
    SafetyMode,
    assess,
    with_distress_line,
)
from core.safety.detector import classifier_signal
from core.safety.trajectory import RiskTrajectory
from core.storage.dialogue_state import DialogueStateStore
from core.storage.forget import forget_user
from core.storage.records import MessageRow, TurnRecord
from core.storage.writer import LogWriter
from core.text import encodable_text, has_words, normalize

log = logging.getLogger(__name__)

CLASSIFY_TIMEOUT_S = 10.0
PREFETCH_TIMEOUT_S = 2.0
# The last line of defence if the safety module itself breaks: never fail open.
_EMERGENCY_STEMS = ("죽고싶", "자살", "죽을래", "자해", "목숨", "뛰어내", "killmyself", "suicide")


def _emergency_assess(text: str) -> SafetyAssessment:
    squashed = "".join(text.split()).lower()
    hits = tuple(f"emergency:{s}" for s in _EMERGENCY_STEMS if s in squashed)
    level = RiskLevel.IDEATION if hits else RiskLevel.NONE
    return SafetyAssessment(crisis=bool(hits), signals=hits, level=level)


def _safe_assess(text: str, prediction: Prediction | None = None) -> SafetyAssessment:
    try:
        return assess(text, prediction)
    except Exception:  # assess promises not to raise; if it does, keep users safe anyway
        log.exception("safety check failed; using the emergency check")
        return _emergency_assess(text)


async def _assess(text: str, prediction: Prediction | None = None) -> SafetyAssessment:
    """The crisis check; a long message (read window by window, up to ~0.1 s a window when
    Kiwi is needed) is checked in a worker thread so other users' replies keep flowing."""
    if len(text) <= SAFETY_WINDOW_CHARS:
        return _safe_assess(text, prediction)
    try:
        return await asyncio.to_thread(_safe_assess, text, prediction)
    except RuntimeError:  # no executor (shutting down): check here, never skip
        return _safe_assess(text, prediction)


class _MessageIds:
    """Random (version 4) UUIDs for logged messages, drawn from ``os.urandom`` in blocks.

    One ``uuid4()`` per row is one system call that releases the GIL; under load the event
    loop then waits for the classifier's thread to hand the GIL back (measured: ~60 µs per
    id, more than the rest of the bookkeeping of a message). One call per block avoids that.
    """

    _BLOCK = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._at = 0

    def new(self) -> str:
        with self._lock:
            if self._at >= len(self._pool):
                self._pool, self._at = os.urandom(16 * self._BLOCK), 0
            raw = self._pool[self._at : self._at + 16]
            self._at += 16
        return str(uuid.UUID(bytes=raw, version=4))


    def reset(self) -> None:
        """Drop the unused block (a forked child must not reuse its parent's ids)."""
        self._lock = threading.Lock()
        self._pool, self._at = b"", 0


_message_ids = _MessageIds()
# Replies a distress line may follow: answers in the user's own words, not fixed notices.
_WARM_KINDS = frozenset({ReplyKind.ANSWER, ReplyKind.FALLBACK, ReplyKind.FOLLOW_UP})
os.register_at_fork(after_in_child=_message_ids.reset)


def _loggable(text: str) -> str:
    """What the log keeps: the user's full text, NFC, without NUL (PostgreSQL refuses it)."""
    return unicodedata.normalize("NFC", text).replace("\x00", "")


class Buddy:
    """The counseling core, handed its parts by :func:`core.app.open_buddy` or by tests."""

    def __init__(
        self,
        *,
        classifier: Classifier,
        answers: AnswerBook,
        pseudonym_secret: bytes,
        writer: LogWriter | None = None,
        safety_mode: SafetyMode | None = None,
        alerts: OperatorAlerts | None = None,
        trajectory: RiskTrajectory | None = None,
        confidence_threshold: float = 0.30,
        conversation_idle: timedelta = timedelta(minutes=30),
        flood_limit_per_minute: int = 20,
        states: DialogueStateStore | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.classifier = classifier
        self.answers = answers
        self.writer = writer
        self.sessions = sessions  # the log's session factory: forget opens its own session
        self.safety_mode = safety_mode or SafetyMode()
        self.trajectory = trajectory or RiskTrajectory()
        self.alerts = alerts
        self.confidence_threshold = confidence_threshold
        self._secret = pseudonym_secret
        self._runner = ClassifierRunner(classifier)
        self._morph = MorphPrefetcher()
        # each user's open conversation: shared through the database when given one
        self.states = states or DialogueStateStore()
        self._idle = conversation_idle
        self._flood = FloodLimiter(flood_limit_per_minute)
        self._rng = random.Random()
        self._in_flight = 0
        self._accepting = True

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
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        key = self.user_key(message.platform, message.user_id)
        # Safety reads every character an adapter accepts; only the model's input is capped.
        # (Lone surrogates would break Kiwi, the JSON journal and the database: replaced.)
        raw = encodable_text(message.text)[0] if message.kind == "text" else ""
        full = normalize(raw, MAX_TEXT_CHARS)
        text = full[:MODEL_MAX_CHARS]
        # the conversation is read while the message is checked (a database round trip)
        loading = asyncio.ensure_future(self._load_state(key))
        if full:
            await self._prefetch_morphemes(full, text)
        assessment = await _assess(full) if full else SafetyAssessment(False, ())
        assessment = self._with_history(key, assessment)
        prediction: Prediction | None = None
        state = current(await loading, now, self._idle)

        if assessment.crisis:
            reply, state = self._crisis(state, now, assessment)
        elif message.kind != "text":
            reply = self._fixed(replies.UNSUPPORTED.get(message.kind, replies.UNSUPPORTED_DEFAULT),
                                ReplyKind.UNSUPPORTED)
        elif not text:
            reply = self._fixed(replies.EMPTY, ReplyKind.EMPTY)
        elif not has_words(text):
            reply, state = self._emoji(state, now, text)
        elif not self._flood.allow(key):
            reply = self._fixed(replies.TOO_FAST, ReplyKind.FALLBACK)
        else:
            prediction = await self._classify(text)
            if prediction is not None and classifier_signal(prediction) is not None:
                # only a likely crisis category can change the decision: re-check with it
                assessment = self._with_history(key, await _assess(full, prediction))
            reply, state = self._choose(state, now, text, prediction, assessment)

        if full:
            self._remember(key, assessment)
        state = replace(state, last_at=now, turns=state.turns + 1)
        reply = self._with_identity(reply, key, state, assessment)
        # the farewell is logged in the conversation it ends, then ends it
        keep = self.states.end(key) if reply.ends_conversation else self.states.save(key, state)
        if log_turn and self.writer is not None:
            await asyncio.gather(keep, self._record(
                message, key, now, state, reply, prediction, assessment,
                (time.perf_counter() - started) * 1000))
        else:
            await keep
        return reply

    async def _load_state(self, key: str) -> DialogueState | None:
        """The user's open conversation (the store never raises; this guards it anyway)."""
        try:
            return await self.states.load(key)
        except Exception:
            log.exception("conversation state unavailable; starting from nothing")
            return None

    def _with_history(self, key: str, assessment: SafetyAssessment) -> SafetyAssessment:
        """The message's assessment raised by the user's recent turns (never lowered)."""
        try:
            return self.trajectory.adjust(key, assessment)
        except Exception:
            log.exception("conversation risk unavailable; this message alone decides")
            return assessment

    def _remember(self, key: str, assessment: SafetyAssessment) -> None:
        try:
            self.trajectory.record(key, assessment.level)
        except Exception:
            log.exception("could not remember this turn's risk level")

    async def _prefetch_morphemes(self, full: str, text: str) -> None:
        """Batch the Kiwi work of the crisis check (on ``full``) and of the classifier (on the
        model's ``text``) off the loop, in one call; on any failure each does its own."""
        try:
            also = self._classifier_morph_inputs(text) if text else []
            await self._morph.prefetch(full, also, timeout=PREFETCH_TIMEOUT_S)
        except Exception:
            log.debug("morpheme prefetch skipped", exc_info=True)

    def _classifier_morph_inputs(self, text: str) -> list[str]:
        """The classifier's Kiwi inputs for ``text``, when it says (an optional method that
        only speeds things up: any failure just leaves the classifier to analyse them)."""
        inputs = getattr(self.classifier, "morph_inputs", None)
        if not callable(inputs):
            return []
        try:
            return [t for t in inputs(text) if isinstance(t, str)]
        except Exception:
            log.debug("classifier morph_inputs failed", exc_info=True)
            return []

    async def _classify(self, text: str) -> Prediction | None:
        try:
            return await self._runner.predict(text, timeout=CLASSIFY_TIMEOUT_S)
        except Exception:
            log.exception("classifier failed; answering without a category")
            return None

    def _choose(
        self, state: DialogueState, now: datetime, text: str, prediction: Prediction | None,
        assessment: SafetyAssessment,
    ) -> tuple[Reply, DialogueState]:
        if assessment.crisis:
            return self._crisis(state, now, assessment, prediction)
        reply, state = self._answer(state, now, text, prediction, assessment)
        if assessment.level is RiskLevel.DISTRESS and reply.kind in _WARM_KINDS:
            # pain without a wish to die: the warm answer, with the numbers in view
            reply = replace(reply, text=with_distress_line(reply.text))
        return reply, state

    def _answer(
        self, state: DialogueState, now: datetime, text: str, prediction: Prediction | None,
        assessment: SafetyAssessment,
    ) -> tuple[Reply, DialogueState]:
        if state.safety_active(now, self.safety_mode.turns):
            reply, state = respond.safety_followup(state, text)
            return replace(reply, category=prediction.category if prediction else None,
                           confidence=prediction.confidence if prediction else None,
                           signals=assessment.signals), state
        reply, state, _ = respond.answer(state, text, prediction, answers=self.answers,
                                         threshold=self.confidence_threshold,
                                         start=self._rng.randrange(1 << 16))
        return reply, state

    def _emoji(self, state: DialogueState, now: datetime, text: str
               ) -> tuple[Reply, DialogueState]:
        """Only emoji: gentle in safety mode, an answer inside a conversation, else a
        request for words."""
        if state.safety_active(now, self.safety_mode.turns):
            return respond.safety_followup(state, text)
        return (respond.emoji_only(state, text)
                or (self._fixed(replies.EMOJI_ONLY, ReplyKind.EMPTY), state))

    def _crisis(
        self, state: DialogueState, now: datetime, assessment: SafetyAssessment,
        prediction: Prediction | None = None,
    ) -> tuple[Reply, DialogueState]:
        said, state = respond.crisis(state, assessment.level, now,
                                     safety_minutes=self.safety_mode.seconds / 60)
        return Reply(said, ReplyKind.CRISIS, *self._cat(prediction), crisis=True,
                     signals=assessment.signals), state

    @staticmethod
    def _cat(prediction: Prediction | None) -> tuple[str | None, float | None]:
        if prediction is None:
            return (None, None)
        return (prediction.category, prediction.confidence)

    @staticmethod
    def _fixed(text: str, kind: ReplyKind) -> Reply:
        return Reply(text, kind)

    @staticmethod
    def _with_identity(
        reply: Reply, key: str, state: DialogueState, assessment: SafetyAssessment
    ) -> Reply:
        return replace(reply, user_ref=make_user_ref(key), conversation_id=state.conversation_id,
                       risk_level=assessment.risk_level)

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
        user_text = _loggable(message.text) if message.kind == "text" else f"[{message.kind}]"
        model_id = self.classifier.model_id if prediction is not None else None
        turn = TurnRecord(
            user_key=key,
            platform=message.platform,
            conversation_id=conv.conversation_id,
            conversation_started_at=conv.started_at,
            messages=(
                MessageRow(
                    id=_message_ids.new(), role="user", text=user_text, created_at=now,
                    kind=message.kind, category=prediction.category if prediction else None,
                    confidence=prediction.confidence if prediction else None,
                    crisis=assessment.crisis, signals=assessment.signals, model_id=model_id,
                    risk_level=int(assessment.level),
                ),
                MessageRow(
                    id=_message_ids.new(), role="bot", text=reply.text,
                    created_at=now + timedelta(microseconds=1), kind=reply.kind.value,
                    category=reply.category, confidence=reply.confidence, crisis=reply.crisis,
                    model_id=model_id, latency_ms=round(latency_ms, 3),
                ),
            ),
        )
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
        await self.states.end(key)
        self.states.forget(key)
        self.answers.forget(key)
        self.trajectory.forget(key)
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
        await self._runner.aclose()
        await self._morph.aclose()
        if self.writer is not None:
            await self.writer.aclose(max(0.5, deadline - time.monotonic()))
        if self.alerts is not None:
            await self.alerts.aclose()
