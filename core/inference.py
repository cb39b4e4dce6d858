"""The core's one worker interface: CPU work off the event loop, in batches.

Kiwi's analysis and a classifier's prediction are CPU work; awaited on the loop they would
freeze every adapter. A :class:`BatchWorker` hands what arrives together to one worker
thread in one call: while a batch is computed, new items queue up and go in the next, so
throughput grows with load instead of latency (one Kiwi call over many texts spreads over
Kiwi's own threads and releases the GIL).

The pipeline keeps three: one for Kiwi (the crisis check's and the classifier's inputs of a
message, analysed together), one for the learned crisis model's sentence encoder, and one
for the classifier, which may say a batch is cheap
enough to run on the loop itself (:meth:`core.classify.base.Classifier.predicts_inline`:
the linear model once its Kiwi input is analysed; on a thread it would mostly wait for the
GIL the loop holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Generic, TypeVar

from core.classify.base import Classifier, Prediction

if TYPE_CHECKING:
    from core.safety.encoder import Encoder

In = TypeVar("In")
Out = TypeVar("Out")

log = logging.getLogger(__name__)


class BatchWorker(Generic[In, Out]):
    """Items submitted together go to ``work`` in one call on one worker thread.

    ``work`` returns one result per item; ``weight`` says how much of ``max_batch`` an item
    takes (a message brings one or two Kiwi texts); ``inline`` may say a batch runs on the
    loop. A failure of ``work`` is raised to every caller of that batch, who decides.
    """

    def __init__(
        self,
        work: Callable[[list[In]], Sequence[Out]],
        *,
        name: str,
        max_batch: int,
        weight: Callable[[In], int] = lambda _: 1,
        inline: Callable[[list[In]], bool] = lambda _: False,
    ) -> None:
        self._work = work
        self._max_batch = max_batch
        self._weight = weight
        self._inline = inline
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._queue: list[tuple[In, asyncio.Future[Out]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: In, timeout: float | None = None) -> Out:
        """``item``'s result; raises what ``work`` raised, or :class:`TimeoutError`."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Out] = loop.create_future()
        self._queue.append((item, fut))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await asyncio.wait_for(fut, timeout)

    def _next_batch(self) -> list[tuple[In, asyncio.Future[Out]]]:
        n, size = 0, 0
        while n < len(self._queue) and (
            not n or size + self._weight(self._queue[n][0]) <= self._max_batch
        ):
            size += self._weight(self._queue[n][0])
            n += 1
        batch = self._queue[:n]
        del self._queue[:n]
        return batch

    def _inline_ok(self, items: list[In]) -> bool:
        try:
            return bool(self._inline(items))
        except Exception:
            return False

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch = self._next_batch()
            items = [item for item, _ in batch]
            try:
                if self._inline_ok(items):
                    results = self._work(items)
                else:
                    results = await loop.run_in_executor(self._executor, self._work, items)
            except Exception as exc:  # handed to each waiting caller, who decides
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), result in zip(batch, results, strict=False):
                if not fut.done():
                    fut.set_result(result)
            await asyncio.sleep(0)  # let the loop run (and new items queue) between batches

    async def aclose(self) -> None:
        if self._drainer is not None:
            with contextlib.suppress(Exception):
                await self._drainer
        self._executor.shutdown(wait=False, cancel_futures=True)


def classifier_worker(
    classifier: Classifier, top_k: int = 3, max_batch: int = 32
) -> BatchWorker[str, Prediction]:
    """Predictions for normalised texts, ``max_batch`` at most per call."""
    return BatchWorker(
        lambda texts: classifier.predict(texts, top_k),
        name="buddy-classify", max_batch=max_batch, inline=classifier.predicts_inline,
    )


def _analyse(batch: list[list[str]]) -> list[None]:
    """Kiwi's morphemes of every text in ``batch``, into :mod:`core.morph`'s cache."""
    from core.morph import analyse_many, morphemes

    texts = [t for keys in batch for t in keys]
    analyse_many(texts)  # one batched call where Kiwi can batch
    for text in texts:  # whatever it left (a single text, a single-threaded Kiwi)
        morphemes(text)
    return [None] * len(batch)


def kiwi_worker() -> BatchWorker[list[str], None]:
    """Kiwi analysis of each message's texts, up to 128 texts per call (measured under the
    serve load: 32 or 64 gave fewer messages a second; each call has its overhead)."""
    return BatchWorker(_analyse, name="buddy-kiwi", max_batch=128, weight=len)


def encoder_worker(encoder: Encoder) -> BatchWorker[list[str], None]:
    """The learned crisis model's sentence embeddings of each message's texts, batched, into
    the encoder's memory of recent texts. On the loop, one message's ~13 ms held every other
    user's reply; the engine is C code that releases the GIL, and a batch costs less per
    text than single calls."""

    def embed(batch: list[list[str]]) -> list[None]:
        texts = list(dict.fromkeys(t for keys in batch for t in keys))
        if texts:
            encoder.embed(texts)
        return [None] * len(batch)

    return BatchWorker(embed, name="buddy-encoder", max_batch=64, weight=len)
