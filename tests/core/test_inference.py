"""The batch worker: every caller gets its own answer, whether a batch ran on the loop or on
the worker, and a hung or broken batch fails only its own callers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from core import morph
from core.classify.base import ClassifierBase, Prediction
from core.inference import BatchWorker, classifier_worker, kiwi_worker
from core.safety import SafetyChecker


class Echo(ClassifierBase):
    """A classifier that names each text's category after the text."""

    model_id = "echo"
    labels: Sequence[str] = ("일반대화",)

    def __init__(self, inline: object = None) -> None:
        self._inline = inline

    def predicts_inline(self, texts: Sequence[str]) -> bool:
        if isinstance(self._inline, Exception):
            raise self._inline
        return bool(self._inline)

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        return [Prediction(f"cat:{t}", 0.5, ((f"cat:{t}", 0.5),)) for t in texts]


@pytest.mark.parametrize("inline", [True, False, None, RuntimeError("bad check")])
async def test_each_text_gets_its_own_prediction_wherever_the_batch_runs(inline: object) -> None:
    worker = classifier_worker(Echo(inline))
    preds = await asyncio.gather(*(worker.submit(f"t{i}") for i in range(50)))
    await worker.aclose()
    assert [p.category for p in preds] == [f"cat:t{i}" for i in range(50)]


async def test_a_hung_batch_times_out_without_losing_later_answers() -> None:
    release = threading.Event()

    def work(texts: list[str]) -> list[str]:
        if "hang" in texts:
            release.wait(10)
        return [t.upper() for t in texts]

    worker: BatchWorker[str, str] = BatchWorker(work, name="test", max_batch=8)
    with pytest.raises(TimeoutError):
        await worker.submit("hang", timeout=0.2)
    later = asyncio.ensure_future(worker.submit("after"))
    release.set()
    assert await asyncio.wait_for(later, 10) == "AFTER"
    await worker.aclose()


async def test_a_failing_batch_fails_its_callers_and_the_next_batch_still_runs() -> None:
    def work(texts: list[str]) -> list[str]:
        if "bad" in texts:
            raise RuntimeError("worker crashed")
        return list(texts)

    worker: BatchWorker[str, str] = BatchWorker(work, name="test", max_batch=1)
    results = await asyncio.gather(worker.submit("bad"), worker.submit("good"),
                                   return_exceptions=True)
    await worker.aclose()
    assert isinstance(results[0], RuntimeError) and results[1] == "good"


@pytest.mark.parametrize("text", [
    "친구가 죽고 싶대 근데 사실 나도 죽고 싶어",  # a guard sets a phrase aside, reads the rest
    "친구가 죽고 싶대",
    "엄만 나 없어도 괜찮을 거야 미안해",
    "요즘 잠이 안 와서 힘들어요",
])
async def test_the_kiwi_worker_does_not_change_the_crisis_verdict(text: str) -> None:
    """Analysing a message's Kiwi inputs in the worker first changes only where the work
    runs: the verdict is the one the check reaches on its own, never degraded."""
    morph.cache_clear()
    alone = SafetyChecker().assess(text)
    morph.cache_clear()
    scan = SafetyChecker().scan(text)
    worker = kiwi_worker()
    await worker.submit(scan.kiwi_inputs())
    await worker.aclose()
    verdict = scan.decide()
    assert (verdict.crisis, verdict.level, verdict.signals) == (
        alone.crisis, alone.level, alone.signals)
    assert "degraded:morph" not in verdict.signals
