"""Wishing to vanish, never to have been born, or to be gone for others' sake (passive).

Each rule: ``name``, how it counts, its level, the pattern and its guards, and example
sentences that must fire it (``examples``) and must not (``counter``). See
``core/safety/README.md`` for how to add one.
"""

from __future__ import annotations

from core.safety.rules.base import (
    CONCERN,
    CRISIS,
    FAREWELL_CONTEXT,
    FEAR_AFTER,
    NEGATED_AFTER,
    NOT_WANT,
    QUOTE_AFTER,
    SELF_SUBJ_BLOCK,
    SHAME_AFTER,
    SHAME_BEFORE,
    THING_BEFORE,
    R,
    Rule,
    rule,
)

RULES: tuple[Rule, ...] = (
    rule(
        "사라지고싶",
        CRISIS,
        R.PASSIVE,
        r"(?:사라지|없어지|소멸하|증발하|사라져버리|없어져버리|지워지|지워져버리|녹아없어지|증발해버리|소멸해버리)"
        r"(?:고|구)(?:싶|십|시퍼|파)"
        r"|(?:세상|기억|모두|사람들)(?:에서|속에서)?(?:지워졌으면|잊혀졌으면|지워지길)"
        r"|(?:내존재|나라는존재|나라는사람|존재자체|내흔적)(?:가|를|이|은)?(?:자체가|자체를|그냥|차라리|다)?"
        r"(?:지워졌으면|사라졌으면|없어졌으면|지워지길|지우고싶|없애고싶|없던걸로)"
        r"|(?:먼지|재|흙|연기|공기|별)(?:가|이|로|처럼)?(?:되고싶|되고파|되어버리고|돌아가고싶)"
        r"|(?:스르륵|조용히|흔적도없이|흔적없이|연기처럼|먼지처럼|공기중으로)[가-힣]{0,4}"
        r"(?:사라지고|사라졌으면|없어졌으면|사라지면|없어지고)",
        after=NOT_WANT + "|" + SHAME_AFTER[1:] + "|" + QUOTE_AFTER[1:] + "|" + NEGATED_AFTER[1:],
        before=SHAME_BEFORE,
        examples=("그냥 사라지고 싶어", "먼지처럼 사라지고 싶다"),
        counter=("쪽팔려서 사라지고 싶었어 ㅋㅋ", "사라지고 싶지는 않아",
                 "없어지고 싶다는 말은 아니고 혼자 있고 싶어"),
    ),
    rule(
        "내가없어졌으면",
        CRISIS,
        R.PASSIVE,
        r"(?<![가-힣])(?:내가|제가|나는|난|나|저는|전|저|나같은건|나같은|나따위)\s?"
        r"(?:(?:그냥|차라리|이제|확|이세상에서|세상에서|걍)\s?)?"
        r"(?:없어졌으면|사라졌으면|없었으면|없어져야|사라져야|없는게\s?나)",
        view="spaced",
        examples=("내가 그냥 없어졌으면 좋겠어", "난 차라리 없었으면 좋겠어"),
        counter=("모기가 없어졌으면 좋겠다", "숙제가 없어졌으면"),
    ),
    rule(
        "나없는세상",
        CRISIS,
        R.PASSIVE,
        r"(?:나|내가|제가|저)(?:만|하나만|하나|하나쯤|따위)?(?:없는|없으면|없어지면|사라지면|죽으면)"
        r"(?:세상|다들|모두|가족|엄마|다|이세상)?"
        r"[가-힣]{0,4}(?:나을|낫|편해|편할|행복|해결|평화|잘될|잘살|문제없|괜찮아질)",
        after=FEAR_AFTER,
        examples=("나 없는 세상이 더 나을 거야", "내가 사라지면 다들 편해질 거야"),
        counter=("나 없으면 어떡해 걱정돼", "나 없으면 안 돼 우리 팀"),
    ),
    rule(
        "없어졌으면",
        CONCERN,
        R.PASSIVE,
        r"(?:없어졌으면|사라졌으면|태어나지(?:말|않)|안태어났)",
        before=THING_BEFORE,
        examples=("차라리 태어나지 말았으면",),
        counter=("숙제가 없어졌으면", "스트레스가 사라졌으면 좋겠다"),
    ),
    # "Better if I were gone" without a subject (``없어지는 게 낫지``), and being a burden.
    rule(
        "없는게낫",
        CONCERN,
        R.PASSIVE,
        r"(?:없어지는|사라지는|없는|떠나는)(?:게|것이|거|편이)(?:낫|나아|나을|맞|좋|답)",
        before=THING_BEFORE,
        examples=("없어지는 게 낫지",),
        counter=("걱정이 없어지는 게 낫지", "숙제가 없는 게 낫지"),
    ),
    # Not having been born, said of oneself: a wish not to exist.
    rule(
        "태어나지말",
        CRISIS,
        R.PASSIVE,
        r"(?<![가-힣])(?:나|내가|난|나는|저|제가|전|저는)(?: 같은 (?:건|게|애|놈|년|사람|인간))?"
        r"(?: 따위(?:는|가)?)?(?: (?:그냥|차라리|애초에|처음부터|아예|진짜))?"
        r" ?(?:태어나지 ?(?:말았어야|말았으면|않았어야|않았으면|말걸|않는 ?게|말았더라면|않았더라면)"
        r"|안 ?태어났(?:어야|으면|더라면))",
        view="spaced",
        examples=("나 같은 건 태어나지 말았어야 해", "난 안 태어났으면 좋았을 텐데"),
        counter=("걔는 태어나지 말았어야 해", "태어나서 처음 먹어봐"),
    ),
    # Vanishing as a gift to the family (``없어지는 게 효도``), and the shame of being a burden.
    rule(
        "부담소멸",
        CRISIS,
        R.PASSIVE,
        r"(?:없어지는|사라지는|죽는|떠나는|없는)(?:게|것이|거|편이)[가-힣]{0,4}?"
        r"(?:효도|도와주는|돕는|도움이|모두를위한|가족을위한|다를위한)",
        before=THING_BEFORE,
        examples=("내가 없어지는 게 효도야", "죽는 게 가족을 위한 거야"),
        counter=("숙제가 없어지는 게 효도지 ㅋㅋ", "걱정이 없어지는 게 도움이 돼"),
    ),
    rule(
        "그만가고싶",
        CONCERN,
        R.PASSIVE,
        r"(?:이제|그만)(?:가고싶|가고파|갈래|가야겠)",
        before=r"(?:학교|회사|학원|집|집에|병원|교회|여기|거기|알바|출근|군대)(?:에|는|은|를|도)?(?:좀|이제|그만)*$",
        examples=("이제 그만 가고 싶어",),
        counter=("학교 이제 그만 가고 싶어", "회사 그만 가고 싶다"),
    ),
    # Disappointed to wake up and still be alive.
    rule(
        "깨어남실망",
        CRISIS,
        R.PASSIVE,
        r"(?:눈(?:을)?뜨는게|깨어나는게|일어나는게|아침이오는게|눈떠보니)(?:너무|매일|항상|또)?(?:실망|원망|절망)",
        examples=("눈 뜨는 게 너무 실망스러워", "아침이 오는 게 원망스러워"),
        counter=("아침이 오는 게 너무 좋아", "눈 뜨니까 눈이 왔어"),
    ),
    # A vehicle or an accident wished upon oneself (``차가 그냥 쳐줬으면``, ``사고라도 났으면``).
    rule(
        "사고소망",
        CRISIS,
        R.PASSIVE,
        r"(?:차|트럭|버스|택시|오토바이|기차|지하철|열차|비행기)(?:가|이|라도|나)?[가-힣]{0,6}"
        r"(?:(?:나를|날|저를)?(?:쳐줬으면|치어줬으면|덮쳐줬으면|받아줬으면|박아줬으면|쳐주면좋|치어주면좋))"
        r"|(?:차|트럭|버스|기차|지하철)(?:에|에라도|한테)(?:치였으면|치여버렸으면|받혔으면|깔렸으면)"
        r"|(?:사고|교통사고|벼락|운석)(?:라도|나)?(?:나서|맞아서|떨어져서)?[가-힣]{0,3}(?:확|그냥|콱)?"
        r"(?:죽었으면|죽어버렸으면|없어졌으면|사라졌으면|끝났으면)"
        r"|핸들(?:을)?(?:확|그냥|콱)?(?:꺾|틀)(?:어버리고싶|어버리고픈|고싶|고픈|어버릴까|어버릴래)"
        r"|(?:가드레일|중앙선|전봇대|반대차선|마주오는차)(?:에|으로|을|를)?(?:확|그냥|콱)?"
        r"(?:박아버리|들이받|넘어버리|처박|뛰어들)(?:고싶|고픈|을까|을래|어버릴까|어버리고싶)",
        before=SELF_SUBJ_BLOCK,
        context=r"주차|후진|우회전|좌회전|유턴|운전연수|도로주행|레이싱|카트|게임",
        examples=("차가 그냥 나를 쳐줬으면", "사고라도 나서 죽었으면"),
        counter=("주차하다 차가 쳐줬으면 큰일 날 뻔", "걔가 사고라도 나서 없어졌으면"),
    ),
    # "They'll do better without me": with a life's work named, not a job's.
    rule(
        "나없으면더나음",
        CRISIS,
        R.PASSIVE,
        r"(?:나|내가|제가|저)(?:만|하나만|하나)?(?:없어지면|사라지면|죽으면)[가-힣]{0,10}"
        r"(?:더잘|더행복|더편|잘키울|잘클|잘자랄|잘살|편해질|행복해질)",
        after=FEAR_AFTER,
        context=FAREWELL_CONTEXT + r"|팀|자리|휴가|출장|그만두|며칠|동안|잠깐",
        examples=("내가 없어지면 애들이 더 잘 클 거야",),
        counter=("내가 없어지면 팀이 더 잘 굴러갈 거야 휴가 동안", "나 없으면 어떡해"),
    ),
)
