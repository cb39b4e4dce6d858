"""The learned crisis model: reads meaning, stays quiet on everyday wishes, and never makes
the check weaker when it breaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.safety import assess, encoder, learned
from core.safety.learned import LearnedCrisisSignal
from core.safety.normalize import views
from training.crisis import corpus
from training.crisis.fit import fit, save

# The absurd alarms the n-gram SVM raised on real everyday chat (issue #13): each got the
# full crisis card. Everyday wishes and small complaints must never be a crisis.
EVERYDAY = [
    "그냥 그래", "그냥 쉬고 싶다", "뷔페 가고 싶어", "꽃 사고 싶어", "오래 살고 싶어", "목 마르다",
    "주말엔 푹 쉬고 싶다 아무것도 안 하고", "웃겨 죽는 줄 알았네 진짜", "마라탕 먹고 싶다 ㅠㅠ",
    "게임에서 캐릭터 죽어서 다시 시작했어",
]


@pytest.fixture(scope="module")
def shipped() -> Iterator[LearnedCrisisSignal]:
    """The learned signal as ``open_buddy`` builds it, loaded from the shipped files."""
    signal = LearnedCrisisSignal()
    assert signal.prepare() is not None, "the shipped crisis model (core/safety/models) loads"
    yield signal


@pytest.fixture
def model_state(shipped: LearnedCrisisSignal) -> learned.CrisisModel:
    model = shipped.prepare()
    assert model is not None
    return model


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_wishes_never_get_the_crisis_reply(
    text: str, shipped: LearnedCrisisSignal
) -> None:
    verdict = assess(text, learned=shipped)
    assert not verdict.crisis, verdict.signals


def test_the_model_reads_meaning_beyond_the_rules(shipped: LearnedCrisisSignal) -> None:
    """Messages written for this test (in no training file): the model's judgement on each
    comes from the embedding stage, and most of them are crisis to it."""
    texts = [
        "이번 생은 여기까지인 듯 다들 잘 지내",
        "내일 눈 안 뜨게 해주세요 제발",
        "살아있는 게 벌 받는 느낌이라 그만하고 싶어",
    ]
    judged = [shipped.judge(views(t)) for t in texts]
    assert all(j is not None and j.e5 is not None for j in judged), judged
    assert sum(j.crisis for j in judged if j) >= 2, judged


def test_switched_off_it_changes_no_verdict() -> None:
    from core.app import build_safety
    from core.config import load_settings

    assert build_safety(load_settings(SAFETY_LEARNED=False)).learned is None
    verdict = assess("죽고 싶어", learned=None)
    assert verdict.crisis and learned.SIGNAL not in verdict.signals


def test_a_missing_model_leaves_the_rules_in_charge(tmp_path: Path) -> None:
    missing = LearnedCrisisSignal(tmp_path / "nowhere")
    assert missing.signals(views("이번 생은 여기까지인 듯")) == ([], None)
    rules_only = assess("죽고 싶어", learned=missing)
    assert rules_only.crisis and learned.SIGNAL not in rules_only.signals


def test_unreadable_model_files_say_how_to_rebuild_them(tmp_path: Path) -> None:
    (tmp_path / "crisis_model.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="buddy safety train-model"):
        learned.load(tmp_path)


def test_a_model_that_raises_falls_back_to_the_rules(
    shipped: LearnedCrisisSignal, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ("죽고 싶어", "이번 생은 여기까지인 듯", "뷔페 가고 싶어")
    expected = [assess(t).crisis for t in texts]

    def broken(self: learned.CrisisModel, v: object) -> float:
        raise RuntimeError("corrupt weights")

    monkeypatch.setattr(learned.CrisisModel, "ngram_score", broken)
    assert [assess(t, learned=shipped).crisis for t in texts] == expected


def test_without_the_encoder_the_ngram_stage_decides_alone(
    model_state: learned.CrisisModel,
) -> None:
    alone = LearnedCrisisSignal(model=model_state, encoder=encoder.Encoder(available=False))
    j = alone.judge(views("요즘 진짜 다 놓아버리고 싶다 사는 게 지겨워"))
    assert j is not None and j.e5 is None  # no embedding, and no exception
    assert assess("죽고 싶어", learned=alone).crisis


def test_sealed_sets_are_never_trained_on() -> None:
    examples = corpus.load()
    assert not any("sealed" in e.source for e in examples)
    trained = {e.text for e in examples}
    sealed = corpus.DATA / "crisis" / "sealed"
    for path in sorted(sealed.glob("*.tsv")):
        texts = {t for _, _, t in corpus.read_tsv(path)}
        # a few very common short phrases may be written independently in both
        assert len(texts & trained) <= max(5, len(texts) // 100), path.name


def test_the_shipped_model_was_trained_on_the_current_corpus() -> None:
    """Adding or changing corpus files without `buddy safety train-model` would ship a model
    that never saw them."""
    meta = learned.load().meta
    assert meta["trained_on"]["examples"] == len(corpus.load())


@pytest.mark.slow
def test_training_writes_a_model_that_loads_and_judges(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "crisis" / "corpus").mkdir(parents=True)
    (data / "dataset").mkdir()
    rows = [("ideation", "plain", f"죽고 싶다 {i}번째 생각") for i in range(20)]
    rows += [("method", "plain", f"약 {i}알 모아놨어") for i in range(20)]
    rows += [("none", "plain", f"{food} 먹고 싶다") for food in
             ("피자", "라면", "치킨", "떡볶이", "초밥", "파스타", "국밥", "냉면", "김밥", "짜장면",
              "마라탕", "삼겹살", "족발", "쌀국수", "우동", "카레", "햄버거", "샐러드", "만두", "순대")]
    rows += [("distress", "plain", f"시험 {i}개 남아서 너무 힘들어") for i in range(20)]
    (data / "crisis" / "corpus" / "t.tsv").write_text(
        "# test corpus\n" + "\n".join("\t".join(r) for r in rows) + "\n", "utf-8"
    )
    fitted = fit(corpus.load(data), tmp_path / "cache")
    save(fitted, tmp_path / "model")
    model = learned.load(tmp_path / "model")
    assert model.meta["trained_on"]["examples"] == 80
    assert model.level_w.shape == (7, encoder.DIM) and np.isfinite(model.gate)
    e5 = encoder.Encoder()
    assert (model.judge(views("죽고 싶다 진짜로"), e5).ngram
            > model.judge(views("국밥 먹고 싶다"), e5).ngram)
    assert oct((tmp_path / "model" / "crisis_model.json").stat().st_mode)[-3:] in ("644", "600")


async def test_messages_arriving_together_get_the_verdict_the_check_gives_alone(
    shipped: LearnedCrisisSignal,
) -> None:
    """Through the core, many users at once: the learned model's embeddings are computed in
    batches off the event loop, and every reply is still the one the check alone decides."""
    import asyncio

    from core.answers import AnswerBook
    from core.classify.base import FixedClassifier
    from core.messages import IncomingMessage
    from core.pipeline import Buddy
    from core.safety import SafetyChecker

    texts = [
        "이번 생은 여기까지인 듯 다들 잘 지내", "내일 눈 안 뜨게 해주세요 제발",
        "살아있는 게 벌 받는 느낌이라 그만하고 싶어", *EVERYDAY,
    ]
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화", default_confidence=0.1),
                  answers=AnswerBook({"일반대화": ["그랬구나."]}, seed=1),
                  pseudonym_secret=b"test-secret", safety=SafetyChecker(shipped))
    try:
        replies = await asyncio.gather(*(
            buddy.handle(IncomingMessage("web", f"user-{i}", t)) for i, t in enumerate(texts)))
    finally:
        await buddy.aclose()
    expected = [assess(t, learned=shipped).crisis for t in texts]
    assert [r.crisis for r in replies] == expected
    assert sum(expected) >= 2  # the model's own crisis verdicts are among them
