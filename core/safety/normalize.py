"""Views of a message that make crisis phrasing matchable however it was typed.

People in distress type fast: spacing slips (``죽 고 싶 다``), punctuation between
syllables (``죽.고.싶.다``), mixed case English, elongations. Rules match the *compact*
view (lower case, only Hangul, jamo, Latin letters and digits, no spaces), English rules the
*spaced* view (lower case, single spaces, apostrophes dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.limits import MAX_TEXT_CHARS
from core.text import normalize

# Safety reads every character an adapter accepts: a crisis line at the end of a long
# message must not be cut off (the limits live in ``core.limits``).
SAFETY_MAX_CHARS = MAX_TEXT_CHARS

_NOT_KEPT = re.compile(r"[^0-9a-z\uac00-\ud7a3\u3131-\u318e]+")
_SPACED_DROP = re.compile(r"[’'`]")
_SPACED_SEP = re.compile(r"[^0-9a-z\uac00-\ud7a3\u3131-\u318e]+")
# Conjoining initial consonants (U+1100..U+1112) some keyboards send for lone jamo, mapped
# to the compatibility jamo people see (ㄱ..ㅎ), so ``ㅈㄱㅅㄷ`` matches either way.
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_CHOSEONG_MAP = {0x1100 + i: ch for i, ch in enumerate(_CHOSEONG)}
# Jamo typed one by one (``자ㅅㅏㄹ``, a stuck IME or a deliberate dodge) are composed back
# into syllables; consonant runs without vowels (``ㅈㄱㅅㄷ``, ``ㅋㅋ``) stay as they are.
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONGSEONG = "\0ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
# Emoji that stand for a method or for death (``🔪🩸 오늘도 했음``, ``🪦 가고싶어``) are read as
# the word they picture, so the word rules see them; the views would otherwise drop them.
# (Not ``💀``: it is the everyday "I'm dead (laughing)".)
_EMOJI_WORDS = str.maketrans(
    {
        "🔪": " 칼 ",
        "🗡": " 칼 ",
        "🩸": " 피 ",
        "🪦": " 무덤 ",
        "⚰": " 무덤 ",
        "💊": " 약 ",
        "🪢": " 밧줄 ",
    }
)
# Half-typed or respelled "자살" that dodges a word filter (``ㅈ살``, ``쟈살``, ``자쌀``) is read
# as the word itself, so every rule about it sees it.
_SUICIDE_DODGES = re.compile(r"ㅈ살|쟈살|자쌀|쟈쌀|[jz]살|자ㅅ(?![가-힣ㅏ-ㅣ])")
_JAMO_SYLLABLE = re.compile(f"([{_CHOSEONG}])([{_VOWELS}])(?:([{_JONGSEONG[1:]}])(?![{_VOWELS}]))?")


def _compose(match: re.Match[str]) -> str:
    lead, vowel, tail = match.group(1), match.group(2), match.group(3)
    code = 0xAC00 + (_CHOSEONG.index(lead) * 21 + _VOWELS.index(vowel)) * 28
    return chr(code + (_JONGSEONG.index(tail) if tail else 0))


@dataclass(frozen=True)
class Views:
    """The same message, prepared for different kinds of rules."""

    original: str  # NFC, invisible characters removed, whitespace collapsed
    spaced: str  # lower case words separated by single spaces
    compact: str  # lower case, no spaces or punctuation


# The pipeline asks for a message's views twice (the Kiwi prefetch, then ``assess``), and
# again when the classifier's prediction calls for a second look: recent ones are kept.
_CACHE_MAX_CHARS = 2000


def views(text: str) -> Views:
    """Build the views of a message (pure, no I/O; recent short messages are memoised)."""
    if len(text) <= _CACHE_MAX_CHARS:
        return _views_cached(text)
    return _build_views(text)


@lru_cache(maxsize=512)
def _views_cached(text: str) -> Views:
    return _build_views(text)


def _build_views(text: str) -> Views:
    original = normalize(text, max_chars=SAFETY_MAX_CHARS).translate(_CHOSEONG_MAP)
    if any("ㅏ" <= ch <= "ㅣ" for ch in original):
        original = _JAMO_SYLLABLE.sub(_compose, original)
    lowered = _SUICIDE_DODGES.sub("자살", original.translate(_EMOJI_WORDS).lower())
    spaced = _SPACED_SEP.sub(" ", _SPACED_DROP.sub("", lowered)).strip()
    compact = _NOT_KEPT.sub("", lowered)
    if any("ㅏ" <= ch <= "ㅣ" for ch in compact):  # jamo typed with spaces: ``ㅈ ㅏ ㅅ ㅏ ㄹ``
        compact = _SUICIDE_DODGES.sub("자살", _JAMO_SYLLABLE.sub(_compose, compact))
    return Views(original=original, spaced=spaced, compact=compact)
