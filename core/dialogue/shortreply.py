"""Recognising the short answers people give to Buddy's questions (pure, no I/O).

Why: after "언제부터 그랬어요?" a person writes "한 달 정도 됐어", after "그때 어떤 마음이
었어요?" they write "속상했어", and "응", "모르겠어", "고마워" or 😢 anywhere. The classifier,
seeing such a message alone, can only guess; the dialogue logic reads it as an answer to the
question and keeps the topic. A message counts as short only when, once its pattern and a few
filler words are taken out, at most :data:`MAX_LEFT` letters remain: "응 근데 팀장이 또 소리
질렀어" is news, not a yes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

MAX_CHARS = 24
MAX_LEFT = 3


class ShortKind(str, Enum):
    """What a short answer says."""

    DURATION = "duration"
    DONT_KNOW = "dont_know"
    THANKS = "thanks"
    NO = "no"
    YES = "yes"
    FEELING = "feeling"
    OKAY = "okay"  # 그냥 그래, 괜찮아, 알겠어
    EMOJI = "emoji"


@dataclass(frozen=True)
class ShortReply:
    """A recognised short answer; ``detail`` is a safe phrase to reflect (a duration we
    matched, a feeling from our own list), never free user text."""

    kind: ShortKind
    detail: str = ""


_NUM = r"(?<![가-힣])(?:\d+|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|몇|반)"
_SINO = r"(?<![가-힣])(?:일|이|삼|사|오|육|칠|팔|구|십)"  # 일 년, 삼 개월: only with these units
_DURATION = re.compile(
    rf"(?P<amount>{_NUM} ?(?:일|주|주일|달|개월|년|해|시간|학기)(?: ?반)?|{_SINO} ?(?:년|개월|주일)(?: ?반)?"
    r"|(?<![가-힣])(?:하루|이틀|사흘|나흘|며칠|보름|몇 ?주|평생))"
    r"(?: ?(?:정도|쯤|넘게|가까이|째|전부터|전|동안|이상))?"
    r"|(?P<since>(?:어제|그저께|오늘|지난 ?주|지난 ?달|작년|재작년|올해|요즘|최근|얼마 ?전|어릴 ?때|"
    r"학생 ?때|입사 ?(?:하고|후)|그때) ?부터|(?:어제|그저께|지난 ?주|지난 ?달|작년|재작년)(?= ?$))"
    r"|(?P<long>오래 ?(?:됐|되었|전)|꽤 ?(?:됐|되었|오래)|한참 ?(?:됐|전)|좀 ?됐)"
    r"|(?P<recent>얼마 ?안 ?(?:됐|되었))"
)
_DONT_KNOW = re.compile(r"모르겠|몰라|모름|글쎄|잘 ?모르|기억이 ?안|기억 ?안 ?나|헷갈려|뭐라고 ?해야")
_THANKS = re.compile(r"고마워|고맙|감사|땡큐|ㄱㅅ|thank", re.IGNORECASE)
_NO = re.compile(r"^(?:아니|아뇨|아냐|ㄴㄴ|노노|없어|없는|없었|없습|안 ?그래|안 ?했|별로|전혀|딱히)")
_YES = re.compile(r"^(?:응|ㅇㅇ|ㅇㅋ|어 |어$|엉|웅|네|넵|넹|예|그래|그렇|맞아|맞아요|맞습|당연|있어|있었|있습|했어|했지|그런 ?(?:거|것) ?같)")
_OKAY = re.compile(r"^(?:그냥|그럭저럭|괜찮|알겠|알았|오케이|ok|음+|흠+|그저 ?그래|뭐 ?그렇지|쏘쏘)",
                   re.IGNORECASE)

# (stem, phrase to reflect): our own words, so reflecting them is always safe.
_FEELINGS: tuple[tuple[str, str], ...] = (
    ("속상", "속상한 마음"), ("서운", "서운한 마음"), ("슬프", "슬픈 마음"), ("슬펐", "슬픈 마음"),
    ("화나", "화나는 마음"), ("화났", "화나는 마음"), ("화가", "화나는 마음"), ("짜증", "짜증스러운 마음"),
    ("억울", "억울한 마음"), ("답답", "답답한 마음"), ("불안", "불안한 마음"), ("무서", "무서운 마음"),
    ("두려", "두려운 마음"), ("외로", "외로운 마음"), ("우울", "가라앉은 마음"), ("비참", "비참한 마음"),
    ("창피", "창피한 마음"), ("부끄", "부끄러운 마음"), ("허무", "허무한 마음"), ("막막", "막막한 마음"),
    ("지쳤", "지친 마음"), ("지치", "지친 마음"), ("힘들", "힘든 마음"), ("힘들었", "힘든 마음"),
    ("괴로", "괴로운 마음"), ("미안", "미안한 마음"), ("후회", "후회하는 마음"), ("걱정", "걱정되는 마음"),
    ("기뻤", "기쁜 마음"), ("기뻐", "기쁜 마음"), ("좋았", "좋은 마음"), ("행복", "행복한 마음"),
    ("슬퍼", "슬픈 마음"), ("떨리", "떨리는 마음"), ("떨렸", "떨리는 마음"), ("떨려", "떨리는 마음"),
    ("배신감", "배신감에 쓰린 마음"), ("아파", "아픈 마음"), ("아팠", "아픈 마음"), ("놀랐", "놀란 마음"),
    ("그리워", "그리운 마음"), ("보고 싶", "그리운 마음"), ("민망", "민망한 마음"), ("서러", "서러운 마음"),
    ("섭섭", "섭섭한 마음"), ("분하", "분한 마음"), ("분했", "분한 마음"), ("멍했", "멍한 마음"),
    ("허탈", "허탈한 마음"), ("겁나", "겁나는 마음"), ("겁났", "겁나는 마음"),
)
_FILLER = re.compile(
    r"(?:정도|쯤|된 ?(?:거|것) ?같|됐|되었|되어|돼|요|어|아|야|지|네|죠|진짜|정말|너무|좀|그냥|많이|엄청|"
    r"좀|조금|했|했어|했지|였|이었|같|것|거|음|뭐|나|난|저|전|는|은|도|다|고|해|하|긴|막)"
)
_STRIP = re.compile(r"[\s.,!?~…ㅠㅜㅋㅎ;:\-\"'()^_]+")
_WORDLIKE = re.compile(r"[0-9A-Za-z\uac00-\ud7a3\u3131-\u318e]")

_EMOJI_SENSE: tuple[tuple[str, ShortKind], ...] = (
    ("👍", ShortKind.YES), ("👌", ShortKind.YES), ("🙆", ShortKind.YES), ("⭕", ShortKind.YES),
    ("🙅", ShortKind.NO), ("❌", ShortKind.NO), ("🙏", ShortKind.THANKS), ("🤷", ShortKind.DONT_KNOW),
)
_EMOJI_FEEL: tuple[tuple[str, str], ...] = (
    ("😢", "슬픈 마음"), ("😭", "슬픈 마음"), ("🥲", "씁쓸한 마음"), ("😞", "가라앉은 마음"),
    ("😔", "가라앉은 마음"), ("😡", "화나는 마음"), ("😠", "화나는 마음"), ("😰", "불안한 마음"),
    ("😨", "무서운 마음"), ("😩", "지친 마음"), ("😫", "지친 마음"), ("🥺", "서운한 마음"),
    ("😊", "편안한 마음"), ("🙂", "편안한 마음"), ("❤", "고마운 마음"), ("💔", "아픈 마음"),
)


def _squash(text: str) -> str:
    return _STRIP.sub(" ", text).strip()


def _left_after(text: str, span: tuple[int, int]) -> int:
    rest = text[: span[0]] + " " + text[span[1] :]
    rest = _FILLER.sub("", rest)
    return len(re.sub(r"\s+", "", rest))


def _emoji(text: str) -> ShortReply | None:
    if _WORDLIKE.search(text) or not text.strip():
        return None
    for mark, kind in _EMOJI_SENSE:
        if mark in text:
            return ShortReply(kind)
    for mark, phrase in _EMOJI_FEEL:
        if mark in text:
            return ShortReply(ShortKind.EMOJI, phrase)
    return ShortReply(ShortKind.EMOJI)


def _duration_detail(m: re.Match[str]) -> str:
    """``한 달`` / ``since:어제부터`` / ``long`` / ``recent``: the ack picks its sentence by form."""
    if m.group("amount"):
        return m.group("amount")
    if m.group("since"):
        since = m.group("since")
        return "since:" + (since if since.endswith("부터") else since + "부터")
    return "long" if m.group("long") else "recent"


def feeling_in(text: str) -> str | None:
    """The feeling phrase (ours) for the first feeling word in ``text``, if any."""
    for stem, phrase in _FEELINGS:
        if stem in text:
            return phrase
    return None


def read_short(text: str) -> ShortReply | None:
    """The short answer ``text`` gives, or None when it says more than that."""
    if len(text) > MAX_CHARS * 2:
        return None
    emoji = _emoji(text)
    if emoji is not None:
        return emoji
    squashed = _squash(text)
    if not squashed or len(squashed) > MAX_CHARS:
        return None
    m = _DURATION.search(squashed)
    if m and _left_after(squashed, m.span()) <= MAX_LEFT:
        return ShortReply(ShortKind.DURATION, _duration_detail(m))
    for pattern, kind in ((_DONT_KNOW, ShortKind.DONT_KNOW), (_THANKS, ShortKind.THANKS),
                          (_NO, ShortKind.NO), (_YES, ShortKind.YES), (_OKAY, ShortKind.OKAY)):
        m = pattern.search(squashed)
        if m and _left_after(squashed, m.span()) <= MAX_LEFT:
            return ShortReply(kind)
    feeling = feeling_in(squashed)
    if feeling is not None and len(squashed.replace(" ", "")) <= 10:
        return ShortReply(ShortKind.FEELING, feeling)
    return None
