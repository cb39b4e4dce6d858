"""Normalisation: what the model sees is clean Korean, whatever the keyboard sent."""

from __future__ import annotations

import unicodedata

from core.text import has_hangul, has_words, normalize


def test_decomposed_jamo_become_syllables() -> None:
    decomposed = unicodedata.normalize("NFD", "우울해요")
    assert decomposed != "우울해요"
    assert normalize(decomposed) == "우울해요"


def test_invisible_and_control_characters_removed() -> None:
    assert normalize("잠\u200b이\u202e  안\x00와요\n\n") == "잠이 안 와요"


def test_length_capped_for_the_model() -> None:
    assert len(normalize("가" * 100_000)) == 512


def test_emoji_only_has_no_words() -> None:
    assert not has_words("😢🥲💔")
    assert has_words("ㅠㅠ 힘들어")
    assert has_hangul("ㅈㅅ") and not has_hangul("hello")
