"""Running a classifier off the event loop, batching messages that arrive together.

Classification is CPU work; awaiting it directly would freeze every adapter. The runner
hands batches to one worker thread: while one batch is computed, new messages queue up and
go together in the next call, so throughput grows with load instead of latency.

The exception is a backend that says a batch is only a little numpy work
(``predicts_inline``: the linear model once its Kiwi input was analysed by the
:class:`MorphPrefetcher`). Such a batch runs on the loop itself: on a worker thread it
would hold the same GIL and mostly wait for the loop to hand it over (measured under the
serve load: 15 ms per batch, 4 ms of it computing). Kiwi itself never runs on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from core.classify.base import Classifier, Prediction

T = TypeVar("T")

log = logging.getLogger(__name__)


def _expire(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError("no result in time"))


async def _await(fut: asyncio.Future[T], timeout: float | None) -> T:
    """``await fut`` with a deadline that fails the future itself (the batch then skips it).

    One timer per message instead of :func:`asyncio.wait_for`, which wraps each call in a
    Task of its own: measured, the two timed waits of every message cost half as much.
    """
    if timeout is None:
        return await fut
    timer = asyncio.get_running_loop().call_later(timeout, _expire, fut)
    try:
        return await fut
    finally:
        timer.cancel()


class ClassifierRunner:
    """Async front of a :class:`Classifier` with micro-batching."""

    def __init__(self, classifier: Classifier, max_batch: int = 32, top_k: int = 3) -> None:
        self.classifier = classifier
        self._max_batch = max_batch
        self._top_k = top_k
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buddy-classify")
        self._queue: list[tuple[str, asyncio.Future[Prediction]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def predict(self, text: str, timeout: float | None = None) -> Prediction:
        """Classify one normalised text; raises what the backend raised, or
        :class:`TimeoutError` after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Prediction] = loop.create_future()
        self._queue.append((text, fut))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await _await(fut, timeout)

    def _inline(self, texts: list[str]) -> bool:
        """Whether the backend says this batch is cheap enough to compute on the loop."""
        check = getattr(self.classifier, "predicts_inline", None)
        try:
            return bool(check(texts)) if callable(check) else False
        except Exception:
            return False

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: len(batch)]
            texts = [t for t, _ in batch]
            try:
                if self._inline(texts):
                    # Pure numpy on cached morphemes (the linear model after the batched
                    # Kiwi prefetch): a worker thread would only wait for the GIL that the
                    # loop holds (measured: 15 ms per batch of which 4 ms computing).
                    preds = self.classifier.predict(texts, self._top_k)
                else:
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
            await asyncio.sleep(0)  # let the loop run (and new messages queue) between batches

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

    def __init__(self, max_batch: int = 128) -> None:
        self._max_batch = max_batch  # texts per Kiwi call (a message brings one or two)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buddy-safety-morph")
        self._queue: list[tuple[list[str], asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def prefetch(
        self, text: str, also: Sequence[str] = (), timeout: float | None = None
    ) -> None:
        """Analyse the crisis check's Kiwi inputs for ``text`` (none when its pre-check says
        Kiwi cannot matter; two when a guard sets a phrase aside and the rest is checked
        again) and the texts ``also`` (the classifier's own Kiwi inputs), all in the same
        batched call.

        One batch for both keeps Kiwi's threads busy with one larger call instead of two
        smaller ones on two threads, and leaves the classifier only numpy work. (Batches of
        up to 128 texts: measured under the serve load, 32 or 64 gave fewer messages a
        second, since each call has its overhead and Kiwi splits a call over its threads.)
        """
        from core.safety.detector import morph_inputs

        keys = [k for k in (*morph_inputs(text), *also) if k and k.strip()]
        if not keys:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queue.append((keys, fut))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        await _await(fut, timeout)

    @staticmethod
    def _analyse(texts: list[str]) -> None:
        from core.morph import analyse_many, morphemes

        analyse_many(texts)  # one batched call where Kiwi can batch
        for text in texts:  # whatever it left (a single text, a single-threaded Kiwi)
            morphemes(text)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            n, size = 0, 0
            while n < len(self._queue) and (not n or size + len(self._queue[n][0]) <= self._max_batch):
                size += len(self._queue[n][0])
                n += 1
            batch = self._queue[:n]
            del self._queue[:n]
            try:
                await loop.run_in_executor(
                    self._executor, self._analyse, [t for keys, _ in batch for t in keys]
                )
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

