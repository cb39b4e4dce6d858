"""Long replies split for Telegram (4096) and Discord (2000): nothing lost, no word cut."""

from __future__ import annotations

import pytest

from bot.splitting import split_message

PARAGRAPHS = "\n\n".join(f"{n}번째 문단이에요. " + "천천히 하나씩 이야기해 봐요." * 30
                         for n in range(1, 16))


@pytest.mark.parametrize("limit", [2000, 4096])
def test_paragraphs_are_kept_whole_and_in_order(limit: int) -> None:
    pieces = split_message(PARAGRAPHS, limit)
    assert len(pieces) > 1 and all(len(p) <= limit for p in pieces)
    assert "\n\n".join(pieces) == PARAGRAPHS


def test_without_paragraphs_it_cuts_between_words() -> None:
    words = ["마음이", "조금", "가벼워졌으면", "좋겠어요."] * 400
    pieces = split_message(" ".join(words), 2000)
    assert all(len(p) <= 2000 for p in pieces)
    assert [w for p in pieces for w in p.split(" ")] == words


def test_a_word_longer_than_the_limit_is_still_delivered_whole() -> None:
    assert "".join(split_message("가" * 5000, 4096)) == "가" * 5000


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    pieces = split_message("😢" * 3000, 4096)  # 6000 UTF-16 units
    assert [len(p) for p in pieces] == [2048, 952]


def test_short_and_blank_texts() -> None:
    assert split_message("  안녕하세요  ", 4096) == ["안녕하세요"]
    assert split_message(" \n ", 4096) == []
