"""Recognising a user asking for a person ("사람이랑 얘기하고 싶어", "상담사 연결해 주세요").

Why rules and not the classifier: the request changes what Buddy does (a queue, an operator
page), so it must be explainable and tested sentence by sentence, like the crisis rules.
Each rule has a name; a :class:`PersonRequest` says which rule matched which span.

The text is read with spaces removed (Korean spacing varies), so "상담사 연결" and
"상담사연결" are one case. What is *not* a request: feelings about people ("사람들이 싫어",
"사람이 무서워"), a refusal ("사람이랑 얘기하기 싫어", "…하고 싶지 않아"), people in
general ("사람들이랑 얘기하고 싶어": loneliness, answered by Buddy), a plain "선생님"
(a school teacher is not a counsellor). Tests: ``tests/core/test_handoff_recognise.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# who the user wants: a person, a counsellor, an operator (not "사람들": people in general)
_WHO = (r"(?:진짜|실제|진짜로|살아있는)?(?:사람(?!들)|인간|상담사|상담원|상담가|상담선생님|"
        r"상담쌤|운영자|관리자|전문가|counsell?or|human|realperson|person)")
_WITH = r"(?:이랑|랑|하고|과|와|한테|에게|께|님이랑|님과|님하고|님께|님)?"
_TALK = r"(?:얘기|이야기|대화|말|상담|통화|채팅|연락)"
_WANT = (r"(?:하고싶|하고파|받고싶|할래|할수있|할수있게|하게해|할게요|좀하|해주|"
         r"시켜|가능|되나|될까|돼요|되요|하면안될까|하고프)")
_SWITCH = r"(?:으로|로|좀|을|를)?(?:바꿔|바꿔주|연결|불러|넘겨|이어줘|이어주|붙여)"
_NEED = r"(?:진짜|실제)(?:사람|인간)(?:이|가)?필요"
_EN_TALK = r"(?:talkto|speakto|speakwith|talkwith|chatwith)(?:a|an|the|some)?" + _WHO
_NOT = re.compile(r"^(?:지않|진않|지마|기싫|긴싫|싫|안|못|말고|아니)")

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("talk_with_person", re.compile(_WHO + _WITH + _TALK + _WANT)),
    ("switch_to_person", re.compile(_WHO + _SWITCH)),
    ("need_real_person", re.compile(_NEED)),
    ("english_talk_to_human", re.compile(_EN_TALK)),
)
_PERSON_NOT_BUDDY = re.compile(_WHO + r"말고")  # "사람 말고 너랑": Buddy, not a person


@dataclass(frozen=True)
class PersonRequest:
    """Why a message reads as asking for a person: the rule and the matched span."""

    rule: str
    span: str


def _squash(text: str) -> str:
    return re.sub(r"[\s.,!?~·…'\"]+", "", text).lower()


def asks_for_person(text: str) -> PersonRequest | None:
    """The rule that reads ``text`` as a request for a person, or ``None``."""
    squashed = _squash(text)
    if not squashed or _PERSON_NOT_BUDDY.search(squashed):
        return None
    for name, pattern in _RULES:
        for found in pattern.finditer(squashed):
            if _NOT.match(squashed[found.end():]):
                continue  # "…하고 싶지 않아", "연결 안 해도 돼"
            return PersonRequest(name, found.group(0))
    return None
