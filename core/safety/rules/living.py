"""Not wanting to live, ending one's life or giving it up (passive wishes and ideation).

Each rule: ``name``, how it counts, its level, the pattern and its guards, and example
sentences that must fire it (``examples``) and must not (``counter``). See
``core/safety/README.md`` for how to add one.
"""

from __future__ import annotations

from core.safety.rules.base import (
    CONCERN,
    CRISIS,
    MEASURE_AFTER,
    STOP_LIVING,
    TASK_BEFORE,
    TOPIC_NEAR,
    R,
    Rule,
    rule,
)

RULES: tuple[Rule, ...] = (
    rule(
        "살기싫",
        CRISIS,
        R.PASSIVE,
        r"살기(?:가|도)?(?:싫|실|시러|싦)|사는게싫",
        before=r"(?:동네|집|여기|거기|이곳|저곳|서울|지방|시골|한국|기숙사|자취|원룸|에서|에|랑|와|과|하고)$",
    ),
    rule(
        "살고싶지않",
        CRISIS,
        R.PASSIVE,
        r"살(?:고|구)(?:싶|십)(?:지|진|지는|지가)?(?:않|안)"
        r"|살(?:고|구)싶은(?:마음|생각|의지|맘)(?:이|은|도)?(?:하나도|전혀|더이상|이제)?(?:없|안)"
        r"|(?:그만|이제그만|더이상|더는)살(?:고싶|래|기싫|고시|아야하나)"
        r"|살아서(?:뭐해|뭐하|뭐함|뭐할|뭐하냐|뭐하나|뭐가)"
        r"|(?:버틸|견딜|살|살아갈|살아야할)이유(?:가|도|는)?(?:더는|이제|하나도)?(?:없|사라)"
        r"|살(?:아갈|아야할|아야하는|아야될|아있을|)(?:이유|의미|가치)(?:가|를|도|는|을)?"
        r"(?:없|모르|하나도|못찾|더는|못느|있을까|있나|뭘까|뭐야|뭔지)"
        r"|살아(?:있는|있다는|가는)(?:게|것이|거|것)(?:자체가)?(?:고통|지옥|괴로|형벌|벌|죄|고문)"
        r"|살아갈(?:자신|용기)(?:이|도|은)?(?:없|안)"
        r"|(?:사는게|사는것이|살아가는게|살아있는게|인생이|삶이)(?:다|이제|계속|정말|진짜|너무)?"
        r"(?:아무|하나도)?(?:의미가없|의미도없|무의미|무슨의미(?:냐|야|가있|인지))",
    ),
    rule(
        "안살고싶",
        CRISIS,
        R.PASSIVE,
        r"(?:안|못)살(?:고|구)(?:싶|십|시퍼|파)",
        before=r"(?:동네|집|여기|거기|이곳|저곳|서울|지방|시골|한국|기숙사|자취|원룸|에서|에|랑|와|과|하고)$",
        context=r"옷|쇼핑|가격|비싸|구매|신발|가방|할인|세일|사지|살까|장바구니|주문",
    ),
    # The rhetorical question "who/how could I want to live?" (``살고 싶겠어``).
    rule(
        "살고싶겠냐",
        CRISIS,
        R.PASSIVE,
        r"살(?:고|구)(?:싶겠|싶을까|싶겠냐|싶겠니|싶겠나)",
        before=r"(?:동네|집|여기|거기|이곳|저곳|서울|지방|시골|한국|기숙사|자취|원룸|에서|에|랑|와|과|하고)$",
        context=r"동네|이런곳|이런데|이런집|나라|층간소음|월세|전세",
    ),
    rule(
        "끝내고싶",
        CRISIS,
        R.IDEATION,
        r"(?:다|전부|모든걸|모든것을|모든것|모두|인생|삶|생|이생|목숨|세상|나를|나자신을)"
        r"(?:을|를|은|다|여기서|이제|그냥|오늘|이쯤에서|그만)*"
        r"(?:끝내|끝낼|끝장내|끝장낼|마감하|마감할|마치고싶|정리하고싶)",
        before=TASK_BEFORE,
        after=r"^(?:고왔|었|셨|시|했대|했다)",
    ),
    rule(
        "끝났으면",
        CRISIS,
        R.PASSIVE,
        r"(?:인생|삶|모든게|모든것이|이생|내인생|세상)(?:이|가|은|도)?(?:그냥|다|이제|여기서|빨리)*"
        r"(?:끝났으면|끝나버렸으면|끝나버리면|끝나면좋)"
        r"|(?:자고|눈떠보니|깨어나면)?일어나면(?:그냥|다|이제|모든게|전부|세상이)*"
        r"끝나(?:있었으면|있으면좋|있길|버렸으면)",
        context=r"시험|과제|숙제|방학|수술|치료|공사|장마|회의|야근|출장|마감|발표|면접|군대|훈련",
    ),
    rule(
        "끝내고",
        CONCERN,
        R.IDEATION,
        r"끝내고(?:싶|십|시퍼)|끝낼(?:래|거|꺼|게|께|까)|그만하고싶|끝내버리|끝내려|끝내야겠",
        before=TASK_BEFORE,
        # a game level or a habit to quit (``게임 보스 끝내버리고 싶다``, ``담배 사는 거 그만하고 싶어``):
        # no hint, so the classifier's word-level guess has nothing to pair with
        context=r"게임|보스|레이드|던전|퀘스트|배그|롤|캐릭|담배|쇼핑|택배|지름|야식|폰게임|유튜브|넷플",
    ),
    # Nothing left to hold on to in this world (``세상에 미련 없어``).
    rule(
        "미련없음",
        CRISIS,
        R.IDEATION,
        r"(?:세상|이세상|삶|인생|이승)(?:에|에는|엔|에대한)?(?:더이상|더는|이제|아무|하나도|아무런){0,2}"
        r"미련(?:이|도|은|따위)?(?:없|하나도없)",
        context=r"게임|여행|버킷|다해봤|먹어봤|해봤|회사|직장|연애|전남친|전여친",
    ),
    # Giving up one's life, the object before or after the verb (``이제 포기할래요 인생``).
    rule(
        "삶포기",
        CRISIS,
        R.IDEATION,
        r"(?:인생|삶|목숨|사는거|사는것|살기)(?:을|를|은|도)?(?:그냥|이제|다|그만){0,2}(?:포기|내려놓)"
        r"(?:할래|할게|하려|하고싶|할거|하기로|하겠|해버릴|을래|을게|으려|고싶|기로)"
        r"|(?:포기|내려놓)(?:할래|할게|하려고|할거|하기로|을래|을게)(?:요)?(?:인생|삶|목숨)",
        after=MEASURE_AFTER,
        context=r"게임|롤|캐릭|공부|수학|시험|연애|다이어트|운동",
    ),
    # Stopping living, the verb before the object or the object first (``이제 그만할래 사는거``,
    # ``숨 쉬는 것도 그만하고 싶어``). The object first only after an adverb or nothing, so
    # ``옷 사는 거 그만할래`` (buying) stays out.
    rule(
        "사는거그만",
        CRISIS,
        R.IDEATION,
        r"(?:" + STOP_LIVING + r")(?:어요|어|요)? "
        r"(?:(?:그냥|이제|다) )?(?:사는 ?거|사는 ?것|사는 ?게|삶|인생|살기|숨 ?쉬는 ?거|숨 ?쉬기)\b"
        r"|(?:^|(?:이제|그냥|진짜|정말|나|난|다|더는|더이상|솔직히|차라리|그냥 다) )"
        r"(?:사는 ?거|사는 ?것|살기|숨 ?쉬는 ?거|숨 ?쉬는 ?것|숨 ?쉬기)(?: ?(?:도|를|는|은|자체를))? "
        r"(?:(?:이제|그냥|다|좀|진짜) )*(?:" + STOP_LIVING + r")"
        r"|(?:" + STOP_LIVING + r")(?:어요|어|요)?(?: [가-힣]+){0,4} "
        r"(?:숨 ?쉬는 ?(?:거|것|게)|숨 ?쉬기|살아 ?있는 ?(?:거|것))(?:도|까지|조차|마저)?\b",
        view="spaced",
        context=r"옷|쇼핑|물건|택배|지름|구매|가방|신발|로또|주식|복권|커피|과자|술|담배|게임",
    ),
    # (Their task or relationship guard is a ``before`` veto near the match, not only a
    # ``context``: a context-explained crisis rule still leaves a hint, and two such hints from
    # one everyday message, ``이런 연애 하면서 살 바엔 끝내는 게 나아``, would pair up.)
    # The way out said as the only one left (``한강 가는 것 말고는 답이 없다``, ``끝내는 수밖에``).
    rule(
        "유일한출구",
        CRISIS,
        R.IDEATION,
        r"(?:한강|대교|다리|옥상|선로|철길|바다)(?:에|으로|로)?(?:가는|가기|뛰어드는|뛰어내리는|들어가는)"
        r"(?:것|거|게)?(?:말고는|말곤|말고|밖에|외에는|뿐)[가-힣]{0,2}(?:답|방법|길|수)(?:이|가|도|은)?"
        r"(?:없|안보|안나)"
        r"|(?:죽는|끝내는|사라지는|없어지는|뛰어내리는)(?:것|거|게)?(?:말고는|말곤|외에는|밖에)[가-힣]{0,2}"
        r"(?:답|방법|길|수)(?:이|가|도|은)?(?:없|안보|안나)"
        r"|(?:끝내는|끝낼|죽는|죽을|사라지는)수(?:밖에|뿐)",
        before=TASK_BEFORE + "|" + TOPIC_NEAR,
        context=r"관계|연애|헤어|이혼|남친|여친|사귀|계약|회사|직장|알바|프로젝트|게임(?!오버)|싸움|대화"
        r"|숙제|과제|시험|공부|회의|마감|보스|퀘스트|레이드|드라마|시즌|연재|구독|야근|업무|논문|리포트",
    ),
    # Ending it weighed as the right or the cleanest answer (``그냥 끝내는 게 제일 깔끔할 듯``).
    rule(
        "끝내는게답",
        CRISIS,
        R.IDEATION,
        r"(?:끝내는|끝장내는|마감하는)(?:게|것이|거|편이)(?:제일|가장|차라리|그냥|더|젤)?"
        r"(?:답|맞|깔끔|낫|나을|나아|편하|편할|현명)",
        before=TASK_BEFORE + "|" + TOPIC_NEAR,
        context=r"관계|연애|헤어|이혼|남친|여친|사귀|썸|계약|회사|직장|알바|프로젝트|게임(?!오버)|싸움|대화"
        r"|숙제|과제|시험|공부|회의|마감|보스|퀘스트|레이드|드라마|시즌|연재|구독|야근|업무|논문|리포트"
        r"|오늘안에|빨리|얼른|미리|일찍|먼저|청소|정리|설거지|빨래|작업|통화|수업|방학|휴가",
    ),
    # "Rather than live like this" and then ending it (``이렇게 살 바엔 끝내는 게 맞아``).
    rule(
        "사느니",
        CRISIS,
        R.IDEATION,
        r"(?:살바엔|살바에는|살바에야|살바에|사느니|살아가느니|살아있느니)(?:차라리|그냥|이제라도|이제)*"
        r"[가-힣]{0,8}(?:끝내|끝낼|죽|사라지|사라질|없어지|없어질)",
        before=TOPIC_NEAR,
        context=r"관계|연애|헤어|이혼|남친|여친|회사|직장|알바|월세|전세|자취|이사|동네",
    ),
    # Left to end by itself: medication or food stopped on purpose (``다 끊으면 알아서 끝나겠지``).
    rule(
        "방치소멸",
        CRISIS,
        R.METHOD,
        r"(?:끊으면|안먹으면|굶으면|안먹고버티면|끊고버티면)(?:알아서|저절로|자연스럽게)"
        r"(?:끝나겠|죽겠|가겠|끝날|죽을|가지않을)",
        context=r"감기|기침|장마|두드러기|여드름|염증|부작용|금단|담배|술|커피|카페인|다이어트|연락|관계",
    ),
)
