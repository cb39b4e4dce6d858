"""The classifier runner and the morpheme prefetcher: same answers, wherever they run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from core import morph
from core.classify.base import Prediction
from core.inference import ClassifierRunner, MorphPrefetcher
from core.safety import assess
from core.safety.detector import morph_inputs


class ThreadNoting:
    """A classifier that remembers which thread ran each call."""

    model_id = "noting"
    labels: Sequence[str] = ("일반대화",)

    def __init__(self, inline: object = None) -> None:
        self.threads: list[int] = []
        self._inline = inline

    def predicts_inline(self, texts: Sequence[str]) -> bool:
        if isinstance(self._inline, Exception):
            raise self._inline
        return bool(self._inline)

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        self.threads.append(threading.get_ident())
        return [Prediction(f"cat:{t}", 0.5, ((f"cat:{t}", 0.5),)) for t in texts]


@pytest.mark.parametrize(("inline", "on_loop"), [
    (True, True), (False, False), (None, False), (RuntimeError("bad check"), False),
])
async def test_runner_answers_each_text_on_the_loop_only_when_the_backend_says_so(
    inline: object, on_loop: bool
) -> None:
    clf = ThreadNoting(inline)
    runner = ClassifierRunner(clf)
    preds = await asyncio.gather(*(runner.predict(f"t{i}") for i in range(50)))
    await runner.aclose()
    assert [p.category for p in preds] == [f"cat:t{i}" for i in range(50)]
    loop_thread = threading.get_ident()
    assert all((t == loop_thread) == on_loop for t in clf.threads)


async def test_runner_times_out_a_hung_backend_without_losing_later_answers() -> None:
    release = threading.Event()

    class Hanging(ThreadNoting):
        def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
            if "hang" in texts:
                release.wait(10)
            return super().predict(texts, top_k)

    runner = ClassifierRunner(Hanging())
    with pytest.raises(TimeoutError):
        await runner.predict("hang", timeout=0.2)
    later = asyncio.ensure_future(runner.predict("after"))
    release.set()
    assert (await asyncio.wait_for(later, 10)).category == "cat:after"
    await runner.aclose()


async def test_prefetch_analyses_crisis_and_classifier_texts_in_one_kiwi_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []
    real = MorphPrefetcher._analyse

    def recording(texts: list[str]) -> None:
        calls.append(list(texts))
        real(texts)

    monkeypatch.setattr(MorphPrefetcher, "_analyse", staticmethod(recording))
    prefetcher = MorphPrefetcher()
    messages = ["요즘 잠이 안 와서 힘들어요", "다 포기하고 싶어", "Just English here"]
    await asyncio.gather(*(prefetcher.prefetch(m, [m.lower()]) for m in messages))
    await prefetcher.aclose()
    wanted = {k for m in messages for k in (*morph_inputs(m), m.lower()) if k}
    assert "다포기하고싶어" in wanted  # the crisis check's own Kiwi text went along
    assert set().union(*calls) == wanted
    assert len(calls) <= 2  # messages that arrive together share a batch
    assert all(morph.is_cached(k) for k in wanted)


async def test_prefetch_leaves_the_crisis_check_no_kiwi_work_even_after_a_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A guard sets someone else's phrase aside and checks the rest of the message again:
    that rest is prefetched too, so ``assess`` (on the event loop) never runs Kiwi."""
    text = "친구가 죽고 싶대 근데 사실 나도 죽고 싶어"
    assert len(morph_inputs(text)) == 2  # the whole message and the rest after the guard
    morph.cache_clear()
    prefetcher = MorphPrefetcher()
    await prefetcher.prefetch(text)
    await prefetcher.aclose()

    class NoAnalysis:
        def tokenize(self, *_: object) -> object:
            raise AssertionError("assess ran Kiwi after the prefetch")

    monkeypatch.setattr(morph, "_kiwi", NoAnalysis())  # loaded, but refuses to analyse
    verdict = assess(text)
    assert verdict.crisis and "guard:third-person" in verdict.signals
    assert "degraded:morph" not in verdict.signals
