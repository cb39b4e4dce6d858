"""How much risk a decision's signals mean: the :class:`RiskLevel` of rules, morphology
signals, hints and the classifier, and the few raises a match's surroundings make.

Why a separate module: the detector decides *whether* a message is a crisis; this says
*how* serious, so the reply, the alert and the review queue can differ. Every rule carries
its own level (``Rule.risk``); signals that are not rules are mapped here by their prefix.

Raises that look at where a rule matched (its view's text):

- *intent*: a passive or ideation match followed by an ending of intent (``죽을 거야``,
  ``죽기로 했어``, ``죽어야겠다``) is a plan;
- *preparation*: a method match that says the means were gathered (``수면제 모아놨어``) is
  a plan;
- *now*: a method or plan match right after ``지금``/``방금``/``당장`` (``방금 손목 그었어``,
  ``지금 뛰어내릴 거야``) is imminent. (``지금도``/``지금은`` are habits or contrasts: no raise.)
- *swallowed*: a method match that says the pills or poison were already taken
  (``약을 한 주먹 먹었어``, ``농약 마셨어``) is imminent, unless survived (``먹었는데 깼어``).
"""

from __future__ import annotations

import re

from core.safety.levels import RiskLevel

_INTENT_AFTER = re.compile(
    r"(?:기로|을거|을꺼|을게|을께|할거|할꺼|할게|할께|려고|려구|야겠|질게|질께|질거|질래)"
)
_PREPARED = re.compile(r"모아|모았|모으|모은|사놨|사뒀|사왔|구했|구해놨|준비|챙겨|쌓아|숨겨")
_NOW = re.compile(r"(?:지금|방금|당장)(?!도|은|까지|껏|처럼|부터|이라도|보다|생각)")
_NOW_WINDOW = 6
# Swallowed already (an overdose or poison taken): help is needed now, whenever it was said.
_SWALLOWED = re.compile(r"(?:먹었|삼켰|털어넣었|먹어버렸|마셨|마셔버렸)(?!는데|지만|다가|던|었)")

# Signals that are not lexicon rules, by prefix (the longest prefix that matches wins).
_SIGNALS: dict[str, RiskLevel] = {
    "morph:사라지": RiskLevel.PASSIVE,
    "morph:살": RiskLevel.PASSIVE,
    "morph:": RiskLevel.IDEATION,
    "intent:사라지": RiskLevel.PASSIVE,
    "intent:solution": RiskLevel.PASSIVE,
    "intent:not-wake": RiskLevel.PASSIVE,
    "intent:not-born": RiskLevel.PASSIVE,
    "intent:": RiskLevel.IDEATION,
    "classifier:증상/자해": RiskLevel.METHOD,
    "classifier:증상/자살시도": RiskLevel.METHOD,
    "classifier:": RiskLevel.IDEATION,
    "learned:": RiskLevel.IDEATION,
    "emergency:": RiskLevel.IDEATION,
    "phrase:": RiskLevel.IDEATION,
}
# Kiwi's finality hints (see ``detector.finality_hints``): each is the language of last things.
MORPH_HINTS: dict[str, RiskLevel] = {
    "hint:finality": RiskLevel.PLAN,
    "hint:farewell": RiskLevel.PLAN,
    "hint:apology": RiskLevel.PLAN,
    "hint:time-bound": RiskLevel.PLAN,
    "hint:absence": RiskLevel.PLAN,
    "hint:hoard": RiskLevel.PLAN,
    "hint:secrecy": RiskLevel.PLAN,
    "hint:arranging": RiskLevel.PLAN,
}


# Hints too everyday to be a message's cue (what earlier pain can turn into a crisis): ``잘
# 지내?``, ``엄마한테 미안해``, ``내일이면``, ``몰래``, ``오늘 밤에 할 거야``, ``D-3``,
# ``더워 죽겠다``, ``아무도 몰라``, ``이제 가고 싶어``, ``끝낼래``. They still pair as hints.
WEAK_CUES: frozenset[str] = frozenset(
    {"작별", "time-bound", "apology", "secrecy", "결행시점", "디데이", "죽음어", "상처숨김",
     "그만가고싶", "끝내고"}
)


def signal_level(signal: str) -> RiskLevel:
    """The level a non-rule signal stands for (``morph:죽+싶`` → ideation)."""
    best = ""
    for prefix in _SIGNALS:
        if signal.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _SIGNALS[best] if best else RiskLevel.NONE


def grade_match(risk: RiskLevel, text: str, start: int, end: int) -> RiskLevel:
    """A rule's ``risk`` raised by what stands around its match ``text[start:end]``."""
    level = risk
    if level in (RiskLevel.PASSIVE, RiskLevel.IDEATION) and _INTENT_AFTER.search(
        text, start, end + 4
    ):
        level = RiskLevel.PLAN
    if level is RiskLevel.METHOD and _SWALLOWED.search(text, start, end + 4):
        return RiskLevel.IMMINENT
    if level is RiskLevel.METHOD and _PREPARED.search(text, start, end):
        level = RiskLevel.PLAN
    if level in (RiskLevel.METHOD, RiskLevel.PLAN) and _NOW.search(
        text, max(0, start - _NOW_WINDOW), end
    ):
        level = RiskLevel.IMMINENT
    return level


def hint_name(hint: str) -> str:
    """``hint:떠남#2`` → ``떠남``: the rule behind a concern hint."""
    return hint.removeprefix("hint:").split("#", 1)[0]


def can_cue(hint: str) -> bool:
    """Whether a hint may be the message's cue (see :data:`WEAK_CUES`)."""
    return hint.startswith("hint:") and hint_name(hint) not in WEAK_CUES
