"""The crisis check's Kiwi pre-check: it may skip Kiwi only where Kiwi could not matter.

The pre-check (``morph_needed``) exists for speed: most messages then skip morphological
analysis. If a rule in ``morph_signals``/``finality_hints`` learns a new word without the
pre-check learning it too, the rule would silently never see a message; these tests catch
that on the crisis sets, by running Kiwi without the pre-check and comparing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core import morph
from core.safety import assess
from core.safety import morphology as d
from core.safety.detector import morph_inputs
from core.safety.levels import RiskLevel
from core.safety.normalize import views

CRISIS_DIR = Path(__file__).resolve().parents[2] / "data" / "crisis"


def _lines(*names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        text = (CRISIS_DIR / name).read_text(encoding="utf-8")
        out += [line.strip() for line in text.splitlines() if line.strip()]
    return out


def _kiwi_text(text: str) -> str:
    return d._hangul(views(text).compact)


def test_every_positive_that_morphology_flags_passes_the_precheck() -> None:
    positives = _lines("positives.txt")
    uses_morphology = 0
    for text in positives:
        key = _kiwi_text(text)
        morphs = morph.morphemes(key) if key else ()
        from_kiwi = d.signals_from_morphemes(morphs) + d.finality_hints(morphs)
        signals = assess(text).signals
        if from_kiwi or any(s.startswith(("morph:", "intent:")) for s in signals):
            uses_morphology += 1
            assert d.morph_needed(key), f"pre-check would skip Kiwi for: {text}"
            assert d.kiwi_input(views(text).compact) == key
    assert uses_morphology >= 20  # the set really exercises the Kiwi path


def test_no_finality_hint_is_lost_on_any_crisis_set() -> None:
    every = sorted(p.name for p in CRISIS_DIR.glob("*.txt"))
    for text in _lines(*every):
        key = _kiwi_text(text)
        if key and d.finality_hints(morph.morphemes(key)):
            assert d.hints_possible(key), f"finality pre-check would skip: {text}"


@pytest.mark.parametrize(
    "text",
    [
        "엄만 나 없어도 괜찮을 거야 미안해",  # 엄마+ㄴ, 나없
        "부모님께 미안하다고 전해줘",  # 전하다 lemmatised from 전해
        "약 몰래 모아뒀어",  # 모으다 from 모아
        "고양이는 친구한테 맡겼어 이제 다 끝났어",  # 맡기다 from 맡겼, 끝나다 from 끝났
        "오늘 밤이 마지막이야 먼저 갈게",
        "여한은 없어 준비됐어",
    ],
)
def test_inflected_finality_language_still_reaches_kiwi(text: str) -> None:
    key = _kiwi_text(text)
    assert d.finality_hints(morph.morphemes(key))  # Kiwi finds a hint here…
    assert d.kiwi_input(views(text).compact) == key  # …so the pre-check must hand the text to Kiwi


def test_everyday_messages_skip_kiwi() -> None:
    for text, level in (
        ("요즘 잠이 안 와서 힘들어요", RiskLevel.NONE),
        ("시험 망쳐서 우울해", RiskLevel.DISTRESS),  # pain without a wish to die
        ("점심 뭐 먹을지 추천해줘", RiskLevel.NONE),
    ):
        assert d.kiwi_input(views(text).compact) is None and morph_inputs(text) == []
        assert assess(text).level is level


def test_a_missing_kiwi_still_degrades_messages_it_would_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing() -> None:
        raise RuntimeError("kiwi model missing")

    monkeypatch.setattr(morph, "get_kiwi", missing)
    morph.cache_clear()  # Kiwi is asked again, and is missing
    verdict = assess("요즘 잠이 안 와서 힘들어요")
    assert "degraded:morph" in verdict.signals  # as before the pre-check: never silent
