"""Youth and SNS slang for methods and self-harm: overdose shorthand and tablet counts,
cutting slang and its metaphors, jumping said as a "dive", and the "자살각" meme form.

Each rule: ``name``, how it counts, its level, the pattern and its guards, and example
sentences that must fire it (``examples``) and must not (``counter``). See
``core/safety/README.md`` for how to add one.
"""

from __future__ import annotations

from core.safety.rules.base import CRISIS, R, Rule, rule

# Medicines named in overdose talk: cold, cough, pain and sleeping pills and their nicknames.
_PILLS = (
    r"(?:약|알약|수면제|수면유도제|진통제|안정제|감기약|기침약|타이레놀|타레|러미라|덱스|코데인|졸피뎀|스틸녹스|자낙스"
    r"|아티반|펜잘|게보린|판콜|판피린|부루펜|이부프로펜|멜라토닌|쎄로켈|리보트릴|신경안정제)"
)
# Everyday things counted by the box that are not medicine.
_NOT_PILLS = r"비타민|영양제|젤리|사탕|과자|치킨|피자|유산균|오메가|홍삼|견과|마스크|휴지|라면|우유|음료"

RULES: tuple[Rule, ...] = (
    # Overdose said in shorthand (``od 할래``, ``오버도즈``) or as a count of tablets (``20t``,
    # ``한 박스``) with a verb of taking: the "t" is the tablet count of pill-sharing posts.
    rule(
        "과다복용은어",
        CRISIS,
        R.METHOD,
        r"(?<![a-z])(?:od|오디|오버도즈|overdose|약물과다)(?:를|을)?"
        r"(?:하고싶|하고파|할래|할까|하려|했|해버|각|마렵|마려|충동|해야|할거|할꺼|하자)"
        r"|" + _PILLS + r"[가-힣0-9]{0,4}(?:[1-9][0-9]?t(?![a-z])|[1-9][0-9]?정|[1-9][0-9]+알|한박스|한곽|통째로|통채로)"
        r"(?:을|를|씩|다|이나|정도)?[가-힣]{0,2}(?:털어넣|때려박|먹|삼키|삼킬|삼켜|털어|박)"
        r"(?:을래|을까|을거|을꺼|으려|고싶|었|어버|을게|을께|는중|어야|아버)",
        context=_NOT_PILLS + r"|처방|복용법|용법|용량|하루에|부작용|의사|약사",
        examples=("러미라 20t 먹을까", "오늘 od 할래", "타이레놀 10t 때려박을 거야", "수면제 한박스 털어넣을래"),
        counter=("비타민 한 박스 다 먹을까", "오디션 할래", "타이레놀 하루에 몇 정 먹어야 해?"),
    ),
    # Cutting in its own slang: red "bracelets" and lines, 난도질, blade brands, and the
    # self-harm community's tags and "proof" posts (``#자해러``, ``흉터 인증``).
    rule(
        "자해은어",
        CRISIS,
        R.METHOD,
        r"(?:빨간|붉은|피)(?:팔찌|줄|선)(?:이|을|를|가|도)?(?:또|하나|또하나|더|새로|오늘)?"
        r"(?:늘었|생겼|만들|그었|추가|늘어|하나더)"
        r"|(?:손목|팔목|팔|허벅지)(?:에|에다)?(?:또|오늘도|다시)?(?:빨간줄|빨간선|빨간팔찌|팔찌)(?:을|를)?"
        r"(?:그었|긋|만들|늘|생겼|추가)"
        r"|(?:내|제|나의)?(?:팔|손목|허벅지|몸|다리)(?:을|를)?(?:또|다시)?난도질(?:했|하고|할래|해버|하는|할까|하고싶)"
        r"|(?:도루코|면도날|커터날|칼날|커터칼)(?:로|으로)[가-힣]{0,4}(?:그었|긋|그을|그어|베었|벴|그엇)"
        r"|(?:자해|ㅈㅎ)(?:러|계|계정|인증|스타그램|흉터인증|짤)"
        r"|(?:흉터|상처|팔|손목|허벅지)(?:인증|인증샷|공개|자랑)(?:함|해|할게|했|합니다|ㅋ|$)",
        context=r"수술|화상|문신|타투|여드름|제왕절개|맹장|교통사고|넘어져|요리|면도기|수염|제모|털|종이|택배|박스"
        r"|비즈|팔찌만들|공방|뜨개",
        examples=(
            "빨간 팔찌 또 하나 늘었어",
            "손목에 빨간 줄 그었어",
            "내 팔 난도질하고 싶어",
            "도루코로 그었어",
            "#자해러 #자해계",
            "흉터 인증함",
        ),
        counter=("공방에서 빨간 팔찌 만들었어", "수술 흉터 인증함 ㅋㅋ", "면도기 도루코로 바꿨어"),
    ),
    # Jumping as a "dive", a "jump" or a bungee into the river or off a roof
    # (``한강 다이브 하고 싶다``, ``마포대교 입수각``); stock-loss memes and real swims aside.
    rule(
        "투신은어",
        CRISIS,
        R.METHOD,
        r"(?:한강|마포대교|대교|한강다리|다리|옥상|강물|바다|아파트)(?:에|에서|으로|로|위에서)?"
        r"(?:다이브|다이빙|입수|번지|점프|스카이다이빙|낙하)(?:하고싶|하고파|할래|할까|하러|해야겠|각|하자|ㄱ|해버|할거|할꺼)",
        context=r"ㅋㅋ|ㅎㅎ|lol|코인|주식|떡락|물렸|손절|비트|존버|상폐|가즈아|수영|계곡|워터파크|여름|피서|스노클|스쿠버"
        r"|번지점프장|놀이공원|게임|캐릭",
        examples=("한강 다이브 하고 싶다", "마포대교 입수각", "옥상 번지하러 갈래"),
        counter=("코인 떡락 한강 입수각 ㅋㅋ", "바다 다이빙하러 갈래 스쿠버", "한강 가즈아 ㅋㅋ"),
    ),
    # "자살각"/"자살 마렵다" (a meme form): a crisis, unless laughed off or pinned on an exam,
    # a game or the stock market (``자살각 ㅋㅋㅋ 시험 망함``), which leaves a hint.
    rule(
        "자살각",
        CRISIS,
        R.IDEATION,
        r"(?:자살|ㅈㅅ|살자|자결|자[0-9]{1,2}살)(?:을|를|도)?(?:각|마렵|마려)",
        context=r"ㅋㅋ|ㅎㅎ|ㅋㄱ|lol|개웃|웃겨|시험|과제|팀플|월요일|출근|지각|떡락|코인|주식|게임|롤|망했|망함|더워|추워",
        examples=("오늘 자살각", "ㅈㅅ각", "하 그냥 자살 마렵다"),
        counter=("자살각 ㅋㅋㅋ 시험 망함", "과제 때문에 자살마렵네 ㅋㅋ", "코인 떡락 자살각"),
    ),
)
