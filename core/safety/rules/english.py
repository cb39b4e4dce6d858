"""English and mixed Korean–English phrasing (spaced view).

Each rule: ``name``, how it counts, its level, the pattern and its guards, and example
sentences that must fire it (``examples``) and must not (``counter``). See
``core/safety/README.md`` for how to add one.
"""

from __future__ import annotations

from core.safety.rules.base import (
    CONCERN,
    CRISIS,
    R,
    Rule,
    rule,
)

RULES: tuple[Rule, ...] = (
    rule(
        "en:now",
        CRISIS,
        R.IMMINENT,
        r"\b(?:im|i am) (?:on|standing on|at|on top of) (?:the |a )?(?:bridge|roof|rooftop|ledge|edge)\b"
        r"|\bi (?:just )?(?:took|swallowed|downed) (?:all|a bottle of|the whole bottle of|a whole bottle of)"
        r" (?:my |the |of my )?(?:pills|meds)\b",
        view="spaced",
        context=r"party|view|sunset|photo|picnic|drinks|bar|vitamins",
        examples=("im on the bridge right now", "i just took all my pills", "I am standing on the ledge"),
        counter=("im on the roof for the sunset party", "i took my pills today", "the bridge was closed"),
    ),
    rule(
        "en:die",
        CRISIS,
        R.IDEATION,
        r"\b(?:want|wanna|wish|going|gonna|plan|planning|need|ready|about)\s+(?:to\s+)?"
        r"(?:die|be dead|kill myself|end (?:it|it all|my life|everything)|commit suicide|"
        r"disappear forever)\b"
        r"|\bkill(?:ing)?\s+my\s?self\b|(?<![\d.])(?<!\d )\bkms\b|\bkys myself\b"
        r"|\bself[- ]?harm|\bcut(?:ting)?\s+my(?:self|\s+wrists?|\s+arms?)\b"
        r"|\bend(?:ing)?\s+my\s+life\b|\bsuicidal\b"
        r"|\b(?:dont|do not|dont really|never)\s+want\s+to\s+(?:live|be alive|exist|wake up|be here anymore)\b"
        r"|\b(?:want|wanna|wish|going|gonna|plan|planning|need|ready|about)\s+(?:to\s+)?"
        r"(?:stop existing|not exist|overdose|od|take all (?:my|the) pills)\b"
        r"|\b(?:wrote|writing|write|left|leave|leaving|finished)\s+(?:my|a)\s+suicide\s+note\b"
        r"|\bbetter off dead\b|\bno reason to (?:live|go on)\b"
        r"|\bif i (?:died|was dead|were dead|disappeared|was gone|were gone)\b|\bhang myself\b"
        r"|\b(?:nobody|no one|noone) (?:would|will|is going to) (?:miss|notice|care)\b"
        r"|\b(?:when|after|once) im (?:gone|dead)\b"
        r"|\bthinking (?:about|of) (?:suicide|killing myself|ending it)\b"
        r"|(?<!bungee )\b(?:jump|jumping|throw myself) off (?:the |a |this |that )?(?:bridge|building|roof|cliff)"
        r"|\bwant (?:it|it all|everything|the pain|this) to (?:stop|end) forever\b"
        r"|\bunalive(?: myself| me|\s?하고 ?싶|\s?하고 ?파|\s?할래|\s?할까|\s?하려)"
        r"|\bwant(?:na| to) unalive\b",
        view="spaced",
        examples=("i want to die", "i might kill myself"),
        counter=("this song is killing me lol", "i want to dye my hair"),
    ),
    # Self-harm shorthand and relapse in English or Konglish (``sh 또 했어``, ``또 cut 했어``).
    rule(
        "en:sh",
        CRISIS,
        R.METHOD,
        r"\bsh\s(?:또|다시|했|하고|충동|하는|again|relapse|urges?)|\b(?:또|다시|again)\s(?:cut|sh)\b"
        r"|\brelaps(?:e|ed|ing)\b.{0,30}\b(?:cut|sh|자해|그었)",
        view="spaced",
        examples=("sh 또 했어", "relapsed and cut again"),
        counter=("sh 뭐의 약자야?", "she cut her hair"),
    ),
    # Weak English goodbyes: two of them (or one and another hint) flag a crisis.
    rule(
        "en:goodbye",
        CONCERN,
        R.PLAN,
        r"\bgoodbye (?:everyone|everybody|world|forever|all)\b|\bim (?:so )?done\b"
        r"|\bcant do this anymore\b|\bi cant (?:go on|keep going)\b"
        r"|\bwant (?:it|it all|everything) to (?:stop|end)\b",
        view="spaced",
        examples=("goodbye everyone",),
        counter=("goodbye see you tomorrow", "bye"),
    ),
    rule(
        "en:suicide",
        CONCERN,
        R.IDEATION,
        r"\bsuicid|\boverdos|\bwant to die\b",
        view="spaced",
        after=r"^e? (?:squad|prevention|rate|hotline|awareness)",
        examples=("suicide thoughts again",),
        counter=("suicide prevention hotline poster", "suicide squad movie"),
    ),
    rule(
        "en:slang",
        CRISIS,
        R.IDEATION,
        r"\bsewer\s?slides?\b|\bunalive\s?(?:해버리|해버릴|해야|하는게|할거|할꺼|하자|되고|당하고|해볼)",
        view="spaced",
        after=r"^\s?(?:가|는|란|라는|이란)?\s?(?:무슨|뭐|뜻|단어|밈|meme)",
        examples=("sewerslide",),
        counter=("unalive 무슨 뜻이야", "slide down the hill"),
    ),
    rule(
        "mixed",
        CRISIS,
        R.IDEATION,
        r"(?:die|suicide|다이|kms)(?:하고싶|하고시|할래|할까|하고파|하자)",
        examples=("die하고싶다",),
        counter=("diet하고 싶다", "다이어트 하자"),
    ),
)
