"""The dialogue logic alone (no database, no model): what a person notices across turns."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.answers import AnswerBook
from core.classify.base import Prediction
from core.dialogue import respond
from core.dialogue.meta import MetaKind, read_meta
from core.dialogue.policy import Move, decide
from core.dialogue.questions import last_question
from core.dialogue.shortreply import ShortKind, read_short
from core.dialogue.state import DialogueState, QuestionKind, current, new_state
from core.messages import ReplyKind
from core.safety import RiskLevel
from core.safety.hotlines import EMERGENCY

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
BOOK = AnswerBook({
    "배경/직장": [f"회사 이야기 {i}, 많이 지치셨겠어요. 어떤 부분이 가장 힘들어요?" for i in range(6)],
    "증상/불면": [f"잠 이야기 {i}. 언제부터 잠이 안 왔어요?" for i in range(6)],
    "일반대화": ["반가워요. 오늘은 어땠어요?"],
})


def pred(category: str, confidence: float) -> Prediction:
    return Prediction(category, confidence, ((category, confidence),))


def at_work(question: QuestionKind | None = QuestionKind.FEELING) -> DialogueState:
    return replace(new_state(NOW), topic="배경/직장", topic_confidence=0.8,
                   question="그때 어떤 마음이었어요?", question_kind=question)


@pytest.mark.parametrize(("text", "kind", "detail"), [
    ("응", ShortKind.YES, ""), ("ㅇㅇ", ShortKind.YES, ""), ("네 맞아요", ShortKind.YES, ""),
    ("아니", ShortKind.NO, ""), ("없어요", ShortKind.NO, ""),
    ("한 달 정도 됐어", ShortKind.DURATION, "한 달"), ("2주쯤", ShortKind.DURATION, "2주"),
    ("어제부터요", ShortKind.DURATION, "since:어제부터"), ("오래됐어요", ShortKind.DURATION, "long"),
    ("모르겠어", ShortKind.DONT_KNOW, ""), ("잘 모르겠어요 ㅠㅠ", ShortKind.DONT_KNOW, ""),
    ("고마워", ShortKind.THANKS, ""), ("감사해요!", ShortKind.THANKS, ""),
    ("😢", ShortKind.EMOJI, "슬픈 마음"), ("👍", ShortKind.YES, ""), ("🙏", ShortKind.THANKS, ""),
    ("속상했어", ShortKind.FEELING, "속상한 마음"), ("그냥 그래", ShortKind.OKAY, ""),
])
def test_short_answers_are_read(text: str, kind: ShortKind, detail: str) -> None:
    short = read_short(text)
    assert short is not None and (short.kind, short.detail) == (kind, detail)


@pytest.mark.parametrize("text", [
    "응 근데 팀장이 또 소리질렀어", "요즘 잠이 안 와요", "회사 가기 싫어",
    "아니 그게 아니라 엄마가 계속 전화해서 미치겠어", "한 달 전에 친구랑 크게 싸웠어",
])
def test_news_is_not_a_short_answer(text: str) -> None:
    assert read_short(text) is None


@pytest.mark.parametrize(("text", "kind"), [
    ("너 사람이야?", MetaKind.IDENTITY), ("넌 AI야?", MetaKind.IDENTITY),
    ("내 말 이해해?", MetaKind.UNDERSTANDING), ("너는 내 말 이해하는 거 맞아?", MetaKind.UNDERSTANDING),
    ("기록 남아?", MetaKind.RECORDS), ("내 얘기 누가 봐?", MetaKind.RECORDS),
    ("버디는 상담사야?", MetaKind.COUNSELLOR),
])
def test_questions_about_buddy_are_recognised(text: str, kind: MetaKind) -> None:
    assert read_meta(text) is kind


@pytest.mark.parametrize("text", [
    "엄마가 내 말을 이해 못해", "사람이 너무 무서워", "친구가 내 얘기를 다른 사람한테 했어",
    "회사 사람이 너무 싫어",
])
def test_talk_about_other_people_is_not_about_buddy(text: str) -> None:
    assert read_meta(text) is None


def test_honest_answers_say_program_not_counsellor_and_forget() -> None:
    state = new_state(NOW)
    who, state, _ = respond.answer(state, "너 사람이야?", pred("일반대화", 0.9), answers=BOOK,
                                   threshold=0.3)
    assert who.kind is ReplyKind.ABOUT_BUDDY and "프로그램" in who.text
    records, state, _ = respond.answer(state, "기록 남아?", None, answers=BOOK, threshold=0.3)
    assert "/forget" in records.text
    again, _, _ = respond.answer(state, "너 진짜 사람 아니야?", None, answers=BOOK, threshold=0.3)
    assert again.kind is ReplyKind.ABOUT_BUDDY and again.text != who.text


@pytest.mark.parametrize(("reply", "kind"), [
    ("많이 힘드셨겠어요. 언제부터 그랬어요?", QuestionKind.DURATION),
    ("그랬군요. 그때 어떤 마음이 들었어요?", QuestionKind.FEELING),
    ("곁에 이야기할 사람이 있나요?", QuestionKind.YESNO),
    ("조금 더 들려줄래요?", QuestionKind.OPEN),
    ("울어도 괜찮아요.", None),
])
def test_the_question_buddy_asked_is_known(reply: str, kind: QuestionKind | None) -> None:
    assert last_question(reply)[1] is kind


def test_short_answer_continues_the_topic_and_acknowledges_it() -> None:
    reply, state, decision = respond.answer(
        at_work(QuestionKind.DURATION), "한 달 정도 됐어", pred("증상/체중감소", 0.4),
        answers=BOOK, threshold=0.3)
    assert decision.move is Move.SHORT
    assert reply.kind is ReplyKind.FOLLOW_UP and reply.category == "배경/직장"
    assert "한 달" in reply.text and "?" in reply.text
    assert state.question_kind is not QuestionKind.DURATION  # the next question is another kind


def test_low_confidence_stays_in_topic_and_a_sure_new_topic_is_taken() -> None:
    state = at_work()
    assert decide(state, "오늘도 그랬어", "감정/분노", 0.2, threshold=0.3).move is Move.STAY
    assert decide(state, "팀장이 또 그랬어", "감정/분노", 0.38, threshold=0.3).move is Move.STAY
    assert decide(state, "요즘 잠도 하나도 못 자", "증상/불면", 0.8, threshold=0.3).move is Move.NEW
    assert decide(state, "회사 그만두고 싶어", "배경/직장/퇴사", 0.5, threshold=0.3).move is Move.SAME
    reply, after, _ = respond.answer(state, "요즘 잠도 하나도 못 자", pred("증상/불면", 0.8),
                                     answers=BOOK, threshold=0.3)
    assert reply.category == "증상/불면" and after.topic == "증상/불면"


def test_thirty_turns_never_repeat_a_reply() -> None:
    state = new_state(NOW)
    turns = ["회사에서 팀장이 계속 갈궈", "응", "한 달 정도 됐어", "모르겠어", "😢", "고마워",
             "아니", "그냥 그래", "속상했어", "회사 가기 너무 싫어"] * 3
    said = []
    for i, text in enumerate(turns):
        p = pred("배경/직장", 0.9) if len(text) > 8 else pred("일반대화", 0.2)
        reply, state, _ = respond.answer(state, text, p, answers=BOOK, threshold=0.3, start=i)
        said.append(reply.text)
        state = replace(state, turns=state.turns + 1)
    assert len(said) == 30 and len(set(said)) == 30


@pytest.mark.parametrize("level", [RiskLevel.IDEATION, RiskLevel.IMMINENT])
def test_repeated_crisis_gets_shorter_different_replies_with_the_numbers(level: RiskLevel) -> None:
    state = new_state(NOW)
    texts = []
    for _ in range(5):
        text, state = respond.crisis(state, level, NOW, safety_minutes=30)
        texts.append(text)
    assert len(set(texts)) == 5
    assert all(len(t) < len(texts[0]) for t in texts[1:])
    for t in texts:
        assert "109" in t and "1577-0199" in t and "1388" in t and EMERGENCY.number in t
        if level is RiskLevel.IMMINENT:
            assert EMERGENCY.number in t.splitlines()[0]  # leads with 119 / 112
    assert state.safety_active(NOW + timedelta(minutes=29), 5)
    assert not state.safety_active(NOW + timedelta(minutes=31), 5)


def test_a_conversation_renews_after_silence() -> None:
    state = new_state(NOW)
    assert current(state, NOW + timedelta(minutes=10), timedelta(minutes=30)) is state
    assert current(state, NOW + timedelta(minutes=31),
                   timedelta(minutes=30)).conversation_id != state.conversation_id


@pytest.mark.parametrize(("text", "not_kind"), [
    ("한 달 정도 됐어", QuestionKind.DURATION), ("속상했어", QuestionKind.FEELING),
    ("😢", QuestionKind.FEELING),
])
def test_what_was_just_answered_is_not_asked_again(text: str, not_kind: QuestionKind) -> None:
    for asked in QuestionKind:
        _, state, _ = respond.answer(at_work(asked), text, None, answers=BOOK, threshold=0.3)
        assert state.question_kind is not not_kind, asked


def test_once_the_user_said_how_long_buddy_never_asks_since_when() -> None:
    state = at_work(QuestionKind.DURATION)
    said = []
    for i, text in enumerate(["한 달 정도 됐어", "응", "모르겠어", "고마워", "아니", "그냥 그래",
                              "응", "모르겠어", "네", "없어"]):
        reply, state, _ = respond.answer(state, text, None, answers=BOOK, threshold=0.3)
        state = replace(state, turns=i + 1)
        said.append(reply.text)
        assert state.question_kind is not QuestionKind.DURATION, said
