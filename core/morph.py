"""Korean morphological analysis through Kiwi, shared by the classifier and the safety check.

Kiwi loads its model (shipped in the ``kiwipiepy-model`` package, no download) once per
process on first use; creating it costs about a second, so it is never built at import.

Results are cached per text (the safety check and a retried message see the same text
again). :func:`analyse_many` analyses a batch in one Kiwi call: Kiwi then spreads the work
over its own threads and releases the GIL while it runs, so the event loop keeps serving
while the classifier's worker analyses a micro-batch (one text at a time holds the GIL).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

CACHE_SIZE = 4096

_lock = threading.Lock()
_kiwi: Any = None

Morphs = tuple[tuple[str, str], ...]
_cache: OrderedDict[str, Morphs] = OrderedDict()
_cache_lock = threading.Lock()


def get_kiwi() -> Any:
    """The process-wide Kiwi instance, created on first call."""
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def _cached(text: str) -> Morphs | None:
    with _cache_lock:
        hit = _cache.get(text)
        if hit is not None:
            _cache.move_to_end(text)
        return hit


def _remember(text: str, morphs: Morphs) -> None:
    with _cache_lock:
        _cache[text] = morphs
        _cache.move_to_end(text)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def is_cached(text: str) -> bool:
    """True when :func:`morphemes` answers ``text`` without running Kiwi (a cheap check)."""
    return not text.strip() or _cached(text) is not None


def cache_clear() -> None:
    """Forget every cached analysis (benchmarks measuring cold work use this)."""
    with _cache_lock:
        _cache.clear()


def _pairs(tokens: Iterable[Any]) -> Morphs:
    return tuple((t.form, t.tag) for t in tokens)


def morphemes(text: str) -> Morphs:
    """``(form, tag)`` pairs for a text, e.g. ``(('죽', 'VV'), ('고', 'EC'), ...)``."""
    if not text.strip():
        return ()
    hit = _cached(text)
    if hit is not None:
        return hit
    morphs = _pairs(get_kiwi().tokenize(text))
    _remember(text, morphs)
    return morphs


def analyse_many(texts: Iterable[str]) -> None:
    """Analyse the texts not cached yet in one batched Kiwi call, filling the cache.

    Gives the same morphemes as :func:`morphemes` text by text; it only changes where the
    work runs. Where Kiwi cannot batch (a single-threaded Kiwi) the texts are left for
    :func:`morphemes` to analyse one by one.
    """
    todo = list(dict.fromkeys(t for t in texts if t.strip() and _cached(t) is None))
    if len(todo) < 2:
        return
    kiwi = get_kiwi()
    if getattr(kiwi, "num_workers", 1) < 2:
        return
    for text, tokens in zip(todo, kiwi.tokenize(todo), strict=True):
        _remember(text, _pairs(tokens))


def lemmas(text: str) -> list[str]:
    """Morphemes as ``form/TAG`` strings: features for the linear classifier."""
    return [f"{form}/{tag}" for form, tag in morphemes(text)]
