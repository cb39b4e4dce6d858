"""Recognising greetings and goodbyes, which need no classifier.

Only short messages count: "안녕, 요즘 너무 우울해" is about the mood, not a greeting.
A goodbye ends the conversation (the seed's "고마워, 이만 종료해줘 버디").
"""

from __future__ import annotations

import re

_GREETING = re.compile(
    r"^(안녕|안뇽|하이|헬로|hello|hi|hey|반가워|반갑습니다|처음 ?뵙|버디야?|여보세요|좋은 ?(아침|저녁))"
    r"[\s\w~!.?ㅎㅋ^]*$",
    re.IGNORECASE,
)
_FAREWELL = re.compile(
    r"(종료|그만 ?할래|그만 ?하자|그만 ?할게|이만 ?(갈게|할게|잘게|가볼게|줄일게)|잘 ?있어|안녕히|바이바이|"
    r"^바이|^빠이|다음에 ?(봐|또|이야기)|대화 ?끝|^끝$|bye|good ?night|잘 ?자$)",
    re.IGNORECASE,
)


def is_greeting(text: str) -> bool:
    return len(text) <= 20 and bool(_GREETING.match(text.strip()))


def is_farewell(text: str) -> bool:
    return len(text) <= 40 and bool(_FAREWELL.search(text.strip()))
