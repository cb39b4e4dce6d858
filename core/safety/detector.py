"""Crisis detection: patterns first, morphology and the classifier as further signals.

The pattern layer alone is enough to flag a crisis; Kiwi morphology catches inflected
forms the patterns miss, and the classifier's crisis categories only add a signal. Any
internal failure degrades to a smaller layer, never to "no crisis": :func:`assess` does not
raise and does not fail open.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from core.classify.base import Prediction
from core.limits import MORPH_MAX_CHARS, SAFETY_WINDOW_CHARS, SAFETY_WINDOW_OVERLAP
from core.safety import guards
from core.safety.grading import MORPH_HINTS, can_cue, grade_match, hint_name, signal_level
from core.safety.levels import CRISIS_FROM, RiskLevel
from core.safety.lexicon import CRISIS, DISTRESS, FALLBACK_FRAGMENTS, RULES, Rule
from core.safety.normalize import Views, views

log = logging.getLogger(__name__)

CRISIS_CATEGORIES: frozenset[str] = frozenset({"감정/자살충동", "증상/자살시도", "증상/자해"})
# The classifier's probability for a crisis category that, together with one lexical hint,
# flags a crisis; and the probability that flags one alone (near-verbatim training phrasing).
# The embedded linear model is confident on single words (``팔에 문신했어`` → 자해 0.91,
# ``오래오래 건강하게 살고 싶어`` → 자살충동 0.85): measured over our sets and the wellness
# CSV, "alone at 0.80" caught 1 message the patterns missed and raised 14 false alarms, so
# alone it must be all but certain.
CLASSIFIER_WITH_HINT = 0.35
CLASSIFIER_ALONE = 0.99
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

# The yes/no detector's verdict strings; :meth:`RiskLevel.parse` still reads them.
NONE, LEVEL_CONCERN, LEVEL_CRISIS = "none", "concern", "crisis"


@dataclass(frozen=True)
class Match:
    """Where a rule matched: what an operator or ``buddy safety explain`` is shown.

    ``text`` is the matched substring of the view the rule reads (``compact`` has no
    spaces); ``kind`` is how the rule counts (``crisis``, ``concern``, ``distress``) and
    ``risk`` the level this match means after its raises (:func:`grading.grade_match`).
    """

    rule: str
    view: str
    start: int
    end: int
    text: str
    kind: str
    risk: RiskLevel


@dataclass(frozen=True)
class SafetyAssessment:
    """The safety check's decision and why: ``signals`` name every rule that fired.

    ``level`` is the :class:`RiskLevel`; ``crisis`` (the crisis reply) is always
    ``level >= passive`` and kept for the callers that only need yes or no. ``matches``
    say where each counted rule matched; ``cue`` is the level the message's unpaired hints
    would mean (``오늘이 마지막이야`` alone: plan), which the conversation's history may
    turn into a crisis (:mod:`core.safety.trajectory`).
    """

    crisis: bool
    signals: tuple[str, ...]
    level: RiskLevel = RiskLevel.NONE
    matches: tuple[Match, ...] = ()
    cue: RiskLevel = RiskLevel.NONE

    def __post_init__(self) -> None:
        # Never fail open: a crisis flag without a level is ideation; a legacy or unknown
        # level string never lowers a crisis.
        try:
            level = RiskLevel.parse(self.level)
        except ValueError:
            level = RiskLevel.NONE
        if self.crisis and level < CRISIS_FROM:
            level = RiskLevel.IDEATION
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "crisis", bool(self.crisis) or level >= CRISIS_FROM)

    @property
    def risk_level(self) -> str:
        """The level's label (``"plan"``), as the API and logs show it."""
        return self.level.label


def _rule_hits(rule: Rule, v: Views) -> tuple[list[tuple[int, int]], bool, bool]:
    """(spans of unguarded matches, whether a match was downgraded by its context guard,
    whether a match was vetoed by its ``before``/``after`` guard)."""
    text = v.spaced if rule.view == "spaced" else v.compact
    spans: list[tuple[int, int]] = []
    vetoed = False
    for m in rule.pattern.finditer(text):
        if rule.before is not None and rule.before.search(text[max(0, m.start() - 14) : m.start()]):
            vetoed = True
            continue
        if rule.after is not None and rule.after.match(text[m.end() : m.end() + 14]):
            vetoed = True
            continue
        if rule.context is not None and rule.context.search(text):
            return [], True, vetoed
        spans.append(m.span())
    return spans, False, vetoed


def _first_chars(items: list[tuple[object, object]]) -> set[str] | None:
    """Every character a match of the parsed regex ``items`` can begin with, or None when
    that is not known (a category like ``\\s``, a negated class, ``.``, an empty match).

    Zero-width items (lookarounds, anchors) are stepped over: they consume nothing.
    """
    from re import _constants as sre  # type: ignore[attr-defined]

    out: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            return out | {chr(av)}  # type: ignore[arg-type]
        if op is sre.IN:
            for kind, arg in av:  # type: ignore[attr-defined]
                if kind is sre.LITERAL:
                    out.add(chr(arg))
                elif kind is sre.RANGE:
                    out.update(chr(c) for c in range(arg[0], arg[1] + 1))
                else:
                    return None
            return out
        if op is sre.SUBPATTERN:
            sub = _first_chars(av[3])  # type: ignore[index]
            return None if sub is None else out | sub
        if op is sre.BRANCH:
            for alt in av[1]:  # type: ignore[index]
                sub = _first_chars(alt)
                if sub is None:
                    return None
                out |= sub
            return out
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, _high, body = av  # type: ignore[misc]
            sub = _first_chars(body)
            if sub is None:
                return None
            out |= sub
            if low > 0:
                return out
            continue  # may repeat zero times: the next item can begin the match too
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
            continue
        return None
    return None  # the whole pattern can match the empty string


def _gate(patterns: list[re.Pattern[str]]) -> str:
    """A lookahead for the characters any of ``patterns`` can begin with, or "".

    Python's regex engine tries every alternative at every position; with the gate it tries
    them only where a rule could start (about half the positions of a Korean message), and
    the alternation does the same work in about half the time. Exact, not a heuristic: a
    pattern whose first characters are unknown leaves the view ungated.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        chars: set[str] = set()
        for p in patterns:
            if p.flags & re.IGNORECASE:
                return ""
            first = _first_chars(list(_parser.parse(p.pattern)))
            if first is None:
                return ""
            chars |= first
    except Exception:  # a Python without re._parser: the plain alternation still works
        return ""
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])" if chars else ""


def _any_rule(rules: tuple[Rule, ...]) -> dict[str, re.Pattern[str]]:
    """One alternation of every rule's pattern per view: most messages match none, and one
    search over the text then replaces one search per rule (a rule fires only on a match).
    A gate on the characters a rule can begin with skips the positions where none can."""
    out: dict[str, re.Pattern[str]] = {}
    for view in {rule.view for rule in rules}:
        same = [rule.pattern for rule in rules if rule.view == view]
        if len({p.flags for p in same}) != 1:
            continue  # mixed flags cannot share one pattern: that view is not prefiltered
        alternation = "|".join(f"(?:{p.pattern})" for p in same)
        out[view] = re.compile(f"{_gate(same)}(?:{alternation})", same[0].flags)
    return out


_prefilter: tuple[tuple[Rule, ...], dict[str, re.Pattern[str]] | None] | None = None
# The prefilter's verdicts for recent messages: the Kiwi prefetch and ``assess`` ask for the
# same message one after the other. Emptied whenever the rule list (so the prefilter) changes.
_verdicts: dict[Views, bool] = {}
_VERDICTS_MAX = 1024


def _no_rule_can_match(v: Views) -> bool:
    """True only when no rule's pattern occurs in its view, so no rule could fire."""
    global _prefilter
    if _prefilter is None or _prefilter[0] is not RULES:
        try:
            built: dict[str, re.Pattern[str]] | None = _any_rule(RULES)
        except re.error:  # a rule the alternation cannot hold: check rule by rule
            built = None
        if built is not None and set(built) != {rule.view for rule in RULES}:
            built = None
        _verdicts.clear()
        _prefilter = (RULES, built)
    prefilter = _prefilter[1]
    if prefilter is None:
        return False
    known = _verdicts.get(v)
    if known is not None:
        return known
    verdict = not any(
        p.search(v.spaced if view == "spaced" else v.compact) for view, p in prefilter.items()
    )
    if len(_verdicts) >= _VERDICTS_MAX:
        _verdicts.clear()
    _verdicts[v] = verdict
    return verdict


# Where a crisis rule matched: (rule name, view, start, end), for the whose-crisis guards.
Span = tuple[str, str, int, int]


def pattern_signals(
    v: Views,
    explained: set[str] | None = None,
    found: list[Span] | None = None,
    vetoed: set[str] | None = None,
    matched: list[Match] | None = None,
) -> tuple[list[str], list[str]]:
    """Crisis signals and concern hints from the lexicon.

    Concern hints count once per distinct place in the message: ``옥상`` matched by two
    rules is one cue, ``옥상`` and ``난간`` are two (``hint:다리위``, ``hint:다리위#2``).
    Hints of crisis rules that their context explained (``졸업식에서 마지막 인사``) are also
    added to ``explained``, when given: they still pair with another hint, but not with the
    classifier, which cannot see that context either. ``found`` receives where each crisis
    rule matched, ``vetoed`` the crisis rules whose own idiom guard rejected a match, and
    ``matched`` every counted match with its graded level (distress rules only go there:
    they set a level, never a signal that pairs).
    """
    crisis: list[str] = []
    concern: list[str] = []
    taken: list[tuple[str, int, int]] = []
    if _no_rule_can_match(v):
        return crisis, concern
    for rule in RULES:
        spans, downgraded, refused = _rule_hits(rule, v)
        if refused and rule.level == CRISIS and vetoed is not None:
            vetoed.add(rule.name)
        if spans and rule.level == CRISIS:
            crisis.append(f"phrase:{rule.name}")
            if found is not None:
                found.extend((rule.name, rule.view, start, end) for start, end in spans)
            if matched is not None:
                _note(matched, rule, v, spans, CRISIS)
            continue
        if downgraded and rule.level == CRISIS:
            concern.append(f"hint:{rule.name}")
            if explained is not None:
                explained.add(f"hint:{rule.name}")
            continue
        if rule.level == DISTRESS:
            if spans and matched is not None:
                _note(matched, rule, v, spans, DISTRESS)
            continue
        fresh = [
            (start, end)
            for start, end in spans
            if not any(view == rule.view and start < e and s < end for view, s, e in taken)
        ]
        taken.extend((rule.view, start, end) for start, end in spans)
        for n, _ in enumerate(fresh, start=1):
            concern.append(f"hint:{rule.name}" + (f"#{n}" if n > 1 else ""))
        if fresh and matched is not None:
            _note(matched, rule, v, fresh, rule.level)
    return crisis, concern


def _note(
    matched: list[Match], rule: Rule, v: Views, spans: list[tuple[int, int]], kind: str
) -> None:
    """Record ``rule``'s matches with the level each means where it stands."""
    text = v.spaced if rule.view == "spaced" else v.compact
    for start, end in spans:
        risk = rule.risk if kind == DISTRESS else grade_match(rule.risk, text, start, end)
        matched.append(Match(rule.name, rule.view, start, end, text[start:end], kind, risk))


def _hangul(compact: str) -> str:
    """What Kiwi is given: the compact text's Hangul syllables, capped."""
    return "".join(ch for ch in compact[:MORPH_MAX_CHARS] if "\uac00" <= ch <= "\ud7a3")


def morph_input(text: str) -> str | None:
    """The exact text :func:`assess` hands Kiwi for ``text``, or None when it needs none.

    Lets the pipeline analyse messages that arrive together in one batched Kiwi call off
    the event loop (filling the shared cache) before it calls :func:`assess`.
    """
    try:
        key = _hangul(views(text).compact)
        return key if morph_needed(key) else None
    except Exception:  # assess itself will decide; this is only an optimisation
        return None


def morph_inputs(text: str) -> list[str]:
    """Every text :func:`assess` hands Kiwi for ``text``: :func:`morph_input`'s, and when
    the whose-crisis guards set a phrase aside, the rest of the message it checks again.

    Prefetching both keeps Kiwi off the event loop for those messages too. Only an
    optimisation: any failure here leaves ``assess`` to analyse what it needs itself.
    """
    try:
        v = views(text)
        keys = [_hangul(v.compact)]
        if not _no_rule_can_match(v):
            found: list[Span] = []
            pattern_signals(v, found=found)
            aside = _set_aside(v, found) if found else None
            if aside is not None:
                keys.append(_hangul(aside[0].compact))
        return [k for k in dict.fromkeys(keys) if morph_needed(k)]
    except Exception:
        return []


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


def classifier_probability(prediction: Prediction | None) -> tuple[str, float] | None:
    """The classifier's most likely crisis category and its probability, if any."""
    if prediction is None:
        return None
    pairs = list(prediction.top_k) or [(prediction.category, prediction.confidence)]
    best: tuple[str, float] | None = None
    for category, prob in pairs:
        if category in CRISIS_CATEGORIES and (best is None or prob > best[1]):
            best = (category, float(prob))
    return best


def classifier_signal(prediction: Prediction | None) -> str | None:
    """``classifier:CATEGORY@P`` when a crisis category is likely enough to count, else None."""
    best = classifier_probability(prediction)
    if best is None or best[1] < CLASSIFIER_WITH_HINT:
        return None
    return f"classifier:{best[0]}@{best[1]:.2f}"


def _decide(
    crisis: list[str],
    concern: list[str],
    prediction: Prediction | None,
    explained: frozenset[str] | set[str] = frozenset(),
    notes: tuple[str, ...] = (),
    matched: tuple[Match, ...] = (),
) -> SafetyAssessment:
    signals = list(crisis) + list(notes)
    hints = sorted(set(concern))
    unexplained = [h for h in hints if h not in explained]
    classifier = classifier_signal(prediction)
    best = classifier_probability(prediction)
    if not crisis and len(hints) >= 2:
        signals.append("combo:hints")
    if classifier is not None:
        signals.append(classifier)
        if not crisis and (unexplained or (best is not None and best[1] >= CLASSIFIER_ALONE)):
            signals.append("combo:classifier")
    signals.extend(h for h in hints if h not in signals)
    signals.extend(dict.fromkeys(f"distress:{m.rule}" for m in matched if m.kind == DISTRESS))
    level, cue = _level(signals, crisis, hints, unexplained, classifier, matched)
    combo = any(s.startswith("combo:") for s in signals)
    if not crisis and not combo and level is RiskLevel.DISTRESS and cue >= CRISIS_FROM:
        # pain and a hint of last things in one message (``너무 힘들어 약 모아놨어``): the same
        # pairing :mod:`core.safety.trajectory` makes across turns
        signals.append("combo:distress")
        level = cue
    is_crisis = bool(crisis) or any(s.startswith("combo:") for s in signals)
    if is_crisis and level < CRISIS_FROM:  # a crisis is never graded below the crisis reply
        level = RiskLevel.IDEATION
    return SafetyAssessment(is_crisis, tuple(signals), level, matched, cue)


def _hint_risk(hint: str, risks: dict[str, RiskLevel]) -> RiskLevel:
    if hint in MORPH_HINTS:
        return MORPH_HINTS[hint]
    return risks.get(hint_name(hint), RiskLevel.NONE)


def _level(
    signals: list[str],
    crisis: list[str],
    hints: list[str],
    unexplained: list[str],
    classifier: str | None,
    matched: tuple[Match, ...],
) -> tuple[RiskLevel, RiskLevel]:
    """(the message's level, its cue): see :mod:`core.safety.grading` for the mapping."""
    risks: dict[str, RiskLevel] = {}
    for m in matched:
        risks[m.rule] = max(risks.get(m.rule, RiskLevel.NONE), m.risk)
    level = RiskLevel.NONE
    for signal in crisis:
        name = signal.removeprefix("phrase:")
        level = max(level, risks[name] if name in risks else signal_level(signal))
    hint_levels = [_hint_risk(h, risks) for h in hints]
    if "combo:hints" in signals:
        level = max(level, RiskLevel.PASSIVE, *hint_levels)
    if "combo:classifier" in signals and classifier is not None:
        level = max(level, signal_level(classifier), *hint_levels)
    if level < RiskLevel.DISTRESS and (
        any(m.kind == DISTRESS for m in matched) or RiskLevel.DISTRESS in hint_levels
    ):
        level = RiskLevel.DISTRESS
    cue = max((_hint_risk(h, risks) for h in unexplained if can_cue(h)), default=RiskLevel.NONE)
    return level, cue


def _fallback(text: str) -> SafetyAssessment:
    """Last resort when even the pattern layer failed: a plain substring check."""
    try:
        compact = "".join(ch for ch in str(text).lower() if ch.isalnum())
        hits = [f for f in FALLBACK_FRAGMENTS if f in compact]
    except Exception:  # text was not even a string; nothing to read
        hits = []
    if hits:
        return SafetyAssessment(
            True, ("fallback:substring", *(f"phrase:{h}" for h in hits)), RiskLevel.IDEATION
        )
    return SafetyAssessment(False, ("fallback:substring",), RiskLevel.NONE)


# Which pattern rules say the same as a morphology signal about a verb: when such a rule's
# own idiom guard refused the phrase (``쪽팔려서 사라지고 싶었어``, a quoted song line) and
# none of them fired, the morphology signal about that verb is the same phrase seen again.
_MORPH_FAMILIES: dict[str, frozenset[str]] = {
    "죽": frozenset({"죽고싶", "죽어버릴"}),
    "뒤지": frozenset({"죽고싶", "뒤질래"}),
    "디지": frozenset({"죽고싶", "뒤질래"}),
    "뒈지": frozenset({"죽고싶", "뒤질래"}),
    "사라지": frozenset({"사라지고싶"}),
    "살": frozenset({"살기싫", "살고싶지않", "안살고싶"}),
}


def _refused_by_patterns(signal: str, vetoed: set[str], fired: set[str]) -> bool:
    """True when ``signal`` (``morph:죽+싶``, ``intent:사라지``) repeats a vetoed phrase."""
    verb = signal.split(":", 1)[-1].split("+", 1)[0]
    family = _MORPH_FAMILIES.get(verb)
    return family is not None and bool(family & vetoed) and not family & fired


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by a separator no rule matches across."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "|" * (end - start)
    return "".join(chars)


@dataclass
class _Found:
    """What the layers found in one view of a message."""

    crisis: list[str]
    concern: list[str]
    explained: set[str]
    spans: list[Span]
    matched: list[Match]


def _layers(v: Views) -> _Found:
    """Crisis signals, concern hints, explained hints, crisis spans and graded matches."""
    explained: set[str] = set()
    found: list[Span] = []
    vetoed: set[str] = set()
    matched: list[Match] = []
    crisis, concern = pattern_signals(v, explained, found, vetoed, matched)
    fired = {c.removeprefix("phrase:") for c in crisis}
    try:
        for signal in morph_signals(v.compact):
            if signal not in crisis and not _refused_by_patterns(signal, vetoed, fired):
                crisis.append(signal)
        concern.extend(morph_hints(v.compact))
    except Exception:
        log.exception("morphology unavailable for the crisis check; patterns only")
        concern.append("degraded:morph")
    return _Found(crisis, concern, explained, found, matched)


def _set_aside(v: Views, found: list[Span]) -> tuple[Views, tuple[str, ...]] | None:
    """The message without crisis phrases that are someone else's or long past, with the
    ``guard:`` notes saying why; None when every crisis phrase is the writer's own now."""
    reasons: set[str] = set()
    blank: dict[str, list[tuple[int, int]]] = {"compact": [], "spaced": []}
    for _name, view, start, end in found:
        text = v.spaced if view == "spaced" else v.compact
        why = guards.set_aside(text, start, end)
        if why is not None:
            reasons.add(why)
            blank[view].append((start, end))
    if not reasons:
        return None
    rest = Views(v.original, _blank(v.spaced, blank["spaced"]), _blank(v.compact, blank["compact"]))
    return rest, tuple(f"guard:{r}" for r in sorted(reasons))


def assess(text: str, prediction: Prediction | None = None) -> SafetyAssessment:
    """Decide whether a message is a crisis and how serious. Pure, fast, never raises,
    never fails open.

    A message longer than one window is judged whole and also window by window (windows of
    :data:`~core.limits.SAFETY_WINDOW_CHARS` that overlap): every layer, Kiwi included, then
    reads every part of it, so ``일 얘기 ... (8,000자) ... 죽고 싶어`` is a crisis. Only the
    first window gets ``prediction``: the classifier read only the start of the message.
    """
    whole = _assess_one(text, prediction)
    if whole.crisis or not isinstance(text, str) or len(text) <= SAFETY_WINDOW_CHARS:
        return whole
    try:
        for start, window in windows(text):
            verdict = _assess_one(window, prediction if start == 0 else None)
            if verdict.crisis:
                return SafetyAssessment(True, (*verdict.signals, f"window@{start}"),
                                        verdict.level)
    except Exception:  # the whole-message verdict stands; the fallback reads everything too
        log.exception("windowed crisis check failed; adding the substring fallback")
        fallback = _fallback(text)
        return fallback if fallback.crisis else whole
    return whole


def windows(text: str) -> list[tuple[int, str]]:
    """``(start, part)`` windows covering ``text``: each part overlaps the next one."""
    step = SAFETY_WINDOW_CHARS - SAFETY_WINDOW_OVERLAP
    last = max(0, len(text) - SAFETY_WINDOW_CHARS)
    starts = list(range(0, last + 1, step))
    if starts[-1] != last:
        starts.append(last)
    return [(s, text[s : s + SAFETY_WINDOW_CHARS]) for s in starts]


def _assess_one(text: str, prediction: Prediction | None = None) -> SafetyAssessment:
    """:func:`assess` for one window (or a short message).

    Crisis phrases about someone else (``친구가 죽고 싶대``) or a recovered past are set
    aside and the rest of the message is checked again: the writer's own words in the
    same message (``나도 죽고 싶어``) still flag it.
    """
    try:
        v = views(text)
        f = _layers(v)
    except Exception:
        log.exception("crisis pattern layer failed; using the substring fallback")
        return _fallback(text)
    notes: tuple[str, ...] = ()
    if f.crisis and f.spans:
        try:
            aside = _set_aside(v, f.spans)
            if aside is not None:
                rest, notes = aside
                f = _layers(rest)
        except Exception:  # the guards only ever lower a verdict: keep the full one
            log.exception("crisis guards failed; keeping the unguarded verdict")
            notes = ()
    try:
        verdict = _decide(f.crisis, f.concern, prediction, f.explained, notes, tuple(f.matched))
    except Exception:
        log.exception("crisis decision failed; deciding on patterns alone")
        return SafetyAssessment(bool(f.crisis), tuple(f.crisis))
    return with_learned(verdict, v)


def learned_level(result: object) -> tuple[tuple[str, ...], RiskLevel | None]:
    """(signals, level) from what ``learned.learned_signals`` returned: a ``(signals,
    level)`` pair, an object with ``signals`` and ``level``, or a bare list of signal names
    (ungraded: level None)."""
    if isinstance(result, tuple) and len(result) == 2 and not isinstance(result[0], str):
        signals, level = result
    elif hasattr(result, "signals") and hasattr(result, "level"):
        signals, level = result.signals, result.level  # type: ignore[attr-defined]
    else:
        return (tuple(result) if result else ()), None  # type: ignore[call-overload]
    signals = tuple(signals or ())
    if not signals or level is None:
        return signals, None
    return signals, RiskLevel.parse(level)


def with_learned(verdict: SafetyAssessment, v: Views) -> SafetyAssessment:
    """The rules' verdict raised by the learned model (it never lowers one).

    Consulted only when the rules saw no crisis: the rules grade what they recognise more
    reliably than the model's level head, and skipping saves the encoder's ~13 ms.

    Not consulted when a guard set a phrase aside (``guard:third-person``,
    ``guard:recovered``): the rules then know whose words those are, and the rest of the
    message was already checked again without them; the model cannot tell. Broken or
    missing, the rules decide alone.
    """
    if verdict.crisis or any(s.startswith("guard:") for s in verdict.signals):
        return verdict  # the rules' level stands; the encoder is not needed
    try:
        from core.safety.learned import learned_signals

        signals, level = learned_level(learned_signals(v))
    except Exception:
        log.exception("learned crisis signal unavailable; rules only")
        return verdict
    if not signals:
        return verdict
    if level is None:  # ungraded: a crisis of unknown kind, unless the rules saw one
        level = verdict.level if verdict.crisis else RiskLevel.IDEATION
    return replace(
        verdict,
        crisis=verdict.crisis or level >= CRISIS_FROM,
        signals=(*verdict.signals, *signals),
        level=max(level, verdict.level),
    )
