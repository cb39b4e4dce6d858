"""Operator alerts over real HTTP to a stand-in server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.safety import OperatorAlerts


class StandIn:
    """Records every POST; answers the first ``fail_first`` requests with HTTP 500."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.fail_first = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.requests.append((self.path, json.loads(body or b"{}")))
                failing = len(stand_in.requests) <= stand_in.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


async def _no_wait(_: float) -> None:
    return None


async def test_telegram_alert_carries_the_pseudonymous_ref_only(stand_in: StandIn) -> None:
    alerts = OperatorAlerts(
        telegram_token="123:SECRET", telegram_chat_id="-100777", telegram_base_url=stand_in.url
    )
    await alerts.send("u-3f9a", "telegram", ("phrase:죽고싶", "morph:죽+싶"))
    await alerts.aclose()
    assert len(stand_in.requests) == 1
    path, body = stand_in.requests[0]
    assert path == "/bot123:SECRET/sendMessage"
    assert body["chat_id"] == "-100777"
    assert "u-3f9a" in body["text"] and "telegram" in body["text"]
    assert "phrase:죽고싶" in body["text"]


async def test_discord_and_webhook_get_their_own_payloads(stand_in: StandIn) -> None:
    alerts = OperatorAlerts(
        discord_webhook_url=f"{stand_in.url}/discord", webhook_url=f"{stand_in.url}/hook"
    )
    assert alerts.targets == ("discord", "webhook")
    await alerts.send("u-1", "discord", ("phrase:자해",))
    await alerts.aclose()
    by_path = dict(stand_in.requests)
    assert "u-1" in by_path["/discord"]["content"]
    hook = by_path["/hook"]
    assert hook["event"] == "crisis_flagged"
    assert hook["user_ref"] == "u-1" and hook["platform"] == "discord"
    assert hook["signals"] == ["phrase:자해"] and hook["time"]
    assert set(hook) == {"event", "user_ref", "platform", "time", "signals"}  # no message text


async def test_failed_alert_is_retried_until_it_arrives(stand_in: StandIn) -> None:
    stand_in.fail_first = 2
    alerts = OperatorAlerts(webhook_url=f"{stand_in.url}/hook", retries=3, sleep=_no_wait)
    await alerts.send("u-1", "web", ())
    await alerts.aclose()
    assert len(stand_in.requests) == 3


async def test_unreachable_target_never_raises_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    alerts = OperatorAlerts(
        telegram_token="123:SECRET",
        telegram_chat_id="1",
        telegram_base_url=f"http://127.0.0.1:{port}",
        retries=1,
        sleep=_no_wait,
    )
    with caplog.at_level(logging.WARNING, logger="core.safety.alerts"):
        await alerts.send("u-1", "telegram", ())
        await alerts.aclose()
    assert "operator alert to telegram failed" in caplog.text
    assert "SECRET" not in caplog.text  # the token is part of the URL: never logged


async def test_no_target_configured_sends_nothing(stand_in: StandIn) -> None:
    alerts = OperatorAlerts(telegram_token="123:SECRET", telegram_base_url=stand_in.url)
    assert not alerts.enabled
    await alerts.send("u-1", "telegram", ())
    await alerts.aclose()
    assert stand_in.requests == []


async def test_telegram_alert_has_a_take_button_only_for_an_operators_group(
    stand_in: StandIn,
) -> None:
    """The button carries the pseudonymous reference only; without the group, no button."""
    for take_button in (True, False):
        alerts = OperatorAlerts(telegram_token="123:SECRET", telegram_chat_id="-100777",
                                telegram_base_url=stand_in.url, take_button=take_button)
        await alerts.send("3f9a00c1d2e4", "telegram", ("phrase:죽고싶",), "ideation")
        await alerts.aclose()
    with_button, without = (body for _, body in stand_in.requests)
    [[button]] = with_button["reply_markup"]["inline_keyboard"]
    assert button == {"text": "대화 맡기 / Take", "callback_data": "take:3f9a00c1d2e4"}
    assert "reply_markup" not in without


async def test_serve_puts_the_button_only_under_alerts_to_a_set_up_operators_group(
    stand_in: StandIn,
) -> None:
    from core.app import build_alerts
    from core.config import Settings
    from core.handoff.crypto import new_key

    group = {"_env_file": None, "telegram_token": "123:SECRET", "handoff_key": new_key(),
             "telegram_base_url": f"{stand_in.url}/bot", "alert_telegram_chat_id": "-100777",
             "operators": "kim:" + "k" * 32}
    for ids in ("kim:4242", ""):  # with and without OPERATOR_TELEGRAM_IDS
        alerts = build_alerts(Settings(**group, operator_telegram_ids=ids))
        assert alerts is not None
        await alerts.send("3f9a00c1d2e4", "telegram", ("phrase:죽고싶",), "ideation")
        await alerts.aclose()
    with_ids, without = (body for _, body in stand_in.requests)
    assert "reply_markup" in with_ids and "reply_markup" not in without
