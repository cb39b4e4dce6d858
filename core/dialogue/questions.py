"""Which question a reply of Buddy's ends with, and what kind of answer it invites (pure).

Why: the next message is read against it. After "언제부터 그랬어요?" a bare "한 달" is an
answer; after "어떤 마음이 들었어요?" a bare "속상했어" is one.
"""

from __future__ import annotations

import re

from core.dialogue.state import QuestionKind

_SENTENCES = re.compile(r"[^.!?\n]+[.!?]?")
_DURATION = re.compile(r"언제부터|얼마나 ?(?:됐|되었|오래|지났)|얼마 ?동안|며칠|몇 ?(?:달|년|주)|오래 ?(?:됐|되었)")
_FEELING = re.compile(r"기분|마음은|마음이|어떤 ?마음|감정|느낌|느껴|느끼")
_YESNO = re.compile(r"(?:있나요|있어요|있을까요|있으세요|있었나요|있었어요|없나요|인가요|맞나요|괜찮"
                    r"|계신가요|계세요|했나요|했어요|하셨나요|하셨어요|챙기|해 ?봤|해 ?보셨|적 ?있)\?$")


def last_question(reply: str) -> tuple[str | None, QuestionKind | None]:
    """The last question in ``reply`` and its kind, or (None, None) when it asks nothing."""
    sentences = [s.strip() for s in _SENTENCES.findall(reply) if s.strip()]
    asked = [s for s in sentences if s.endswith("?")]
    if not asked:
        return None, None
    question = asked[-1]
    if _DURATION.search(question):
        return question, QuestionKind.DURATION
    if _YESNO.search(question):
        return question, QuestionKind.YESNO
    if _FEELING.search(question):
        return question, QuestionKind.FEELING
    return question, QuestionKind.OPEN
