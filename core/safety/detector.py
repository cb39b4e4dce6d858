"""Crisis detection: patterns first, morphology and the classifier as further signals.

The pattern layer alone is enough to flag a crisis; Kiwi morphology catches inflected
forms the patterns miss, and the classifier's crisis categories only add a signal. Any
internal failure degrades to a smaller layer, never to "no crisis": nothing here raises
and nothing fails open.

A message is read once (:meth:`SafetyChecker.scan`): its views and the pattern layer on
the spot, then Kiwi's part when first needed (the pipeline analyses :meth:`MessageScan.kiwi_inputs`
off the event loop beforehand), and the verdict is assembled from that as often as asked —
without a prediction, and again with the classifier's (:meth:`MessageScan.decide`).

Layers: :mod:`~core.safety.patterns`, :mod:`~core.safety.morphology`, the whose-crisis
:mod:`~core.safety.guards`, :mod:`~core.safety.decision` (levels and the learned gate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.classify.base import Prediction
from core.limits import SAFETY_WINDOW_CHARS, SAFETY_WINDOW_OVERLAP
from core.safety import guards
from core.safety.assessment import Match, SafetyAssessment, Span
from core.safety.decision import decide, with_learned
from core.safety.levels import RiskLevel
from core.safety.lexicon import FALLBACK_FRAGMENTS
from core.safety.morphology import kiwi_input, morph_hints, morph_signals
from core.safety.normalize import Views, views
from core.safety.patterns import pattern_signals

if TYPE_CHECKING:
    from core.safety.learned import LearnedCrisisSignal

log = logging.getLogger(__name__)


def _fallback(text: str) -> SafetyAssessment:
    """Last resort when even the pattern layer failed: a plain substring check."""
    try:
        compact = "".join(ch for ch in str(text).lower() if ch.isalnum())
        hits = [f for f in FALLBACK_FRAGMENTS if f in compact]
    except Exception:  # text was not even a string; nothing to read
        hits = []
    if hits:
        return SafetyAssessment(
            True, ("fallback:substring", *(f"phrase:{h}" for h in hits)), RiskLevel.IDEATION
        )
    return SafetyAssessment(False, ("fallback:substring",), RiskLevel.NONE)


# Which pattern rules say the same as a morphology signal about a verb: when such a rule's
# own idiom guard refused the phrase (``쪽팔려서 사라지고 싶었어``, a quoted song line) and
# none of them fired, the morphology signal about that verb is the same phrase seen again.
_MORPH_FAMILIES: dict[str, frozenset[str]] = {
    "죽": frozenset({"죽고싶", "죽어버릴"}),
    "뒤지": frozenset({"죽고싶", "뒤질래"}),
    "디지": frozenset({"죽고싶", "뒤질래"}),
    "뒈지": frozenset({"죽고싶", "뒤질래"}),
    "사라지": frozenset({"사라지고싶"}),
    "살": frozenset({"살기싫", "살고싶지않", "안살고싶"}),
}


def _refused_by_patterns(signal: str, vetoed: set[str], fired: set[str]) -> bool:
    """True when ``signal`` (``morph:죽+싶``, ``intent:사라지``) repeats a vetoed phrase."""
    verb = signal.split(":", 1)[-1].split("+", 1)[0]
    family = _MORPH_FAMILIES.get(verb)
    return family is not None and bool(family & vetoed) and not family & fired


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by a separator no rule matches across."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "|" * (end - start)
    return "".join(chars)



@dataclass
class _Found:
    """What the layers found in one view of a message."""

    crisis: list[str]
    concern: list[str]
    explained: set[str] = field(default_factory=set)
    spans: list[Span] = field(default_factory=list)
    matched: list[Match] = field(default_factory=list)
    vetoed: set[str] = field(default_factory=set)


def _patterns(v: Views) -> _Found:
    """The pattern layer: crisis signals, hints, explained hints, crisis spans, matches."""
    f = _Found([], [])
    f.crisis, f.concern = pattern_signals(v, f.explained, f.spans, f.vetoed, f.matched)
    return f


def _with_morphology(v: Views, f: _Found) -> _Found:
    """``f`` plus Kiwi's signals and hints (a copy: the pattern layer's result stays)."""
    crisis, concern = list(f.crisis), list(f.concern)
    fired = {c.removeprefix("phrase:") for c in f.crisis}
    try:
        for signal in morph_signals(v.compact):
            if signal not in crisis and not _refused_by_patterns(signal, f.vetoed, fired):
                crisis.append(signal)
        concern.extend(morph_hints(v.compact))
    except Exception:
        log.exception("morphology unavailable for the crisis check; patterns only")
        concern.append("degraded:morph")
    return _Found(crisis, concern, f.explained, f.spans, f.matched, f.vetoed)


def _set_aside(v: Views, found: list[Span]) -> tuple[Views, tuple[str, ...]] | None:
    """The message without crisis phrases that are someone else's or long past, with the
    ``guard:`` notes saying why; None when every crisis phrase is the writer's own now."""
    reasons: set[str] = set()
    blank: dict[str, list[tuple[int, int]]] = {"compact": [], "spaced": []}
    for _name, view, start, end in found:
        text = v.spaced if view == "spaced" else v.compact
        why = guards.set_aside(text, start, end)
        if why is not None:
            reasons.add(why)
            blank[view].append((start, end))
    if not reasons:
        return None
    rest = Views(v.original, _blank(v.spaced, blank["spaced"]), _blank(v.compact, blank["compact"]))
    return rest, tuple(f"guard:{r}" for r in sorted(reasons))



class _WindowScan:
    """One window (or a short message) read once: views and patterns now, Kiwi when needed.

    Crisis phrases about someone else (``친구가 죽고 싶대``) or a recovered past are set
    aside and the rest of the message is read again: the writer's own words in the same
    message (``나도 죽고 싶어``) still flag it.
    """

    def __init__(self, text: str, learned: LearnedCrisisSignal | None) -> None:
        self.text = text
        self._learned = learned
        self._judged: tuple[object] | None = None
        self.views: Views | None = None
        self._read: tuple[Views, _Found] | None = None  # the views that decide, patterns
        self._notes: tuple[str, ...] = ()
        self._found: _Found | None = None  # with morphology, once asked
        try:
            v = views(text)
            f = _patterns(v)
        except Exception:
            log.exception("crisis pattern layer failed; using the substring fallback")
            return
        self.views, self._read = v, (v, f)
        if f.crisis and f.spans:
            try:
                aside = _set_aside(v, f.spans)
                if aside is not None:
                    rest, notes = aside
                    self._read, self._notes = (rest, _patterns(rest)), notes
            except Exception:  # the guards only ever lower a verdict: keep the full one
                log.exception("crisis guards failed; keeping the unguarded verdict")

    def kiwi_input(self) -> str | None:
        """The text the morphology layer will hand Kiwi, or None when it needs none."""
        return kiwi_input(self._read[0].compact) if self._read is not None else None

    def _layers(self) -> _Found:
        if self._found is None:
            assert self._read is not None
            self._found = _with_morphology(*self._read)
        return self._found

    def _learned_signals(self) -> object:
        """The learned model's view of the whole window, asked at most once."""
        if self._judged is None:
            assert self._learned is not None and self.views is not None
            self._judged = (self._learned.signals(self.views),)
        return self._judged[0]

    def decide(self, prediction: Prediction | None) -> SafetyAssessment:
        if self._read is None:
            return _fallback(self.text)
        f = self._layers()
        try:
            verdict = decide(f.crisis, f.concern, prediction, f.explained, self._notes,
                             tuple(f.matched))
        except Exception:
            log.exception("crisis decision failed; deciding on patterns alone")
            return SafetyAssessment(bool(f.crisis), tuple(f.crisis))
        return with_learned(verdict, self._learned_signals if self._learned else None)


class MessageScan:
    """A whole message read once by the crisis check; :meth:`decide` gives the verdict.

    A message longer than one window is judged whole and also window by window (windows of
    :data:`~core.limits.SAFETY_WINDOW_CHARS` that overlap): every layer, Kiwi included, then
    reads every part of it, so ``일 얘기 ... (8,000자) ... 죽고 싶어`` is a crisis. Only the
    first window gets the prediction: the classifier read only the start of the message.
    The windows are read only when the whole message is no crisis.
    """

    def __init__(self, text: str, learned: LearnedCrisisSignal | None = None) -> None:
        self.text = text
        self._learned = learned
        self._whole = _WindowScan(text, learned)

    def kiwi_inputs(self) -> list[str]:
        """What the check will hand Kiwi for the whole message (analyse it off the loop
        beforehand and the check finds it in :mod:`core.morph`'s cache)."""
        key = self._whole.kiwi_input()
        return [key] if key else []

    def encoder_inputs(self) -> list[str]:
        """What the learned model may hand its sentence encoder for the whole message
        (embed it off the loop beforehand and the verdict finds it remembered)."""
        if self._learned is None or self._whole.views is None:
            return []
        return self._learned.encoder_inputs(self._whole.views)

    def decide(self, prediction: Prediction | None = None) -> SafetyAssessment:
        """The verdict, with the classifier's ``prediction`` as one more signal. Never
        raises, never fails open."""
        text = self.text
        whole = self._whole.decide(prediction)
        if whole.crisis or not isinstance(text, str) or len(text) <= SAFETY_WINDOW_CHARS:
            return whole
        try:
            for start, window in windows(text):
                scan = _WindowScan(window, self._learned)
                verdict = scan.decide(prediction if start == 0 else None)
                if verdict.crisis:
                    return SafetyAssessment(True, (*verdict.signals, f"window@{start}"),
                                            verdict.level)
        except Exception:  # the whole-message verdict stands; the fallback reads everything
            log.exception("windowed crisis check failed; adding the substring fallback")
            fallback = _fallback(text)
            return fallback if fallback.crisis else whole
        return whole


class SafetyChecker:
    """The crisis check as the core holds it: the rules, and the learned model when on.

    Built from settings by :func:`core.app.open_buddy` (``SAFETY_LEARNED``); without a
    learned model the rules decide alone.
    """

    def __init__(self, learned: LearnedCrisisSignal | None = None) -> None:
        self.learned = learned

    def scan(self, text: str) -> MessageScan:
        """Read ``text`` once; ask the result for Kiwi's inputs and for verdicts."""
        return MessageScan(text, self.learned)

    def assess(self, text: str, prediction: Prediction | None = None) -> SafetyAssessment:
        """Decide whether a message is a crisis and how serious. Never raises, never fails
        open."""
        return self.scan(text).decide(prediction)


def assess(
    text: str, prediction: Prediction | None = None, *,
    learned: LearnedCrisisSignal | None = None,
) -> SafetyAssessment:
    """:meth:`SafetyChecker.assess` with the given learned model (none: the rules alone),
    for tests, evaluations and the CLI."""
    return SafetyChecker(learned).assess(text, prediction)


def windows(text: str) -> list[tuple[int, str]]:
    """``(start, part)`` windows covering ``text``: each part overlaps the next one."""
    step = SAFETY_WINDOW_CHARS - SAFETY_WINDOW_OVERLAP
    last = max(0, len(text) - SAFETY_WINDOW_CHARS)
    starts = list(range(0, last + 1, step))
    if starts[-1] != last:
        starts.append(last)
    return [(s, text[s : s + SAFETY_WINDOW_CHARS]) for s in starts]



def morph_inputs(text: str) -> list[str]:
    """What :func:`assess` hands Kiwi for ``text`` (the whole message's part)."""
    return MessageScan(text).kiwi_inputs()
