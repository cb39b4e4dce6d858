"""Running a classifier off the event loop, batching messages that arrive together.

Classification is CPU work; awaiting it directly would freeze every adapter. The runner
hands batches to one worker thread: while one batch is computed, new messages queue up and
go together in the next call, so throughput grows with load instead of latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from core.classify.base import Classifier, Prediction

log = logging.getLogger(__name__)


class ClassifierRunner:
    """Async front of a :class:`Classifier` with micro-batching."""

    def __init__(self, classifier: Classifier, max_batch: int = 32, top_k: int = 3) -> None:
        self.classifier = classifier
        self._max_batch = max_batch
        self._top_k = top_k
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buddy-classify")
        self._queue: list[tuple[str, asyncio.Future[Prediction]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def predict(self, text: str) -> Prediction:
        """Classify one normalised text; raises what the backend raised."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Prediction] = loop.create_future()
        self._queue.append((text, fut))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: len(batch)]
            texts = [t for t, _ in batch]
            try:
                preds = await loop.run_in_executor(
                    self._executor, self.classifier.predict, texts, self._top_k
                )
            except Exception as exc:  # handed to each waiting caller, who decides
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), pred in zip(batch, preds, strict=False):
                if not fut.done():
                    fut.set_result(pred)

    async def aclose(self) -> None:
        if self._drainer is not None:
            with contextlib.suppress(Exception):
                await self._drainer
        self._executor.shutdown(wait=False, cancel_futures=True)


class MorphPrefetcher:
    """Analyses the crisis check's Kiwi input for messages that arrive together, in one
    batched call on a worker thread, so that :func:`core.safety.assess` then finds its
    morphemes cached instead of running Kiwi on the event loop (holding the GIL).

    Purely an optimisation: a failure or time-out here changes nothing, since ``assess``
    analyses whatever is not cached itself.
    """

    def __init__(self, max_batch: int = 64) -> None:
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buddy-safety-morph")
        self._queue: list[tuple[str, asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def prefetch(self, text: str) -> None:
        from core.safety.detector import morph_input

        key = morph_input(text)
        if key is None:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queue.append((key, fut))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        await fut

    @staticmethod
    def _analyse(texts: list[str]) -> None:
        from core.morph import analyse_many, morphemes

        analyse_many(texts)  # one batched call where Kiwi can batch
        for text in texts:  # whatever it left (a single text, a single-threaded Kiwi)
            morphemes(text)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: len(batch)]
            try:
                await loop.run_in_executor(self._executor, self._analyse, [t for t, _ in batch])
            except Exception:  # assess analyses uncached texts itself: nothing is lost
                log.debug("batched morpheme analysis failed", exc_info=True)
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    async def aclose(self) -> None:
        if self._drainer is not None:
            with contextlib.suppress(Exception):
                await self._drainer
        self._executor.shutdown(wait=False, cancel_futures=True)

