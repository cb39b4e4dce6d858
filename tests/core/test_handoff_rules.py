"""Handoff's pure parts: the moves between states, duty hours, operators, the texts, the key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.config import load_settings
from core.errors import ConfigError
from core.handoff import texts
from core.handoff.crypto import AddressBox, decode_key, new_key
from core.handoff.hours import local_time, parse_hours
from core.handoff.states import HandoffError, HandoffEvent, HandoffState, move

S, E = HandoffState, HandoffEvent


def test_a_handoff_goes_queued_held_returned() -> None:
    state = move(S.NONE, E.REQUEST)
    assert state is S.QUEUED
    state = move(state, E.TAKE)
    assert state is S.HELD
    assert move(state, E.HAND_BACK) is S.RETURNED
    assert move(state, E.TIMEOUT) is S.RETURNED
    assert move(S.RETURNED, E.REQUEST) is S.QUEUED  # asking again later works
    assert move(S.NONE, E.TAKE) is S.HELD  # an operator may step in from the crisis queue
    for state in S:
        assert move(state, E.FORGET) is S.NONE


@pytest.mark.parametrize(("state", "event"), [(S.HELD, E.TAKE), (S.NONE, E.HAND_BACK),
                                              (S.QUEUED, E.TIMEOUT), (S.HELD, E.REQUEST)])
def test_moves_that_cannot_happen_say_why(state: HandoffState, event: HandoffEvent) -> None:
    with pytest.raises(HandoffError, match=event.value):
        move(state, event)


KST = "Asia/Seoul"


def at_kst(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026: the 7th is a Monday. Given in Seoul time, returned as UTC."""
    from zoneinfo import ZoneInfo

    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(KST)).astimezone(timezone.utc)


def test_office_hours_are_read_in_the_operators_zone() -> None:
    hours = parse_hours("Mon-Fri 09:00-18:00", KST)
    assert hours.on_duty(at_kst(7, 9))  # Monday 09:00 KST (00:00 UTC)
    assert hours.on_duty(at_kst(11, 17, 59))  # Friday
    assert not hours.on_duty(at_kst(7, 8, 59))
    assert not hours.on_duty(at_kst(7, 18))
    assert not hours.on_duty(at_kst(12, 12))  # Saturday


def test_always_and_windows_past_midnight() -> None:
    assert parse_hours("always").on_duty(at_kst(12, 3))
    night = parse_hours("Fri 22:00-02:00; Sat,Sun 10:00-14:00", KST)
    assert night.on_duty(at_kst(11, 23)) and night.on_duty(at_kst(12, 1, 30))
    assert not night.on_duty(at_kst(12, 2, 30))
    assert night.on_duty(at_kst(13, 11)) and not night.on_duty(at_kst(8, 11))


@pytest.mark.parametrize("spec", ["9-6", "Mon-Fri 9:00", "Funday 09:00-10:00", "Mon 25:00-26:00"])
def test_unreadable_hours_stop_the_start_with_an_example(spec: str) -> None:
    with pytest.raises(ConfigError, match="OPERATOR_HOURS"):
        load_settings(operator_hours=spec, _env_file=None)


def test_admin_times_are_shown_in_seoul_time() -> None:
    assert local_time(datetime(2026, 12, 5, 12, 0)) == "2026-12-05 21:00 KST"  # naive = UTC
    assert local_time(datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc), "UTC").endswith("UTC")


def test_operators_have_their_own_tokens_and_admin_keeps_working() -> None:
    settings = load_settings(operators="kim:" + "k" * 24 + ", lee:" + "l" * 30,
                             admin_token="a" * 24, _env_file=None)
    assert settings.operator_tokens() == {"admin": "a" * 24, "kim": "k" * 24, "lee": "l" * 30}
    for bad, said in [("kim:short", "at least 24"), ("kim:" + "k" * 24 + ",kim:" + "x" * 24,
                                                      "twice"),
                      ("kim:" + "k" * 24 + ",lee:" + "k" * 24, "own"), ("no token", "name:token")]:
        with pytest.raises(ConfigError, match=said):
            load_settings(operators=bad, _env_file=None)


def test_the_handoff_key_is_checked_and_keygen_makes_a_good_one() -> None:
    with pytest.raises(ConfigError, match="buddy handoff keygen"):
        load_settings(handoff_key="too-short", _env_file=None)
    key = new_key()
    assert load_settings(handoff_key=key, _env_file=None).handoff_key is not None
    box = AddressBox(decode_key(key))
    sealed = box.seal("telegram-chat-55501", "user-a")
    assert b"55501" not in sealed
    assert box.open(sealed, "user-a") == "telegram-chat-55501"
    assert box.open(sealed, "user-b") is None  # bound to its user
    assert AddressBox(decode_key(new_key())).open(sealed, "user-a") is None


def test_users_are_told_the_hotlines_when_no_one_is_there() -> None:
    for text in (texts.UNAVAILABLE, texts.QUEUED):
        assert "109" in text and "1577-0199" in text
