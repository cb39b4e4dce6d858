"""One place for limits: the crisis check reads every character an adapter accepts.

Before, the API accepted 20,000 characters while the safety views stopped at 8,000: a
crisis sentence after character 8,000 was never seen (``crisis: false``).
"""

from __future__ import annotations

import pytest

from bot.web.app import ChatRequest
from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.limits import MAX_TEXT_CHARS, SAFETY_WINDOW_CHARS, SAFETY_WINDOW_OVERLAP
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.safety import assess
from core.safety.detector import windows

FILLER = "요즘 회사 일이 많아서 정신이 없어요. "  # harmless, 22 characters


def test_the_web_api_accepts_exactly_what_the_crisis_check_reads() -> None:
    assert ChatRequest.model_fields["text"].metadata[0].max_length == MAX_TEXT_CHARS


@pytest.mark.parametrize("at", [0, 7_990, 8_500, 12_345, MAX_TEXT_CHARS - 10])
def test_a_crisis_sentence_anywhere_in_the_longest_message_is_seen(at: int) -> None:
    filler = (FILLER * (MAX_TEXT_CHARS // len(FILLER) + 1))
    text = (filler[:at] + "죽고 싶어" + filler)[:MAX_TEXT_CHARS]
    assert assess(text).crisis


def test_the_issue_message_is_a_crisis_and_its_harmless_part_is_not() -> None:
    assert assess(FILLER * 400 + "죽고 싶어").crisis
    assert not assess(FILLER * 400).crisis
    assert not assess((FILLER * 1000)[:MAX_TEXT_CHARS]).crisis


@pytest.mark.parametrize("phrase", ["정말 사라져 버리고 싶다", "살기가 싫어", "나 진짜 뒤질래"])
def test_other_crisis_phrasings_are_caught_far_past_the_first_window(phrase: str) -> None:
    assert assess(phrase).crisis
    assert assess(FILLER * 300 + phrase).crisis


def test_windows_cover_every_character_with_overlap() -> None:
    text = "".join(chr(0xAC00 + i % 11172) for i in range(MAX_TEXT_CHARS))
    parts = windows(text)
    covered = [False] * len(text)
    for start, part in parts:
        assert text[start : start + len(part)] == part
        for i in range(start, start + len(part)):
            covered[i] = True
    assert all(covered)
    for (a, _), (b, _) in zip(parts, parts[1:], strict=False):
        assert b - a <= SAFETY_WINDOW_CHARS - SAFETY_WINDOW_OVERLAP


async def test_the_pipeline_answers_a_long_crisis_message_with_the_crisis_reply() -> None:
    buddy = Buddy(classifier=FixedClassifier({}, default="일반대화"),
                  answers=AnswerBook({"일반대화": ["그렇군요."]}), pseudonym_secret=b"limits")
    reply = await buddy.handle(IncomingMessage("web", "u", FILLER * 400 + "죽고 싶어"))
    assert reply.kind is ReplyKind.CRISIS and "109" in reply.text
    reply = await buddy.handle(IncomingMessage("web", "v", FILLER * 400))
    assert reply.kind is not ReplyKind.CRISIS
