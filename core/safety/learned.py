"""The learned crisis signal: a model that reads meaning, not just the words "-고 싶다".

Why: rules reach only the phrasing someone wrote a rule for, and the earlier character
n-gram SVM learned that "-고 싶다" itself means crisis (``뷔페 가고 싶어`` got the crisis
card). This model is trained by ``training/crisis/fit.py`` on a corpus the project wrote
(thousands of crisis messages across risk levels and youth registers, and thousands of hard
negatives: every everyday wish, hyperbole, games, lyrics, a third person, a recovered past)
and loaded from ``core/safety/models/`` (safetensors + JSON, no pickle, no training at
start-up).

How it decides (every threshold chosen out of fold by the training script, see
``crisis_model.json``):
1. hashed character n-grams score the message in microseconds (:mod:`core.safety.ngram`);
   below the *gate* — a score nearly every crisis message in training exceeds — it stops;
2. otherwise multilingual-e5-small embeds it (:mod:`core.safety.encoder`, ~13 ms) and a
   logistic blend of both scores decides; a level head on the embedding names the level.
Without the encoder (another platform, a broken wheel) stage 1 decides alone at its own,
stricter threshold.

Never fails open: any failure makes :meth:`LearnedCrisisSignal.signals` return nothing and
the rules decide alone; the model only ever raises a verdict. ``SAFETY_LEARNED=false`` leaves
it out of the :class:`~core.safety.detector.SafetyChecker` that ``open_buddy`` builds.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.safety import ngram
from core.safety.encoder import Encoder
from core.safety.levels import CRISIS_LEVELS, LEVELS
from core.safety.normalize import Views

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "models"
SIGNAL = "learned:crisis"


@dataclass
class CrisisModel:
    """The two stages, the blend and the level head, as written by ``training/crisis``."""

    ngram_w: np.ndarray
    ngram_b: float
    e5_w: np.ndarray
    e5_b: float
    level_w: np.ndarray
    level_b: np.ndarray
    gate: float
    blend: tuple[float, float, float]  # n-gram weight, e5 weight, bias
    threshold: float
    threshold_ngram_alone: float
    meta: dict

    def ngram_score(self, v: Views) -> float:
        return ngram.score(self.ngram_w, self.ngram_b, v)

    def asks_encoder(self, v: Views, s1: float | None = None) -> bool:
        """Whether :meth:`judge` embeds this message: above the gate, with enough words."""
        s1 = self.ngram_score(v) if s1 is None else s1
        return s1 >= self.gate and enough_words(v.original)

    def judge(self, v: Views, encoder: Encoder) -> Judgement:
        """Both stages' scores for one message and the decision (callers catch errors; this
        is the arithmetic)."""
        s1 = self.ngram_score(v)
        if not self.asks_encoder(v, s1):
            return Judgement(s1, None, None, False, None)
        emb = encoder.embed([v.original])
        if emb is None:
            flag = s1 > self.threshold_ngram_alone
            return Judgement(s1, None, None, flag, "ideation" if flag else None)
        e = emb[0]
        s2 = float(e @ self.e5_w + self.e5_b)
        a, b, c = self.blend
        z = a * s1 + b * s2 + c
        flag = z > self.threshold
        return Judgement(s1, s2, z, flag, self._level(e) if flag else None)

    def _level(self, e: np.ndarray) -> str:
        logits = self.level_w @ e + self.level_b
        crisis = [i for i, name in enumerate(LEVELS) if name in CRISIS_LEVELS]
        return LEVELS[max(crisis, key=lambda i: logits[i])]


MIN_LETTERS = 2


def enough_words(text: str) -> bool:
    """At least :data:`MIN_LETTERS` Hangul syllables or Latin letters.

    Why: a message like ``ㅇㅇ``, ``ㅋㅋ`` or an emoji has almost no n-grams, so its score is
    little more than the bias plus whatever those few characters co-occurred with in
    training (``ㅇㅇ`` ends many crisis lines written in slang: ``진심임 ㅇㅇ``). The model
    abstains there; the rules still read short crisis forms such as ``ㅈㅅ``."""
    count = 0
    for ch in text:
        if "\uac00" <= ch <= "\ud7a3" or ("a" <= ch.lower() <= "z"):
            count += 1
            if count >= MIN_LETTERS:
                return True
    return False


@dataclass(frozen=True)
class Judgement:
    """What the model saw in one message (``buddy safety explain`` prints it)."""

    ngram: float
    e5: float | None  # None: below the gate, or no encoder
    blended: float | None
    crisis: bool
    level: str | None  # the level head's guess when ``crisis``


def load(folder: Path = MODEL_DIR) -> CrisisModel:
    """Read the model files (raises with the fix when they are missing or malformed)."""
    from safetensors.numpy import load_file

    try:
        meta = json.loads((folder / "crisis_model.json").read_text("utf-8"))
        w1 = load_file(str(folder / "crisis_ngram.safetensors"))
        w2 = load_file(str(folder / "crisis_e5.safetensors"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(
            f"the learned crisis model in {folder} cannot be read ({exc}); "
            "re-create it with `buddy safety train-model`"
        ) from exc
    if meta.get("n_features") != ngram.N_FEATURES:
        raise RuntimeError("crisis model was trained with another feature size; retrain it")
    b = meta["blend"]
    return CrisisModel(
        w1["ngram_w"].astype(np.float32), float(meta["ngram_b"]),
        w2["e5_w"].astype(np.float32), float(meta["e5_b"]),
        w2["level_w"].astype(np.float32), w2["level_b"].astype(np.float32),
        float(meta["gate"]), (float(b["ngram"]), float(b["e5"]), float(b["bias"])),
        float(meta["threshold"]), float(meta["threshold_ngram_alone"]), meta,
    )


class LearnedCrisisSignal:
    """The learned model as the crisis check holds it: loaded once (at warm-up, else on first
    use), never retried after a failure (logged once: the rules carry on alone).

    ``model`` hands in an already loaded model (tests); ``encoder`` the sentence encoder
    (``Encoder(available=False)``: the n-gram stage alone).
    """

    def __init__(
        self, folder: Path = MODEL_DIR, *, model: CrisisModel | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.folder = folder
        self.encoder = encoder or Encoder()
        self._lock = threading.Lock()
        self._model = model
        self._failed = False

    def prepare(self) -> CrisisModel | None:
        """The loaded model (and the encoder), or None when it cannot be had."""
        if self._model is not None or self._failed:
            return self._model
        with self._lock:
            if self._model is None and not self._failed:
                try:
                    self._model = load(self.folder)
                    self.encoder.available()
                    log.info("learned crisis model loaded (%d training texts)",
                             self._model.meta["trained_on"]["examples"])
                except Exception:
                    self._failed = True
                    log.warning("learned crisis model unavailable; the rules decide alone",
                                exc_info=True)
        return self._model

    def judge(self, v: Views) -> Judgement | None:
        """The model's view of one message, or None when it is missing or failing."""
        try:
            model = self.prepare()
            return model.judge(v, self.encoder) if model is not None else None
        except Exception:
            log.exception("learned crisis model failed; the rules decide alone")
            return None

    def signals(self, v: Views) -> tuple[list[str], str | None]:
        """``(["learned:crisis"], level)`` when the model flags the message, else ``([],
        None)`` (never raises). ``level`` is the level head's guess; the checker lets it
        raise, never lower, what the rules saw (:func:`core.safety.decision.with_learned`)."""
        j = self.judge(v)
        if j is not None and j.crisis:
            return [SIGNAL], j.level
        return [], None

    def encoder_inputs(self, v: Views) -> list[str]:
        """The text :meth:`judge` will hand the encoder for this message (none below the
        gate, or without a model). Embedded early, off the event loop and batched with
        other messages' (:func:`core.inference.encoder_worker`), it makes the verdict's
        encoder call a look-up. Never raises."""
        try:
            model = self.prepare()
            return [v.original] if model is not None and model.asks_encoder(v) else []
        except Exception:
            log.debug("learned crisis model's encoder input unavailable", exc_info=True)
            return []
