"""The crisis lexicon: every rule, gathered from its family module in ``core/safety/rules``.

Families are by meaning (``wish``, ``living``, ``vanish``, ``metaphor``, ``method``,
``self_harm``, ``plan``, ``farewell``, ``distress``, ``slang``, ``english``); each rule there carries
its level and its example sentences (``core/safety/README.md`` says how to add one). This
module only assembles them in one order and keeps the last-resort fragments.

The order is the historical one of the single-file lexicon: it decides only which of two
rules whose concern hints overlap on the same words names the hint, and keeping it keeps
every decision identical. A rule not listed in :data:`_ORDER` comes after all listed ones,
in its family's order.
"""

from __future__ import annotations

from core.safety.rules import (
    distress,
    english,
    farewell,
    living,
    metaphor,
    method,
    plan,
    self_harm,
    slang,
    vanish,
    wish,
)
from core.safety.rules.base import CONCERN, CRISIS, DISTRESS, Rule

__all__ = ["CONCERN", "CRISIS", "DISTRESS", "FALLBACK_FRAGMENTS", "FAMILIES", "RULES", "Rule"]

#: Family name → its rules, for the example test and ``buddy safety explain``.
FAMILIES: dict[str, tuple[Rule, ...]] = {
    "wish": wish.RULES,
    "living": living.RULES,
    "vanish": vanish.RULES,
    "metaphor": metaphor.RULES,
    "method": method.RULES,
    "self_harm": self_harm.RULES,
    "plan": plan.RULES,
    "farewell": farewell.RULES,
    "distress": distress.RULES,
    "slang": slang.RULES,
    "english": english.RULES,
}

_ORDER = [
    "죽고싶", "죽어버릴", "뒤질래", "죽었으면", "죽는방법", "죽을생각", "죽음생각", "죽으면", "죽어마땅", "죽음각오", "숨멈춤", "안돌아옴",
    "높은창문", "따라죽", "자살의도", "자살", "jamo", "극단적선택", "극단적생각", "극단적", "자해", "자해어", "반복긋기", "손목",
    "자상", "살기싫", "살고싶지않", "안살고싶", "살고싶겠냐", "끝내고싶", "끝났으면", "정리하고떠남", "끝내고", "못버팀", "목숨", "영원히잠",
    "사라지고싶", "내가없어졌으면", "나없는세상", "세상을떠나", "없어졌으면", "없는게낫", "짐", "태어나지말", "유서", "유서어", "유서둠",
    "마지막인사", "나없어도", "작별", "떠남", "정리", "약물", "삶지침", "다리위", "위험한곳", "수단구함", "결행시점", "과량복용",
    "상처숨김", "독극물", "수단마련", "과량", "수면제", "번개탄", "목매", "뛰어내리", "투신어", "추락", "치명성질문", "자해없이못견딤",
    "자해재발", "모은약", "결행계획", "사후당부", "뒷일부탁", "부재예고", "미련없음", "부담소멸", "면목없음", "그만가고싶", "죽으라는말",
    "몸던짐", "수단만있으면", "깨어남실망", "눈뜨기괴로움", "영원정지", "삶포기", "자기구타", "위험한곳행", "영영안돌아옴", "무덤", "생접기",
    "사는거그만", "사고소망", "추락의도", "목맬곳", "수단반추", "약비축", "미수생존", "도움실패결행", "수단으로끝", "피나게", "자해고백",
    "자기처벌", "위험한곳계획", "장소답사", "날짜정함", "혼자결행", "두려움없음", "다음엔더", "유일한출구", "끝내는게답", "사느니", "데려가줘",
    "자해효과", "담배빵", "위장외출", "나없으면더나음", "인생마지막", "부재통보", "디데이", "사후처리", "한발짝", "사고위장", "유언준비",
    "놓고떠남", "가고싶완곡", "방치소멸", "들키기전", "죽음어", "치명성문의", "수단찾기", "떠남도리", "끝의암시", "늦은작별", "뜬금감사",
    "맡길곳", "자해흔적", "행위상상", "수단손에", "지금그곳", "방금과량", "이제뛸게", "en:now", "마음고통", "숨막힘", "en:die",
    "en:sh", "en:goodbye", "en:suicide", "en:slang", "mixed",
]
_RANK = {name: i for i, name in enumerate(_ORDER)}

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (r for family in FAMILIES.values() for r in family),
        key=lambda r: _RANK.get(r.name, len(_RANK)),
    )
)

# When everything else failed: a few unmistakable fragments of the compact view.
FALLBACK_FRAGMENTS: tuple[str, ...] = (
    "죽고싶",
    "죽고십",
    "자살하고",
    "자살할",
    "자해",
    "ㅈㄱㅅㄷ",
    "살기싫",
    "살고싶지않",
    "죽어버리",
    "뒤지고싶",
    "유서",
    "목매",
    "뛰어내리",
    "killmyself",
    "wanttodie",
    "suicid",
)
