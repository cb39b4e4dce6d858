"""OPERATOR_TELEGRAM_IDS: which Telegram account acts as which operator in the operators'
group. A mistake stops the start with the entry and the fix; an account id never appears in
the message (they are people's own ids)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.config import Settings

OPERATORS = "kim:" + "k" * 32 + ",lee:" + "l" * 32


def settings(ids: str, operators: str = OPERATORS) -> Settings:
    return Settings(_env_file=None, operators=operators,  # type: ignore[call-arg]
                    operator_telegram_ids=ids)


def test_each_account_acts_as_its_operator() -> None:
    assert settings("kim:123456789, lee:987654321").operator_telegram_accounts() == {
        123456789: "kim", 987654321: "lee"}
    assert settings("").operator_telegram_accounts() == {}


@pytest.mark.parametrize(("ids", "said"), [
    ("park:555000111", "not an operator; add them to OPERATORS"),
    ("kim:@kimsupport", "name:telegram_account_id"),
    ("kim", "name:telegram_account_id"),
    ("kim:555000111,lee:555000111", "each person needs their own"),
])
def test_a_wrong_entry_stops_the_start_with_the_fix(ids: str, said: str) -> None:
    with pytest.raises(ValidationError, match=said) as caught:
        settings(ids)
    assert "555000111" not in caught.value.errors()[0]["msg"]
