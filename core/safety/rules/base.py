"""What every crisis rule is made of: the :class:`Rule`, its constructor and shared pieces.

Rules are general Korean and English patterns, not lists of known sentences.

Each :class:`Rule` is a regular expression over one view of the message (see
``normalize``) built from stems, endings and jamo shorthand, with optional guards:

- ``before``: searched in the few characters before a match (ends with ``$``); a hit means
  the match belongs to an idiom or someone else (``배고파`` + ``죽겠다``, ``돈에 목매다``);
- ``after``: matched right after it (``죽고 싶지 않아``, ``죽을까 봐``);
- ``context``: searched in the whole message; a hit (a game, a workplace farewell, a BBQ)
  turns a ``crisis`` rule into a ``concern`` hint only.

``crisis`` rules alone trigger the crisis reply; ``concern`` hints only count together
(two distinct hints, or one hint plus the classifier's crisis categories).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.safety.levels import RiskLevel as R

CRISIS = "crisis"
CONCERN = "concern"
# Pain without a wish to die: sets the message's level to distress, never pairs as a hint.
DISTRESS = "distress"


@dataclass(frozen=True)
class Rule:
    """One pattern with its guards; ``name`` appears in the decision's signals.

    ``level`` is how the rule counts (``crisis`` alone, ``concern`` only in pairs,
    ``distress`` only to set that level); ``risk`` is what it means
    (:class:`~core.safety.levels.RiskLevel`): the level of a crisis rule that fires, and
    the level a pair of concern hints reaches (at least passive). ``examples`` must fire
    the rule and ``counter`` must not (one parametrised test runs them all).
    """

    name: str
    level: str
    pattern: re.Pattern[str]
    before: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None
    view: str = "compact"  # or "spaced" for English
    risk: R = R.IDEATION
    examples: tuple[str, ...] = ()
    counter: tuple[str, ...] = ()


def rule(
    name: str,
    level: str,
    risk: R,
    pattern: str,
    before: str | None = None,
    after: str | None = None,
    context: str | None = None,
    view: str = "compact",
    examples: tuple[str, ...] = (),
    counter: tuple[str, ...] = (),
) -> Rule:
    """A :class:`Rule` from pattern strings (compiled once, at import)."""
    return Rule(
        name,
        level,
        re.compile(pattern),
        re.compile(before) if before else None,
        re.compile(after) if after else None,
        re.compile(context) if context else None,
        view,
        risk,
        examples,
        counter,
    )


# --- building blocks -----------------------------------------------------------------------
# "to die" stems incl. slang (뒤지다, 디지다), cute/typo spellings (쥭, 듁) and phonetic ones.
DIE = r"(?:죽|쥭|듁|뒤지|뒈지|디지|죽어버리|뒤져버리|주거버리)"
# "want to" with spelling slips: 싶/십/시퍼/시프/시포/파 (죽고파).
WANT = r"(?:고|구)(?:만|도|는|싶)?(?:싶|십|시퍼|시프|시포|시푸|파(?!서))"
NOT_WANT = r"^(?:지|진|지는|지도|지가|지만|진않|지않)(?:않|안|않|)"
SELF_SUBJ_BLOCK = (
    r"(?:걔|쟤|얘|그사람|그새끼|그놈|그년|걔네|니가|네가|너는|넌|너|상사|부장|팀장|사장|선배|"
    r"후배|교수|선생|담임|놈|년|새끼|자식|인간|그분|그여자|그남자|전남친|전여친)(?:가|이|는|은|도|만|좀|그냥|진짜|제발){0,3}$"
)
TASK_BEFORE = (
    r"(?:일|과제|숙제|업무|공부|작업|청소|설거지|빨래|프로젝트|게임|시험|정리|보고서|"
    r"리포트|레포트|방학|알바|회의|수업|운동|퀘스트|드라마|책|관계|연애|대화|통화|논문|원고|"
    r"이거|이것|저거|그거|이번주|연재|시즌)"
    r"(?:을|를|은|는|이|가|좀|빨리|얼른|어서|후딱|오늘|다|전부|까지|이번주|안에|내일)*$"
)
# A chore or a nuisance as the subject: ``숙제가 없어졌으면``, ``걱정이 사라지는 게 낫지``.
THING_BEFORE = (
    r"(?:숙제|과제|시험|걱정|스트레스|문제|월요일|회사|학교|일|빚|모기|벌레|여드름|살|뱃살|"
    r"코로나|수업|야근|출근|회의|잡념|고민|통증|두통|감기|잡생각|불안|짜증|미세먼지|이거|그거)"
    r"(?:이|가|은|는|도|좀|다|만|들|그냥|싹|전부)*$"
)
FAREWELL_CONTEXT = (
    r"퇴사|졸업|이사|전학|은퇴|방학|수업|학기|회사|이직|입대|군대|전역|유학|이민|여행|"
    r"내일봐|내일보|다음에봐|나중에봐|또봐|또만나|다음주|퇴근|출근|회식|모임|파티|동아리|"
    r"방송|시즌|공연|경기|종강|송별"
)
# A task, a relationship or a game just before "ending it" (``이 연애 하면서 살 바엔``).
TOPIC_NEAR = (
    r"(?:관계|연애|헤어|이혼|남친|여친|사귀|썸|계약|회사|직장|알바|프로젝트|게임|싸움|대화|숙제|과제|시험"
    r"|공부|회의|마감|보스|퀘스트|레이드|드라마|시즌|연재|구독|야근|업무|논문|리포트|작업|통화|수업|청소"
    r"|설거지|빨래)[가-힣]{0,10}$"
)
# "...면 어떡하지", "...는 건 아닐까": fear of dying, not a wish to die.
FEAR_AFTER = r"^[가-힣]{0,4}(?:어떡|어쩌|어떻게하지|어떻게해|아닐까|걱정|무서|큰일|안되|안돼)"
# "...싶을 정도/만큼": a measure of feeling, not an intent (차에 타면 뛰어내리고 싶을 정도).
MEASURE_AFTER = r"^(?:고)?(?:싶을|싶은|싶어질|픈|은|을)?(?:정도|만큼)"
# "죽고 싶을 정도는 아닌데", "사라지고 싶다는 건 아니고": the wish named and denied. A bare
# "아니" right after (``죽고싶다 아니 진짜로``) is emphasis, so a noun must stand between.
NEGATED_AFTER = (
    r"^(?:을|은|다는|단|는)?(?:정도는|정도까진|정도까지는|건|거는|게|것은|뜻은|뜻이|말은|말이)"
    r"(?:아니|아닌|아냐|아님)"
)
# "...싶을 만큼 창피했어": embarrassment or delight measured in dying, no wish to die.
SHAME_AFTER = (
    r"^(?:을|은|어질)(?:만큼|정도로?)[가-힣]{0,3}(?:창피|부끄|민망|쪽팔|웃기|웃겨|행복|좋|설레|맛있)"
)
# "쪽팔려서 사라지고 싶었어": embarrassment as the cause, said before the wish (a hyperbole).
SHAME_BEFORE = (
    r"(?:쪽팔|창피해|창피하|부끄러|민망해|민망하|쥐구멍|이불킥|흑역사|음이탈|개망신|망신당|망신을|오타|말실수)"
    r"[가-힣]{0,9}$"
)
# "노래 가사에 '사라지고 싶어'라는 부분": a quoted line of a song or a story.
QUOTE_AFTER = (
    r"^[가-힣]{0,3}?(?:라는|이라는|란|다는|단)(?:부분|가사|노래|제목|대사|구절|곡|문장|책|장면|내용|웹툰|소설|영화)"
)
# A method, a dose or a place: the objects of a lethality question.
# The word talked about, not felt: news, classes, care work, fiction. Only the bare-word
# hints take it (a feeling or intent in the same message has its own crisis rule).
MENTION_CONTEXT = (
    r"뉴스|기사|보도|교육|예방|실습|간호|환자|과제|수업|강의|캠페인|통계|논문|대사|영화|드라마|소설|가사|다큐"
    r"|번역|단어|영어로|뜻이|철자|스펠링|발음|사전"
)
GRIEF_OR_NEWS_AFTER = (
    r"^(?:을|를)?(?:했대|했다|했습|했다는|했다고|했던사람|한사람|하셨|한채|한연예인)"
)

# Verbs of stopping with an intent ending, spaced view (``그만할래``, ``그만두고 싶어``).
STOP_LIVING = (
    r"그만 ?(?:할래|하고 ?싶|둘래|두고 ?싶|할게|하려고)|관둘래|관두고 ?싶|접을래|포기할래|끝낼래"
)
