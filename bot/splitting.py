"""Splitting a long reply into pieces a platform accepts, without cutting words in half.

Telegram refuses messages over 4096 characters and Discord over 2000. Both adapters
share this one function so that a long reply reads the same everywhere: pieces end at
a paragraph break if one is near the limit, else at a line break, else after a sentence,
else at a space, and only as a last resort in the middle of a word.
"""

from __future__ import annotations

# Boundaries, best first. A piece ends right after the separator.
_PARAGRAPH = ("\n\n",)
_LINE = ("\n",)
_SENTENCE = (". ", "? ", "! ", "… ", "。", "요. ", "다. ", ".\n", "?\n", "!\n")
_SPACE = (" ", "\t")
# A boundary is only used when it keeps at least this share of the limit in the piece;
# otherwise a short first paragraph would produce a string of tiny messages.
_MIN_FILL = 0.5


def _utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); emoji outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The largest prefix length (in code points) whose UTF-16 length is within ``limit``."""
    if _utf16_len(text[:limit]) <= limit:
        return min(limit, len(text))
    count = 0
    for i, ch in enumerate(text):
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > limit:
            return i
    return len(text)


def _cut(window: str, floor: int) -> int | None:
    """Where to end a piece inside ``window``: the end of the best boundary past ``floor``."""
    for group in (_PARAGRAPH, _LINE, _SENTENCE, _SPACE):
        best = -1
        for sep in group:
            at = window.rfind(sep)
            if at >= 0:
                best = max(best, at + len(sep))
        if best > floor:
            return best
    return None


def split_message(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters (UTF-16 units), in order.

    Whitespace at the cut is dropped, so pieces neither start nor end with a blank line;
    joining the pieces with a space or newline gives back the words of the original.
    An empty or blank text gives an empty list (there is nothing to send).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    rest = text.strip()
    pieces: list[str] = []
    while rest:
        if _utf16_len(rest) <= limit:
            pieces.append(rest)
            break
        size = _fit(rest, limit)
        window = rest[:size]
        end = _cut(window, int(size * _MIN_FILL)) or max(size, 1)
        piece = rest[:end].rstrip()
        if not piece:  # only whitespace before the cut: skip it
            rest = rest[end:].lstrip()
            continue
        pieces.append(piece)
        rest = rest[end:].lstrip()
    return pieces
