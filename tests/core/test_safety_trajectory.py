"""Conversation-level risk: earlier turns raise an indirect message, and the memory decays
by turns and by minutes as core/safety/trajectory.py says."""

from __future__ import annotations

import pytest

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.safety import RiskLevel, assess
from core.safety.trajectory import MINUTE_STEP, TURN_STEP, RiskTrajectory, raise_level


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def minutes(self, m: float) -> None:
        self.now += m * 60.0


def talk(t: RiskTrajectory, texts: list[str], user: str = "u") -> list[RiskLevel]:
    """Each text's level after the user's history, recording it as the pipeline does."""
    out = []
    for text in texts:
        verdict = t.adjust(user, assess(text))
        t.record(user, verdict.level)
        out.append(verdict.level)
    return out


def test_the_hints_alone_are_not_a_crisis() -> None:
    for text in ("약 모아놨어", "오늘이 마지막이야"):
        verdict = assess(text)
        assert not verdict.crisis and verdict.cue is RiskLevel.PLAN


def test_pain_then_pills_then_last_day_is_a_plan() -> None:
    t = RiskTrajectory(clock=Clock())
    levels = talk(t, ["요즘 너무 힘들어", "약 모아놨어", "오늘이 마지막이야"])
    assert levels == [RiskLevel.DISTRESS, RiskLevel.PLAN, RiskLevel.PLAN]
    raised = t.adjust("u", assess("오늘이 마지막이야"))
    assert raised.crisis and "trajectory:plan" in raised.signals


def test_another_users_history_counts_for_nothing() -> None:
    t = RiskTrajectory(clock=Clock())
    talk(t, ["요즘 너무 힘들어"], user="a")
    assert talk(t, ["약 모아놨어"], user="b") == [RiskLevel.NONE]


def test_distress_fades_after_three_later_turns() -> None:
    t = RiskTrajectory(clock=Clock())
    talk(t, ["요즘 너무 힘들어", "점심 뭐 먹을까", "날씨 좋다"])
    assert t.remembered("u") is RiskLevel.DISTRESS  # the third turn after it: still counts
    assert talk(t, ["오늘이 마지막이야"]) == [RiskLevel.PLAN]

    t = RiskTrajectory(clock=Clock())
    talk(t, ["요즘 너무 힘들어", "점심 뭐 먹을까", "날씨 좋다", "영화 볼까"])
    assert t.remembered("u") is RiskLevel.NONE  # the fourth turn after it: forgotten
    assert talk(t, ["오늘이 마지막이야"]) == [RiskLevel.NONE]
    assert TURN_STEP == 3


def test_distress_fades_after_twenty_minutes() -> None:
    clock = Clock()
    t = RiskTrajectory(clock=clock)
    talk(t, ["요즘 너무 힘들어"])
    clock.minutes(MINUTE_STEP - 1)
    assert t.remembered("u") is RiskLevel.DISTRESS
    clock.minutes(1)
    assert t.remembered("u") is RiskLevel.NONE
    assert talk(t, ["약 모아놨어"]) == [RiskLevel.NONE]


def test_a_plan_decays_one_step_per_step_of_turns_or_time() -> None:
    clock = Clock()
    t = RiskTrajectory(clock=clock)
    talk(t, ["유서 썼어"])
    assert t.remembered("u") is RiskLevel.PLAN
    clock.minutes(MINUTE_STEP)
    assert t.remembered("u") is RiskLevel.METHOD
    talk(t, ["점심 뭐 먹을까"] * (TURN_STEP + 1))
    assert t.remembered("u") is RiskLevel.IDEATION  # one step for time, one for turns
    clock.minutes(120)
    assert t.remembered("u") is RiskLevel.NONE


def test_a_crisis_is_raised_to_the_remembered_level_but_never_to_imminent() -> None:
    t = RiskTrajectory(clock=Clock())
    assert talk(t, ["유서 썼어", "죽고 싶어"]) == [RiskLevel.PLAN, RiskLevel.PLAN]
    t = RiskTrajectory(clock=Clock())
    assert talk(t, ["지금 옥상 난간이야", "죽고 싶어"]) == [RiskLevel.IMMINENT, RiskLevel.PLAN]


def test_a_harmless_message_after_a_crisis_stays_harmless() -> None:
    t = RiskTrajectory(clock=Clock())
    assert talk(t, ["유서 썼어", "고마워"]) == [RiskLevel.PLAN, RiskLevel.NONE]


def test_nothing_is_ever_lowered() -> None:
    verdict = assess("지금 옥상 난간이야")
    assert raise_level(verdict, RiskLevel.PASSIVE) == verdict
    assert raise_level(verdict, RiskLevel.NONE) == verdict


def test_forget_drops_the_history() -> None:
    t = RiskTrajectory(clock=Clock())
    talk(t, ["요즘 너무 힘들어"])
    t.forget("u")
    assert t.remembered("u") is RiskLevel.NONE


def test_bad_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="at least one turn"):
        RiskTrajectory(turn_step=0)


async def test_the_pipeline_answers_the_second_turn_with_the_crisis_reply() -> None:
    buddy = Buddy(
        classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
        answers=AnswerBook({"일반대화": ["그랬군요."]}, seed=1),
        pseudonym_secret=b"test-secret",
    )
    first = await buddy.handle(IncomingMessage("telegram", "1", "요즘 너무 힘들어"))
    second = await buddy.handle(IncomingMessage("telegram", "1", "약 모아놨어"))
    other = await buddy.handle(IncomingMessage("telegram", "2", "약 모아놨어"))
    assert first.kind is ReplyKind.ANSWER and first.risk_level == "distress"
    assert second.crisis and second.risk_level == "plan" and "trajectory:plan" in second.signals
    assert not other.crisis and other.risk_level == "none"
