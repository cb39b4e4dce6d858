"""Korean morphological analysis through Kiwi, shared by the classifier and the safety check.

Kiwi loads its model (shipped in the ``kiwipiepy-model`` package, no download) once per
process on first use; creating it costs about a second, so it is never built at import.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_lock = threading.Lock()
_kiwi: Any = None


def get_kiwi() -> Any:
    """The process-wide Kiwi instance, created on first call."""
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


@lru_cache(maxsize=4096)
def morphemes(text: str) -> tuple[tuple[str, str], ...]:
    """``(form, tag)`` pairs for a text, e.g. ``(('죽', 'VV'), ('고', 'EC'), ...)``."""
    if not text.strip():
        return ()
    return tuple((t.form, t.tag) for t in get_kiwi().tokenize(text))


def lemmas(text: str) -> list[str]:
    """Morphemes as ``form/TAG`` strings: features for the linear classifier."""
    return [f"{form}/{tag}" for form, tag in morphemes(text)]
