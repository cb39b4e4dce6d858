"""Whose crisis is it? Guards for crisis phrases that are about someone else, or long past.

A parent asking how to help a child who self-harms, or someone who says they wanted to die
years ago and are well now, uses the same words as a person in crisis. These guards look at
each crisis match where it stands in the message:

- *someone else's* (``친구가 죽고 싶대``, ``자해하는 친구한테``, ``딸이 자해를 했다는 걸``): a
  third person is the subject right before it, or it is reported speech or a guess about
  someone named earlier, or it describes the person after it;
- *recovered past* (``예전에 죽고 싶던 시기가 있었는데 지금은 괜찮아``): said in the past,
  with a recovery later in the message and no relapse after it.

Safety first: a match is set aside only when one of these holds *and* no first-person
subject stands right before it, so ``친구가 죽고 싶대 나도 죽고 싶어`` keeps its crisis (the
second match is the writer's own). The detector then looks again at the rest of the message.
"""

from __future__ import annotations

import re

THIRD_PERSON = "third-person"
RECOVERED = "recovered"

_THIRD = (
    r"(?:친구|동생|언니|오빠|형|누나|엄마|아빠|어머니|아버지|어머님|아버님|부모님|아들|딸|남편|아내|와이프"
    r"|남친|여친|남자친구|여자친구|학생|제자|동료|후배|선배|지인|아이|조카|할머니|할아버지|손자|손녀|룸메"
    r"|사촌|걔|그애|그사람|환자|내담자|팀원|직원|애인|주인공|캐릭터|캐릭|등장인물|남주|여주|악역|화자)"
)
# A first-person subject or object close before a match: the writer's own words.
_FIRST_BEFORE = re.compile(
    r"(?:나도|저도|나역시|저역시|나까지|저까지|나두|저두|내가|제가|나는|저는|난|나만|저만|나보고|저보고"
    r"|나한테|저한테|나를|저를|나|저)(?:진짜|정말|그냥|요즘|너무|이제|또|좀|더|다시|자꾸)*$"
)
# A sentence ending between the third person and the match closes that clause: in ``나 없어도
# 남편이 잘 키우겠죠 그냥 죽고 싶어요`` the wish is the writer's own, not the husband's.
_CLAUSE_END = r"(?:죠|어요|아요|해요|네요|세요|니다|거든|잖아|겠지|겠다|했다|이다|한다|할게|할래)"
# The third person as subject or topic right before the match (within a short clause).
_SUBJECT_BEFORE = re.compile(
    _THIRD + r"(?:가|이|께서|는|은|도|네|들이|들은)(?:(?!" + _CLAUSE_END + r")[가-힣]){0,12}$"
)
# Someone named anywhere earlier, not as the one told (``엄마한테 죽고 싶다고 했어`` is mine).
_NAMED_EARLIER = re.compile(_THIRD + r"(?!한테|에게|께|랑|이랑|하고|와|과)")
# What follows a phrase reported about someone else: hearsay, a guess, the person described.
_REPORTED_AFTER = re.compile(
    r"^[가-힣]{0,4}?(?:대요|대|래요|래|다더라|다던데|다며|다네|하셔|하세요|하시|하셨|한대|했대|한다고|했다고|했다는"
    r"|한다는|하는것같|하는거같|하는듯|는것같|는거같|것같|거같|다고(?:하|했|해|그러|문자|연락|카톡|글)"
    r"|다는(?:말|글|문자|얘기|이야기|소리|카톡|걸|것|사실)|하던데|하더라|하려는것같|하는지|했던것같)"
)
_PERSON_AFTER = re.compile(r"^(?:하는|한|했던|하던|하려는)?" + _THIRD)
# Said in the past: a past ending right after, or a past time right before.
# (``죽고 싶단 생각 자주 했는데``: the thought itself, then a past verb.)
_PAST_AFTER = re.compile(
    r"^[가-힣]{0,3}?(?:었|았|였|던|했었|했던)"
    r"|^(?:단|다는|은|던)?(?:생각|마음|충동)(?:을|이|도)?(?:자주|많이|매일|늘|항상|가끔|종종)?"
    r"(?:했|들었|들던|났었|나던)"
)
# A past time right before: a date, an age or a stage of life (``20대 초반엔``, ``고딩 때``).
_PAST_BEFORE = re.compile(
    r"(?:예전|옛날|과거에|어릴때|어렸을때|학생때|학창시절|때|[0-9]+년전|몇년전|그때|한때|한동안|그시절"
    r"|[0-9]+대(?:초반|중반|후반|때)?(?:에|엔|에는)|(?:십|이십|삼십|사십)대(?:초반|중반|후반)?(?:에|엔|에는)"
    r"|사춘기(?:때|에|엔)|(?:중딩|고딩|초딩|대딩|신입)(?:때|시절))"
    r"[가-힣]{0,10}$"
)
_RECOVERY = re.compile(
    r"(?:지금은|이제는|요즘은|현재는|지금|이제)[가-힣0-9]{0,12}(?:괜찮|행복|잘지내|잘살|극복|좋아|나아졌|안해|안하"
    r"|멀쩡|건강|안들|안나|없어|사라졌|좋아졌|좋아짐|나아짐|회복|고마워|고맙|감사해|감사하|다행)|(?:[0-9]+|몇)(?:년|개월|달)(?:째|동안|간)[가-힣]{0,4}(?:괜찮|안하|안했|잘지내|멀쩡)"
    r"|(?:안한지|안한지도|끊은지|멈춘지|안그은지)(?:[0-9]+|몇|한|두|세|반)(?:년|개월|달)[가-힣]{0,2}(?:넘었|넘음|지났|됐)"
)
_RELAPSE = re.compile(r"다시|또(?!래)|재발|무너|도졌|요즘들어|최근에|근데|그런데|하지만")
_WINDOW = 16


def _own(text: str, start: int) -> bool:
    """True when a first-person word stands right before the match."""
    return bool(_FIRST_BEFORE.search(text[max(0, start - 8) : start]))


def _intent_ending(text: str, end: int) -> bool:
    """``죽어버릴래``/``할래``: after a stem with a final ㄹ, ``래``/``대`` is the writer's own
    intent, not hearsay (``죽고 싶대``)."""
    last = text[end - 1 : end]
    final_rieul = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == 8
    return final_rieul and text[end : end + 1] in ("래", "대")


def _someone_else(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - _WINDOW) : start]
    after = text[end : end + _WINDOW]
    if _intent_ending(text, end):
        return bool(_SUBJECT_BEFORE.search(before))
    if _PERSON_AFTER.match(after):
        return True
    if _SUBJECT_BEFORE.search(before):
        return True
    return bool(_REPORTED_AFTER.match(after)) and bool(_NAMED_EARLIER.search(text[:start]))


def _recovered(text: str, start: int, end: int) -> bool:
    past = _PAST_AFTER.match(text[end : end + 6]) or _PAST_BEFORE.search(
        text[max(0, start - _WINDOW) : start]
    )
    if not past:
        return False
    recovery = _RECOVERY.search(text, end)
    return recovery is not None and not _RELAPSE.search(text, recovery.end())


def set_aside(text: str, start: int, end: int) -> str | None:
    """Why the crisis match ``text[start:end]`` is not the writer's present crisis, or None."""
    if _own(text, start):
        return None
    if _someone_else(text, start, end):
        return THIRD_PERSON
    if _recovered(text, start, end):
        return RECOVERED
    return None
