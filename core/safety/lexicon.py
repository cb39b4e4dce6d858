"""The crisis lexicon: general Korean and English patterns, not a list of known sentences.

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

CRISIS = "crisis"
CONCERN = "concern"


@dataclass(frozen=True)
class Rule:
    """One pattern with its guards; ``name`` appears in the decision's signals."""

    name: str
    level: str
    pattern: re.Pattern[str]
    before: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None
    view: str = "compact"  # or "spaced" for English


def _r(
    name: str,
    level: str,
    pattern: str,
    before: str | None = None,
    after: str | None = None,
    context: str | None = None,
    view: str = "compact",
) -> Rule:
    return Rule(
        name,
        level,
        re.compile(pattern),
        re.compile(before) if before else None,
        re.compile(after) if after else None,
        re.compile(context) if context else None,
        view,
    )


# --- building blocks -----------------------------------------------------------------------
# "to die" stems incl. slang (뒤지다, 디지다), cute/typo spellings (쥭, 듁) and phonetic ones.
DIE = r"(?:죽|쥭|듁|뒤지|뒈지|디지|죽어버리|뒤져버리|주거버리)"
# "want to" with spelling slips: 싶/십/시퍼/시프/시포/파 (죽고파).
WANT = r"(?:고|구)(?:만|도|는|싶)?(?:싶|십|시퍼|시프|시포|시푸|파(?!서))"
NOT_WANT = r"^(?:지|진|지는|지도|지가|지만|진않|지않)(?:않|안|않|)"
SELF_SUBJ_BLOCK = (
    r"(?:걔|쟤|얘|그사람|그새끼|그놈|그년|걔네|니가|네가|너는|넌|너|상사|부장|팀장|사장|선배|"
    r"후배|교수|선생|담임|놈|년|새끼)(?:가|이|는|은|도|만|좀|그냥|진짜|제발){0,3}$"
)
TASK_BEFORE = (
    r"(?:일|과제|숙제|업무|공부|작업|청소|설거지|빨래|프로젝트|게임|시험|정리|보고서|"
    r"리포트|레포트|방학|알바|회의|수업|운동|퀘스트|드라마|책)(?:을|를|은|는|좀|빨리|오늘)*$"
)
FAREWELL_CONTEXT = (
    r"퇴사|졸업|이사|전학|은퇴|방학|수업|학기|회사|이직|입대|군대|전역|유학|이민|여행|"
    r"내일봐|내일보|다음에봐|나중에봐|또봐|또만나|다음주|퇴근|출근|회식|모임|파티|동아리|"
    r"방송|시즌|공연|경기|종강|송별"
)
GRIEF_OR_NEWS_AFTER = r"^(?:을|를)?(?:했대|했다|했습|했다는|했다고|했던사람|한사람|하셨|한채|한연예인)"

RULES: tuple[Rule, ...] = (
    # --- wanting to die ----------------------------------------------------------------------
    _r("죽고싶", CRISIS, DIE + WANT, after=NOT_WANT,
       before=r"(?:서랍|가방|쓰레기통?|주머니|책상|냉장고|뒤)(?:을|를|좀)?$"),
    _r("죽어버릴", CRISIS,
       r"죽(?:어버리|어버릴|어버려|어야겠|어야지|어야돼|어야되|어야해|어야만|어야할|을거(?!같|갔)"
       r"|을꺼(?!같)|을래|으려|을까(?!봐|바|보|싶어서)|을게|을께|는게낫|는게나|는편이|는게답|"
       r"는것말고|는거말고|는수밖에|고말겠)",
       before=r"(?:너|니|넌|너는|너희|너네|또|다|같이|이러다|그러다|이러다가)$"),
    _r("뒤질래", CRISIS,
       r"(?:뒤질|디질|뒈질)(?:래|까|거|게|께)|(?:뒤져|디져|뒈져)(?:버리|버릴|야겠|야지|야돼|야해)"
       r"|주거버|주거야|주글(?:래|까|거)",
       before=r"(?:너|니|넌|너는|너희)$"),
    _r("죽었으면", CRISIS, r"(?:죽|뒤졌|디졌)(?:었|어버렸)?으면(?:좋겠|좋을|해|한다)|죽었으면",
       before=SELF_SUBJ_BLOCK),
    _r("죽는방법", CRISIS,
       r"(?:죽|자살하|뒤지)(?:는|을수있는|을)(?:방법|법|약|곳|장소)|어떻게(?:하면|해야)죽(?:을수|을까|지|나|어)"
       r"|(?:안아프게|고통없이|편하게|깔끔하게|쉽게|조용히|한번에)(?:죽|가는방|자살)"),
    _r("죽을생각", CRISIS, r"죽(?:는|을)(?:상상|생각|궁리|계획|준비|결심|용기)|죽을날(?:짜|을|만)"),
    _r("죽으면", CRISIS,
       r"죽으면(?:편해|편할|끝|다끝|다해결|해결|누가|아무도|슬퍼|좋겠|나을|행복|속시원)"
       r"|(?:내가|제가|나|저|나하나|나하나쯤)죽(?:어도|으면)|죽어도(?:상관없|괜찮을|아무도)"),
    _r("따라죽", CRISIS, r"따라(?:죽|가고싶|가고파)|곁으로(?:가고|갈래|갈까)"),
    # --- suicide words and their slang -------------------------------------------------------
    _r("자살의도", CRISIS,
       r"(?:자살|ㅈㅅ|살자|자결)(?:을|를)?(?:하고싶|하고십|하고시|하고파|하고프|할까|할거|할꺼|할래|"
       r"하려|해야겠|해버리|해버릴|하자|각|마렵|마려|충동|생각|시도|방법|하는법|하는방법|하면|할방법|"
       r"할생각|할계획|계획|ㅎㄱㅅ|할용기|하기로|하기전|하고말|할수밖에|밖에|하는상상|상상|했었|하려고)",
       after=r"^(?:예방|방지)"),
    _r("자살", CONCERN, r"자살(?!골|예방|방지|률|율|특공|예방)|자결"),
    _r("jamo", CRISIS, r"ㅈㄱㅅ[ㄷㅇㅍㅓ]|ㄷㅈㄱㅅ|ㅈㅅㅎㄱ|ㅈㅎㅎㄱ|ㅅㄱㅅㅇ"),
    _r("극단적선택", CRISIS,
       r"극단(?:적|적인)?(?:선택|생각)(?:을|를|이|만|밖에)?(?:하고싶|하고시|할까|할거|할꺼|할래|하려|"
       r"할생각|할것같|하고말|해버|고민|생각|충동|시도|밖에|뿐|들|자꾸|계속|해야|하게될|했었|하면)",
       after=r"^(?:은|는)?하지마"),
    _r("극단적생각", CRISIS, r"극단(?:적|적인)생각(?!은하지|하지마)"),
    _r("극단적", CONCERN, r"극단(?:적|적인)?선택"),
    # --- self-harm ---------------------------------------------------------------------------
    _r("자해", CRISIS,
       r"(?:자해|ㅈㅎ)(?:를|을)?(?:하고싶|하고시|하고파|했|해|하는|충동|흉터|자국|상처|중독|할까|할거|하려|"
       r"하면|멈|흔적|버렸|를해|를했|를멈|ㅎㄱ)",
       after=r"^(?:공갈)"),
    _r("자해어", CONCERN, r"자해(?!공갈)"),
    _r("손목", CRISIS,
       r"(?:손목|팔목)(?:을|를|에|에다|에다가)?(?:칼로|커터칼로|커터로|면도칼로|면도날로|유리로)?"
       r"(?:긋|그었|그어|그을|그엇|자르|잘라|잘랐|자를|긁|그은)"
       r"|(?:팔|허벅지|다리|몸|살|손등)(?:을|를|에|에다)?(?:칼로|커터칼로|커터로|면도칼로|면도날로|유리로)"
       r"(?:긋|그었|그어|그을|그엇|긁|베|벴)"
       r"|(?:팔|허벅지|손등)(?:을|를|에)?(?:긋|그었|그어|그을|그엇)"
       r"|(?:칼|커터칼|커터|면도칼|면도날)[가-힣]{0,6}(?:손목|팔목)에?(?:대|댔|갖다)"),
    _r("자상", CRISIS,
       r"(?:담뱃불|라이터|불)로(?:팔|손|몸|살|허벅지)(?:을|를)?지[졌지지]"
       r"|(?:몸|팔|손목|살|허벅지)(?:에|을|를)?(?:일부러)?상처를?(?:내|냈|낸|주)"
       r"|피를?(?:봐야|보면|내야|봐)(?:진정|안정|편해|마음이편|살것|숨이)"
       r"|머리를?(?:벽|바닥)에?(?:계속|일부러|막|자꾸)?(?:박|찧)"
       r"|(?:나|내|제|저|스스로|자신)(?:를|을|자신을|몸을|자신)?(?:해치|다치게하|다치게만들|벌주고싶)"),
    # --- not wanting to live -----------------------------------------------------------------
    _r("살기싫", CRISIS, r"살기(?:가|도)?(?:싫|실|시러|싦)|사는게싫",
       before=r"(?:동네|집|여기|거기|이곳|저곳|서울|지방|시골|한국|기숙사|자취|원룸|에서|에|랑|와|과|하고)$"),
    _r("살고싶지않", CRISIS,
       r"살(?:고|구)(?:싶|십)(?:지|진|지는|지가)?(?:않|안)"
       r"|살(?:고|구)싶은(?:마음|생각|의지|맘)(?:이|은|도)?(?:하나도|전혀|더이상|이제)?(?:없|안)"
       r"|(?:그만|이제그만|더이상|더는)살(?:고싶|래|기싫|고시|아야하나)"
       r"|살아서(?:뭐해|뭐하|뭐함|뭐할|뭐하냐|뭐하나|뭐가)"
       r"|살(?:아갈|아야할|아야하는|아야될|)이유(?:가|를|도)?(?:없|모르|하나도|못찾|더는)"
       r"|살아(?:있는|있다는|가는)(?:게|것이|거|것)(?:고통|지옥|괴로|형벌|벌|죄)"),
    _r("끝내고싶", CRISIS,
       r"(?:다|전부|모든걸|모든것을|모든것|모두|인생|삶|생|이생|목숨|세상|나를|나자신을)"
       r"(?:을|를|은|다|여기서|이제|그냥|오늘|이쯤에서|그만)*"
       r"(?:끝내|끝낼|끝장내|끝장낼|마감하|마감할|마치고싶|정리하고싶)",
       before=TASK_BEFORE, after=r"^(?:고왔|었|셨|시|했대|했다)"),
    _r("끝내고", CONCERN, r"끝내고(?:싶|십|시퍼)|끝낼(?:래|거|꺼)|그만하고싶|끝내버리"),
    _r("목숨", CRISIS, r"목숨(?:을|를)?(?:끊|끈|버리|버릴|내려놓|던지)", after=r"^(?:었|은|으셨|었대)"),
    # --- sleeping forever, disappearing, leaving the world -----------------------------------
    _r("영원히잠", CRISIS,
       r"영원히(?:잠들|자고싶|잠자|눈감|쉬고싶|잠들고)|영영(?:잠들|깨어나지|눈감|안깨)"
       r"|(?:깨어나지|일어나지|눈뜨지|눈을뜨지|깨지)(?:않았으면|말았으면|않길|말았으|못했으면)"
       r"|눈(?:을)?안(?:떴으면|뜨면좋|떠졌으면)|안깨어났으면|내일이(?:안왔|오지않|없었으면)"),
    _r("사라지고싶", CRISIS,
       r"(?:사라지|없어지|소멸하|증발하|사라져버리|없어져버리)(?:고|구)(?:싶|십|시퍼|파)",
       after=NOT_WANT),
    _r("내가없어졌으면", CRISIS,
       r"(?:내가|제가|나는|난|나|저는|전|저|나같은건|나따위)(?:그냥|차라리|이제|확|이세상에서|세상에서)?"
       r"(?:없어졌으면|사라졌으면|없었으면|없어져야|사라져야|없는게나)"
       r"|세상에서(?:사라|없어|떠나)|(?:이)?세상(?:을)?(?:떠나고|뜨고)(?:싶|십|파)"
       r"|(?:하늘나라|저세상|저승)(?:에|로)?(?:가고|갈래|갈까|가야|가버)"),
    _r("없어졌으면", CONCERN, r"(?:없어졌으면|사라졌으면|태어나지(?:말|않)|안태어났)"),
    # --- notes, goodbyes ---------------------------------------------------------------------
    _r("유서", CRISIS, r"유서(?:를|도|는|를미리|미리)?(?:썼|쓰|써|작성|남기|남겼|준비)"),
    _r("유서어", CONCERN, r"유서(?!깊)|유언(?:을|를)?(?:남기고|써|쓰)"),
    _r("마지막인사", CRISIS, r"마지막(?:인사|메시지|메세지|편지|연락|으로인사|으로연락)",
       context=FAREWELL_CONTEXT),
    _r("나없어도", CRISIS,
       r"(?:내|제)몫까지(?:살|잘살|행복)|(?:나|내가|제가|저)없어도(?:다들|모두|잘|괜찮|행복)",
       context=FAREWELL_CONTEXT),
    # --- means and places ----------------------------------------------------------------------
    _r("약물", CRISIS,
       r"수면제(?:를|을)?(?:모아|모았|모으|한꺼번에|왕창|잔뜩|한통|다털어|몽땅|많이먹|과다|털어)"
       r"|(?:약|알약|약통|진통제|수면유도제)(?:을|를)?(?:다)?(?:한꺼번에|왕창|몽땅|한통|털어넣|다털어)"
       r"|과다복용|치사량|(?:약|알|제)[가-힣]{0,6}먹(?:어야|으면)죽"),
    _r("수면제", CONCERN, r"수면제|농약|락스마시"),
    _r("번개탄", CRISIS, r"(?:번개탄|연탄)(?:을|를)?(?:사|샀|피우|피울|피워|피웠|사놨|사뒀|준비)",
       context=r"고기|캠핑|구이|바베큐|숯불|난로|겨울|봉사|나눔"),
    _r("목매", CRISIS,
       r"목(?:을|를)?(?:매|메)(?:고싶|고시|달고|달고싶|달|어버|달래|달까|려고|려|ㄹ까|야겠)"
       r"|목(?:을|를)?(?:맬|멜)(?:까|거|래|곳|줄|끈)"
       r"|(?:줄|끈|밧줄|넥타이)(?:을|를)?(?:매달|걸)(?:곳|데|고리)",
       before=r"에$"),
    _r("뛰어내리", CRISIS,
       r"뛰어내리(?:고싶|고시|고파|려|자|면죽)|뛰어내릴(?:까|거|래|게|꺼|곳|데|생각|용기)"
       r"|투신(?:하고|할|하려)"
       r"|(?:차|지하철|선로|강|바다|한강|트럭|버스|기차|철로)(?:에|로)?(?:뛰어들|치이|몸을던지)"
       r"(?:고싶|고시|까|려|어버릴|고파|ㄹ까|거야)"
       r"|(?:몇층|고층|높은곳|높은데|옥상|아파트|다리|난간)(?:에서|위에서|위)?(?:떨어지면|뛰어내리면)"
       r"(?:죽|한번에|바로)"
       r"|한강(?:물)?(?:온도|수온)|한강(?:에|으로)(?:뛰어|빠지|투신|들어가)"),
    _r("투신어", CONCERN, r"투신|옥상|난간"),
    # --- wide nets, only as hints --------------------------------------------------------------
    _r("죽음어", CONCERN,
       r"죽(?:겠|을것같|을거같|음|고싶)|죽어버|사는게(?:지옥|고통|힘들|괴로|의미없|무의미)"
       r"|살기(?:힘들|버거)|의미가없|희망이없|살아야할|다음생|먼저갈게|떠나고싶",
       before=r"(?:파|워|려|러|해|겨|와|나|니|라|빠|쳐|서|게|기|가)$"),
    # --- English (spaced view) -----------------------------------------------------------------
    _r("en:die", CRISIS,
       r"\b(?:want|wanna|wish|going|gonna|plan|planning|need|ready|about)\s+(?:to\s+)?"
       r"(?:die|be dead|kill myself|end (?:it|it all|my life|everything)|commit suicide|"
       r"disappear forever)\b"
       r"|\bkill(?:ing)?\s+my\s?self\b|(?<![\d.])\bkms\b|\bkys myself\b"
       r"|\bself[- ]?harm|\bcut(?:ting)?\s+my(?:self|\s+wrists?|\s+arms?)\b"
       r"|\bend(?:ing)?\s+my\s+life\b|\bsuicidal\b"
       r"|\b(?:dont|do not|dont really|never)\s+want\s+to\s+(?:live|be alive|exist|wake up)\b"
       r"|\bbetter off dead\b|\bno reason to (?:live|go on)\b"
       r"|\bif i (?:died|was dead|were dead|disappeared)\b|\bhang myself\b"
       r"|\bthinking (?:about|of) (?:suicide|killing myself|ending it)\b",
       view="spaced"),
    _r("en:suicide", CONCERN, r"\bsuicid|\boverdos|\bwant to die\b", view="spaced",
       after=r"^e? (?:squad|prevention|rate|hotline|awareness)"),
    _r("mixed", CRISIS, r"(?:die|suicide|다이|kms)(?:하고싶|하고시|할래|할까|하고파|하자)"),
)

# When everything else failed: a few unmistakable fragments of the compact view.
FALLBACK_FRAGMENTS: tuple[str, ...] = (
    "죽고싶", "죽고십", "자살하고", "자살할", "자해", "ㅈㄱㅅㄷ", "살기싫", "살고싶지않",
    "죽어버리", "뒤지고싶", "유서", "목매", "뛰어내리", "killmyself", "wanttodie", "suicid",
)
