"""Step 2 of the message path: the crisis check as ``Buddy.handle`` runs it.

Kept apart from :mod:`core.pipeline` because where this work runs is the whole point: the
check reads a message once (:meth:`core.safety.SafetyChecker.scan`), Kiwi's part of it
and the classifier's Kiwi input go to one :class:`core.inference.BatchWorker` off the
event loop, the learned model's sentence embedding to another, and a long message's windows are read in a worker thread, so one user's
message never stalls everyone else's reply. Every step falls back to the emergency check:
this never fails open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from core.classify.base import Prediction
from core.inference import BatchWorker, encoder_worker, kiwi_worker
from core.limits import SAFETY_WINDOW_CHARS
from core.safety import MessageScan, RiskLevel, SafetyAssessment, SafetyChecker
from core.safety.emergency import emergency_assess
from core.safety.trajectory import RiskTrajectory

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFETCH_TIMEOUT_S = 2.0


async def _off_loop(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in a worker thread (a long message's check takes up to ~0.1 s a window)
    so other users' replies keep flowing; here when there is no executor (shutting down)."""
    try:
        return await asyncio.to_thread(fn, *args)
    except RuntimeError:
        return fn(*args)


class CrisisStep:
    """The crisis check of one process: the checker, the user's recent risk, the Kiwi batch.

    ``morph_inputs`` is the classifier's own Kiwi input for a text
    (:meth:`core.classify.base.Classifier.morph_inputs`), analysed in the same batch.
    """

    def __init__(self, safety: SafetyChecker, trajectory: RiskTrajectory,
                 morph_inputs: Callable[[str], Iterable[str]]) -> None:
        self.safety = safety
        self.trajectory = trajectory
        self._morph_inputs = morph_inputs
        self._kiwi = kiwi_worker()
        learned = safety.learned
        self._encoder: BatchWorker[list[str], None] | None = (
            encoder_worker(learned.encoder) if learned is not None else None)

    async def scan(self, full: str) -> MessageScan | None:
        """The crisis check's reading of the message (a long one off the loop); None when
        the check itself broke (the emergency check then decides)."""
        try:
            if len(full) <= SAFETY_WINDOW_CHARS:
                return self.safety.scan(full)
            return await _off_loop(self.safety.scan, full)
        except Exception:  # scan promises not to raise; if it does, keep users safe anyway
            log.exception("safety check failed; using the emergency check")
            return None

    async def analyse(self, scan: MessageScan, text: str) -> None:
        """Kiwi's analysis of the crisis check's and the classifier's inputs, and the learned
        model's sentence embedding, batched with other messages' off the loop (the two at
        once). Only where the work runs changes: on any failure or time-out the verdict
        computes what it needs itself."""
        await asyncio.gather(self._morphemes(scan, text), self._embedding(scan))

    async def _morphemes(self, scan: MessageScan, text: str) -> None:
        try:
            keys = [*scan.kiwi_inputs(), *(self._morph_inputs(text) if text else ())]
            keys = [k for k in keys if isinstance(k, str) and k.strip()]
            if keys:
                await self._kiwi.submit(keys, timeout=PREFETCH_TIMEOUT_S)
        except Exception:
            log.debug("batched morpheme analysis skipped", exc_info=True)

    async def _embedding(self, scan: MessageScan) -> None:
        if self._encoder is None:
            return
        try:
            texts = scan.encoder_inputs()
            if texts:
                await self._encoder.submit(texts, timeout=PREFETCH_TIMEOUT_S)
        except Exception:
            log.debug("batched sentence embedding skipped", exc_info=True)

    async def verdict(
        self, key: str, scan: MessageScan | None, full: str,
        prediction: Prediction | None = None,
    ) -> SafetyAssessment:
        """The scan's verdict (a long message's windows read off the loop), raised by the
        user's recent turns. Never fails open."""
        verdict = SafetyAssessment(False, ())
        try:
            if not full:
                pass
            elif scan is None:
                verdict = emergency_assess(full)
            elif len(full) <= SAFETY_WINDOW_CHARS:
                verdict = scan.decide(prediction)
            else:
                verdict = await _off_loop(scan.decide, prediction)
        except Exception:  # decide promises not to raise; if it does, keep users safe
            log.exception("safety check failed; using the emergency check")
            verdict = emergency_assess(full)
        return self._with_history(key, verdict)

    def _with_history(self, key: str, assessment: SafetyAssessment) -> SafetyAssessment:
        """The message's assessment raised by the user's recent turns (never lowered)."""
        try:
            return self.trajectory.adjust(key, assessment)
        except Exception:
            log.exception("conversation risk unavailable; this message alone decides")
            return assessment

    def remember(self, key: str, level: RiskLevel) -> None:
        """This turn's risk level, for the user's next messages (step 5, record)."""
        try:
            self.trajectory.record(key, level)
        except Exception:
            log.exception("could not remember this turn's risk level")

    async def aclose(self) -> None:
        await self._kiwi.aclose()
        if self._encoder is not None:
            await self._encoder.aclose()
