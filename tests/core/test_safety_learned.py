"""The learned crisis signal: catches phrasing the rules never saw, stays quiet on idioms,
and never makes the check weaker when it breaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.safety import assess, learned
from core.safety.evaluate import read_lines
from core.safety.normalize import views

# Written for this test, in none of the training files, and missed by the rules:
# an overdose asked about as relief, and a search for a painless way "to go".
EUPHEMISMS = [
    "약통에 있는 거 한 번에 다 삼키면 편해질까",
    "어떻게 하면 안 아프게 갈 수 있는지 검색해봤어",
]
# Everyday words of dying, melting, switching off and breaking (also our own).
IDIOMS = [
    "더워서 녹아버릴 것 같아",
    "웃겨 죽는 줄 알았네 진짜",
    "폰 배터리 다 나가서 꺼졌어",
    "오늘 회사에서 깨져서 멘탈 나갔어",
    "주말엔 푹 쉬고 싶다 아무것도 안 하고",
    "게임에서 캐릭터 죽어서 다시 시작했어",
]


@pytest.fixture
def model_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[learned.CrisisModel]:
    """The signal switched on and the trained process-wide model, restored afterwards."""
    monkeypatch.setattr(learned, "ENABLED", True)
    model = learned.prepare()
    assert model is not None, "the learned model should train from the repository's files"
    yield model
    learned.reset(model)


@pytest.mark.parametrize("text", EUPHEMISMS)
def test_a_euphemism_the_rules_miss_is_flagged(
    text: str, model_state: learned.CrisisModel
) -> None:
    verdict = assess(text)
    assert verdict.crisis and learned.SIGNAL in verdict.signals
    learned.reset(None, failed=True)
    assert not assess(text).crisis  # the rules alone miss it: the model is what caught it


@pytest.mark.parametrize("text", IDIOMS)
def test_idioms_are_not_flagged(text: str, model_state: learned.CrisisModel) -> None:
    verdict = assess(text)
    assert not verdict.crisis, verdict.signals
    assert learned.SIGNAL not in verdict.signals


def test_switched_off_it_changes_no_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped default: the rules decide alone and nothing is trained."""
    monkeypatch.setattr(learned, "ENABLED", False)
    verdict = assess(EUPHEMISMS[0])
    assert not verdict.crisis and learned.SIGNAL not in verdict.signals
    assert assess("죽고 싶어").crisis


def test_rule_signals_are_kept_when_the_model_also_fires(
    model_state: learned.CrisisModel,
) -> None:
    learned.reset(None, failed=True)
    rules_only = assess("이제 여한 없어. 오늘 밤이 마지막이야")
    learned.reset(model_state)
    both = assess("이제 여한 없어. 오늘 밤이 마지막이야")
    assert rules_only.crisis and "combo:hints" in rules_only.signals
    assert learned.SIGNAL in both.signals
    assert both.signals[: len(rules_only.signals)] == rules_only.signals


def test_a_missing_model_leaves_the_rules_exactly_as_they_were(
    model_state: learned.CrisisModel,
) -> None:
    learned.reset(None, failed=True)
    assert learned.learned_signals(views(EUPHEMISMS[0])) == []
    rules_only = assess("죽고 싶어")
    assert rules_only.crisis and learned.SIGNAL not in rules_only.signals


def test_a_model_that_raises_falls_back_to_the_rules(
    model_state: learned.CrisisModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: learned.CrisisModel, v: object) -> float:
        raise RuntimeError("corrupt weights")

    learned.reset(None, failed=True)
    expected = [assess(t) for t in ("죽고 싶어", EUPHEMISMS[0], IDIOMS[0])]
    learned.reset(model_state)
    monkeypatch.setattr(learned.CrisisModel, "score", broken)
    assert [assess(t) for t in ("죽고 싶어", EUPHEMISMS[0], IDIOMS[0])] == expected


def test_training_that_fails_leaves_the_rules_in_charge(
    model_state: learned.CrisisModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_files() -> None:
        raise FileNotFoundError("data/crisis is not shipped")

    learned.reset(None)
    monkeypatch.setattr(learned, "training_data", no_files)
    verdict = assess("죽고 싶어")
    assert verdict.crisis and learned.SIGNAL not in verdict.signals
    assert not assess(EUPHEMISMS[0]).crisis


def _holdout_number(name: str) -> int:
    """``holdout`` is set 1, ``holdout7`` set 7; the test set (``""``) is 0."""
    return 0 if not name else int(name.removeprefix("holdout") or 1)


def test_the_sealed_sets_are_never_trained_on() -> None:
    """holdout9 and later measure the model: none may be a training set, and the training
    texts hold none of their crisis messages beyond the few common phrases that were written
    independently into an earlier set too ("i want to die", "자살하고 싶어"…).
    holdout7 and holdout8 joined the training sets once measured (issue #5, third and fourth
    rounds); a set that joins later must be added here on purpose."""
    assert max(_holdout_number(n) for n in learned.TRAIN_SETS) == 8
    texts, labels, _ = learned.training_data()
    trained = set(texts)
    assert set(read_lines(learned.CRISIS_SETS / "holdout8_positives.txt")) <= trained
    earlier: set[str] = set()
    for name in learned.TRAIN_SETS:
        earlier |= set(read_lines(learned.CRISIS_SETS / f"{name + '_' if name else ''}positives.txt"))
    for path in sorted(learned.CRISIS_SETS.glob("holdout*_positives.txt")):
        name = path.name.removesuffix("_positives.txt")
        if _holdout_number(name) >= 9:
            shared = set(read_lines(path)) & trained
            assert shared <= earlier, (name, shared - earlier)
            assert len(shared) <= 5, (name, shared)
            negatives = read_lines(learned.CRISIS_SETS / f"{name}_negatives.txt")
            assert len(set(negatives) & trained) <= 2, name
    assert labels.sum() > 500 and (labels == 0).sum() > 2000


def test_the_stored_threshold_still_keeps_false_alarms_near_one_percent() -> None:
    """Fails when the training texts changed enough that THRESHOLD must be re-derived
    (``cross_validated_threshold`` prints the new value)."""
    texts, labels, groups = learned.training_data()
    threshold, recall = learned.cross_validated_threshold(texts, labels, groups)
    assert abs(threshold - learned.THRESHOLD) < 0.1, threshold
    assert recall > 0.6
    assert np.isfinite(threshold)


def test_a_guarded_message_is_left_to_the_rules(model_state: learned.CrisisModel) -> None:
    """A recovered past the rules set aside is not re-flagged by the model's guess."""
    text = "중학교 때 자살 시도했었는데 지금은 십 년째 잘 지내요"
    result = assess(text)
    assert not result.crisis and "guard:recovered" in result.signals


def test_rules_and_model_together_meet_the_goal_on_held_out_seven(
    model_state: learned.CrisisModel,
) -> None:
    """As the bot decides. holdout7 is now a training set, so this guards against a
    regression, not an estimate of unseen phrasing (holdout8 and later measure that)."""
    from core.safety.evaluate import evaluate_holdout

    result = evaluate_holdout(learned.CRISIS_SETS, name="holdout7")
    assert result is not None
    assert result.recall >= 0.98, result.missed
    assert result.false_alarm_rate <= 0.03, result.false_alarms


WELLNESS = (Path(__file__).resolve().parents[3] / "shared" / "data"
            / "wellness_dataset_original.csv")


@pytest.mark.skipif(not WELLNESS.is_file(), reason="needs ../shared/data (AI Hub wellness CSV)")
def test_rules_and_model_together_keep_the_wellness_goal(model_state: learned.CrisisModel) -> None:
    """As the bot decides (rules + learned): recall >= 0.98, false alarms <= 0.01 on data
    neither was trained on."""
    from core.safety.evaluate import evaluate_wellness

    result = evaluate_wellness(WELLNESS)
    assert result is not None
    assert result.recall >= 0.98
    assert result.false_alarm_rate <= 0.01


@pytest.mark.parametrize("setting", [True, False])
async def test_the_operator_setting_switches_the_signal(
    setting: bool, tmp_path: Path, model_state: learned.CrisisModel
) -> None:
    """SAFETY_LEARNED=false: rules only, as `buddy serve` builds the core."""
    from core.app import LoadedModel, open_buddy
    from core.classify.base import FixedClassifier
    from core.config import load_settings
    from core.messages import IncomingMessage

    settings = load_settings(BUDDY_VAR_DIR=tmp_path, SAFETY_LEARNED=setting,
                             pseudonym_secret="test-secret")
    model = LoadedModel(tmp_path, FixedClassifier({}, default="일반대화"), {})
    async with open_buddy(settings, model=model, with_log=False) as buddy:
        reply = await buddy.handle(IncomingMessage("web", "u1", EUPHEMISMS[0]))
    assert learned.ENABLED is setting
    assert (reply.kind.value == "crisis") is setting
