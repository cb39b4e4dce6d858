"""Asking for a person: every sentence a user might write, and the ones that are not requests."""

from __future__ import annotations

import pytest

from core.handoff.recognise import asks_for_person

REQUESTS = [
    "사람이랑 얘기하고 싶어",
    "사람이랑 얘기하고 싶어요",
    "상담사 연결해 주세요",
    "상담사연결해주세요",
    "진짜 사람이야? 사람 바꿔줘",
    "사람 바꿔 주세요",
    "실제 사람이랑 이야기할 수 있어요?",
    "상담원이랑 통화하고 싶어요",
    "상담 선생님이랑 대화하고 싶어요",
    "사람하고 상담받고 싶어요",
    "사람 불러줘",
    "진짜 사람이 필요해요",
    "운영자 연결 부탁드려요",
    "전문가랑 상담하고 싶어요",
    "I want to talk to a human",
]
NOT_REQUESTS = [
    "사람들이 싫어",
    "사람이 무서워",
    "사람들이랑 얘기하고 싶은데 친구가 없어",
    "사람이랑 얘기하기 싫어",
    "사람이랑 얘기하고 싶지 않아",
    "사람 말고 너랑 얘기하고 싶어",
    "선생님이랑 얘기하고 싶어요",
    "엄마랑 얘기하고 싶어",
    "사람 만나는 게 힘들어요",
    "요즘 잠이 안 와요",
    "진짜 사람이야?",
    "사람이 너무 많아서 지쳐",
    "",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_request_for_a_person_is_recognised(text: str) -> None:
    found = asks_for_person(text)
    assert found is not None, text
    assert found.rule and found.span  # says which rule and which words


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_feelings_about_people_are_not_requests(text: str) -> None:
    assert asks_for_person(text) is None, text
