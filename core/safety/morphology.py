"""The morphology layer of the crisis check: Kiwi's morphemes read for wishes to die, intent,
and the language of last things.

Kiwi catches inflected forms the patterns miss (``죽고싶엇어``, ``살기 싫다``). It is the slow
part of the check, so cheap exact pre-checks decide first whether a text needs it at all;
:func:`kiwi_input` says which text that is, so the pipeline can analyse it off the loop.
"""

from __future__ import annotations

import re

from core.limits import MORPH_MAX_CHARS

# Kiwi runs only on the first characters (of each window of a long message) and only when a
# cheap prefilter sees a stem.
_MORPH_TRIGGERS = (
    "죽", "뒤지", "디지", "뒈지", "살", "싶", "사라지", "없어지", "떠나", "떠날", "끝내", "끝낼",
    "끊", "마감", "포기", "일어나", "일어났", "깨", "태어나", "태어났", "마지막", "여한", "미련",
    "끝이", "끝났", "갈게", "간다", "없을",
    # a stem's last syllable fused with its ending (사라지+ㄹ = 사라질, 사라지+어 = 사라져)
    "사라질", "사라져", "뒤질", "뒤져", "디질", "디져", "뒈질", "뒈져", "안깼",
)  # fmt: skip
# (``intent:solution``'s answer words — 답, 편하, 낫, 맞 — are not triggers: that signal also
# needs a dying or vanishing verb, which is one. Common words here cost a Kiwi call each.)


def _any_final(syllable: str) -> str:
    """A regex class for ``syllable`` with or without any final consonant: a noun or stem
    ending in an open syllable can take a particle's ㄴ/ㄹ into it (``엄만`` is 엄마+ㄴ)."""
    return f"[{syllable}-{chr(ord(syllable) + 27)}]"


# Exact pre-check for :func:`finality_hints`: every hint needs a morpheme whose surface must
# then be in the Kiwi text, so a text matching none of these cannot give a hint and is not
# analysed. Conservative on purpose (a false "maybe" costs one Kiwi call, a false "no" a
# missed hint): stems Kiwi lemmatises are matched by what every spelling shares (``전`` for
# 전하/전해/전했, ``모`` for 모으/모아/모았), open syllables with any final consonant.
_HINT_ALONE = re.compile(
    "|".join(
        (
            "여한", "미련", "준비",  # 여한/미련 (+없), 준비되었
            "(?:이제|다)끝",  # 이제끝이, (이제)다끝나었
            "먼저" + _any_final("가"), "이제" + _any_final("가"),  # 먼저갈게, 이제간다
            "오늘밤", "내일",  # 오늘밤, 내일이면
            "여기없", "나없", "난없",  # 여기없을거, 나없, 난없
            "몰래",
        )
    )
)  # fmt: skip
# 미안 with a family word or 전하다 (hint:apology)
_APOLOGY_TO = re.compile(
    "엄" + _any_final("마") + "|아" + _any_final("빠") + "|부" + _any_final("모")
    + "|다들|모" + _any_final("두") + "|전"
)
# 맡기다/나누다 with 물건/고양이/강아지 (hint:arranging)
_ARRANGE_VERB = re.compile("맡|나" + _any_final("누") + "|나" + _any_final("눠"))
_ARRANGE_WHAT = re.compile("물건|고양|강아")


def hints_possible(text: str) -> bool:
    """False only when :func:`finality_hints` cannot find anything in Kiwi's analysis of
    ``text`` (the Hangul text Kiwi is given): lets most messages skip Kiwi altogether."""
    return (
        _HINT_ALONE.search(text) is not None
        or ("미안" in text and _APOLOGY_TO.search(text) is not None)
        or ("약" in text and "모" in text)  # 약 + 모으다 (hint:hoard)
        or (_ARRANGE_VERB.search(text) is not None and _ARRANGE_WHAT.search(text) is not None)
    )


def signals_possible(text: str) -> bool:
    """False only when :func:`morph_signals` returns nothing without asking Kiwi."""
    return any(t in text for t in _MORPH_TRIGGERS)


def morph_needed(text: str) -> bool:
    """Whether the crisis check needs Kiwi's morphemes of ``text`` (its Hangul Kiwi text):
    the pre-checks of :func:`morph_signals` and :func:`morph_hints` together."""
    return bool(text) and (signals_possible(text) or hints_possible(text))

_DIE_VERBS = frozenset({"죽", "뒤지", "디지", "뒈지", "사라지"})
_NEGATIONS = frozenset({"않", "안", "없", "말"})
# "죽고 싶을 만큼 창피했어": a feeling measured in dying, not a wish (the lexicon's SHAME_AFTER).
_MEASURES = frozenset({"만큼", "정도"})
_SHAME = frozenset({"창피", "부끄럽", "민망", "쪽팔리", "쪽팔", "웃기", "설레"})
_PLACES = frozenset(
    {"동네", "집", "여기", "거기", "서울", "한국", "시골", "기숙사", "이곳", "지방"}
)

def _hangul(compact: str) -> str:
    """What Kiwi is given: the compact text's Hangul syllables, capped."""
    return "".join(ch for ch in compact[:MORPH_MAX_CHARS] if "\uac00" <= ch <= "\ud7a3")



def kiwi_input(compact: str) -> str | None:
    """The exact text the layer hands Kiwi for this compact view, or None when it needs none."""
    text = _hangul(compact)
    return text if morph_needed(text) else None


def morph_signals(compact: str) -> list[str]:
    """Crisis signals from Kiwi morphemes of the compact text (robust to spacing slips).

    ``죽다``/``뒤지다`` or ``사라지다`` followed by ``싶다`` without a negation, and
    ``살다`` followed by ``싫다`` or a negated ``싶다``.
    """
    text = _hangul(compact)
    if not text or not signals_possible(text):
        return []
    from core.morph import morphemes

    return signals_from_morphemes(morphemes(text))


def signals_from_morphemes(morphs: tuple[tuple[str, str], ...]) -> list[str]:
    """:func:`morph_signals` without its trigger pre-check (tests hold the two together)."""
    found: list[str] = []
    for i, (form, tag) in enumerate(morphs):
        if not tag.startswith("VV"):
            continue
        if form in _DIE_VERBS and _wants(morphs, i + 1):
            found.append(f"morph:{form}+싶")
        elif form == "살" and not _placed(morphs[max(0, i - 2) : i]):
            after = [f for f, _ in morphs[i + 1 : i + 4]]
            if "싫" in after or (_wants(morphs, i + 1, negated=True)):
                found.append("morph:살+싫")
    found.extend(intent_signals(morphs))
    return sorted(set(found))


# Ending one's life said with any verb of ending, not only "to die": the verb alone is
# everyday (``프로젝트 끝낼 거야``, ``여행 떠날 거야``), so it counts only with the object that
# makes it a life (``세상 떠나려고``, ``목숨 끊고 싶다``, ``인생 포기할래``).
_END_VERBS: dict[str, frozenset[str]] = {
    "떠나": frozenset({"세상", "이승"}),
    "끝내": frozenset({"삶", "인생", "목숨", "생", "나"}),
    "끊": frozenset({"목숨", "숨", "생"}),
    "마감": frozenset({"생", "삶", "인생"}),
    "포기": frozenset({"삶", "인생", "목숨", "사"}),
    "놓": frozenset({"삶", "목숨", "인생", "끈", "사"}),
}
# Endings of intent or plan after a verb: -(으)려(고), -ㄹ래, -ㄹ게, -기로, -고 싶-, -ㄹ 거(다).
_INTENT_EF = ("려고", "으려고", "려", "ᆯ래", "을래", "ᆯ래요", "ᆯ게", "을게", "ᆯ게요", "려고요")
# "죽는 게 (차라리) 편하다 / 답이다 / 맞다 / 낫다": death weighed as the way out.
_SOLUTION = frozenset({"편하", "답", "낫", "맞", "나", "좋", "해결"})
_GAME = frozenset({"게임", "롤", "캐릭터", "보스", "드라마", "영화", "주인공", "소설", "만화"})
# Someone else as the subject (``너 죽을래``, ``친구가 죽고 싶대``): not the writer's intent.
_THIRD = frozenset(
    {"친구", "걔", "동생", "엄마", "아빠", "언니", "오빠", "형", "누나", "그", "너", "니", "네"}
)


def _intent_after(morphs: tuple[tuple[str, str], ...], j: int) -> bool:
    """An intent/plan ending right after a verb stem (skipping ``-어 버리-``)."""
    nxt = [f for f, _ in morphs[j : j + 4]]
    if nxt[:2] == ["어", "버리"] or nxt[:2] == ["어버리", ""]:
        nxt = nxt[2:]
    if not nxt:
        return False
    if nxt[0] in _INTENT_EF or nxt[0] == "기로":
        return True
    if nxt[0] == "고" and len(nxt) > 1 and nxt[1] == "싶":
        return not ({f for f, _ in morphs[j + 2 : j + 8]} & (_NEGATIONS | _MEASURES | _SHAME))
    # -ㄹ 거(다), not -ㄹ 거 같다 (a fear: ``이러다 죽을 거 같아``)
    return nxt[0] in ("ᆯ", "을") and len(nxt) > 1 and nxt[1] == "거" and "같" not in nxt[2:]


def intent_signals(morphs: tuple[tuple[str, str], ...]) -> list[str]:
    """Generalising crisis signals from morphemes (whole message, in order).

    - ``intent:END+세상``: a verb of ending with a life as its object plus an intent ending;
    - ``intent:solution``: dying/vanishing nominalised and weighed as the answer
      (``사라지는 게 답``, ``죽는 게 차라리 편할 것``);
    - ``intent:not-wake``: a wish never to wake or never to have been born.
    Guards: a game or story in the message, shame words, and a third person as topic.
    """
    forms = [f for f, _ in morphs]
    fset = set(forms)
    if fset & _GAME or fset & _SHAME:
        return []
    found: list[str] = []
    for i, (form, tag) in enumerate(morphs):
        window = set(forms[max(0, i - 4) : i]) | ({"너"} if "너" in fset else set())
        # the object may follow in speech: ``이제 포기할래요 인생``
        near = window | set(forms[i + 1 : i + 6])
        if form in _END_VERBS and near & _END_VERBS[form] and _intent_after(morphs, i + 1):
            found.append(f"intent:{form}")
        dies = tag.startswith("VV") and form in _DIE_VERBS
        if dies and not (window & _THIRD) and _intent_after(morphs, i + 1):
            found.append(f"intent:{form}")
        vanishes = form in _DIE_VERBS or (form == "없" and forms[i + 1 : i + 3] == ["어", "지"])
        weighed = "는" in forms[i + 1 : i + 4] and "것" in forms[i + 1 : i + 5]
        answer = set(forms[i + 3 : i + 9]) & _SOLUTION
        if vanishes and weighed and answer and not (window & _THIRD):
            found.append("intent:solution")
        if form in ("일어나", "깨") and forms[i - 1 : i] == ["안"] and "으면" in forms[i + 1 : i + 4]:
            found.append("intent:not-wake")
        if form == "태어나" and ({"말", "안"} & set(forms[max(0, i - 1) : i + 4])):
            found.append("intent:not-born")
    return found


def finality_hints(morphs: tuple[tuple[str, str], ...]) -> list[str]:
    """Concern hints for the language of last things, by kind, from morphemes.

    Each is everyday alone (``이제 다 끝났다 기말고사``, ``안녕 잘 자``, ``오늘 밤 치킨 먹을
    거야``); two different kinds together (``이제 다 끝났어 안녕``, ``내일이면 난 여기 없을
    거야``) are how goodbyes before an attempt read, so they count like any two hints.
    """
    forms = [f for f, _ in morphs]
    fset = set(forms)
    if fset & _GAME:
        return []
    joined = "".join(forms)
    kinds: set[str] = set()
    if ({"여한", "미련"} & fset and "없" in fset) or "준비되었" in joined or "이제끝이" in joined:
        kinds.add("hint:finality")
    if "이제다끝나었" in joined or "다끝나었" in joined:
        kinds.add("hint:finality")
    # (``안녕``, ``잘 지내``, ``오늘 … -ㄹ 거`` are the lexicon's own hints: not counted twice)
    if "먼저갈게" in joined or "이제간다" in joined or ("안녕" in fset and kinds):
        kinds.add("hint:farewell")
    # (``다들`` may come out as 다 + 들: the joined forms still hold it)
    if "미안" in fset and ({"엄마", "아빠", "부모", "다들", "모두", "전하"} & fset or "다들" in joined):
        kinds.add("hint:apology")
    if "오늘밤" in joined or "내일이면" in joined:
        kinds.add("hint:time-bound")
    if "여기없을거" in joined or "나없" in joined or "난없" in joined:
        kinds.add("hint:absence")
    if "약" in fset and "모으" in fset:
        kinds.add("hint:hoard")
    if "몰래" in fset:
        kinds.add("hint:secrecy")
    if {"맡기", "나누"} & fset and ({"물건", "고양이", "강아지"} & fset):
        kinds.add("hint:arranging")
    return sorted(kinds)


def morph_hints(compact: str) -> list[str]:
    """:func:`finality_hints` over the compact text (Kiwi results are cached per text).

    Kiwi runs only when :func:`hints_possible`; otherwise Kiwi is still loaded (a no-op once
    it is), so a Kiwi that cannot load degrades every message as before, not only some.
    """
    text = _hangul(compact)
    if not text:
        return []
    from core.morph import get_kiwi, morphemes

    if not hints_possible(text):
        get_kiwi()
        return []
    return finality_hints(morphemes(text))


def _wants(morphs: tuple[tuple[str, str], ...], j: int, negated: bool = False) -> bool:
    """``-고 (만|도) 싶-`` right after a verb, negated (``않/안/없``) or not as asked.

    Requiring the connective ``고`` keeps out ``죽겠구나 싶었다`` (a fear, not a wish), and
    looking a few morphemes further catches ``죽고 싶단 생각은 안 해``.
    """
    k = j
    if k < len(morphs) and morphs[k] == ("고", "EC"):
        k += 1
    else:
        return False
    if k < len(morphs) and morphs[k][1] == "JX":
        k += 1
    if k >= len(morphs) or morphs[k][0] != "싶":
        return False
    rest = {f for f, _ in morphs[k + 1 : k + 7]}
    if not negated and {f for f, _ in morphs[k + 1 : k + 4]} & _MEASURES and rest & _SHAME:
        return False
    return bool(rest & _NEGATIONS) == negated


def _placed(before: tuple[tuple[str, str], ...]) -> bool:
    """True when ``살다`` follows a place (``이 동네 살기 싫어``): about where, not whether."""
    return any(tag == "JKB" or form in _PLACES for form, tag in before)

