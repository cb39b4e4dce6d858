"""Text normalisation applied to every message before safety checks and classification.

Only the model sees the capped text; the conversation log keeps what the user wrote.
"""

from __future__ import annotations

import re
import unicodedata

from core.limits import MODEL_MAX_CHARS  # re-exported: older imports read it here

# Zero-width characters, bidi controls and the BOM: invisible, but they split words.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")



def normalize(text: str, max_chars: int = MODEL_MAX_CHARS) -> str:
    """NFC, invisible and control characters removed, whitespace collapsed, capped length.

    NFC matters for Korean: macOS and some keyboards send decomposed jamo that would
    otherwise never match a single character n-gram the model learned.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:max_chars]


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit in any script (not emoji only)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def has_hangul(text: str) -> bool:
    """True when the text holds a Hangul syllable or jamo."""
    return any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in text)


def encodable_text(text: str) -> tuple[str, bool]:
    """``text`` with lone surrogates replaced by U+FFFD, and whether any were.

    Python strings can hold them (python-telegram-bot, discord.py and a terminal's
    ``surrogateescape`` pass them through), but UTF-8, JSON files and databases cannot:
    one such character used to stop the log writer for good.
    """
    if _SURROGATE.search(text) is None:
        return text, False
    return _SURROGATE.sub("\ufffd", text), True
