"""Operator alerts when a crisis is flagged: Telegram, Discord and/or a generic webhook.

An alert says only that a crisis was flagged, for which pseudonymous user reference, on
which platform, when, and which detector signals fired. It never carries a raw platform id
or the message text. With ``take_button`` the Telegram alert has a "Take" button for the
operators' group (:mod:`bot.telegram_operators`). Sending runs in background tasks with retries and backoff, so a slow
or broken alert target can never delay or break the reply to the person in crisis.

Note for entry points: httpx logs request URLs at INFO, and a Telegram URL contains the bot
token; set the ``httpx`` logger to WARNING.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

log = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org"
#: the operators' group's button under a Telegram alert (``bot.telegram_operators``)
TAKE_LABEL = "대화 맡기 / Take"
TAKE_PREFIX = "take:"  # callback data: the prefix and the pseudonymous user reference
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class _Target:
    name: str  # "telegram" | "discord" | "webhook": what is logged, never the URL
    url: str
    payload: Callable[[dict[str, Any]], dict[str, Any]]


def alert_text(event: dict[str, Any]) -> str:
    """The human-readable alert for chat targets (Korean, for the operator)."""
    signals = ", ".join(event["signals"]) or "-"
    level = f"위험 수준: {event['risk_level']}\n" if event.get("risk_level") else ""
    return (
        "⚠️ 버디: 위기 신호가 감지되었습니다\n"
        f"{level}"
        f"사용자: {event['user_ref']}\n"
        f"플랫폼: {event['platform']}\n"
        f"시각: {event['time']}\n"
        f"신호: {signals}\n"
        "위기 안내(상담전화)는 이미 보냈습니다. 운영 절차에 따라 확인해 주세요."
    )


def take_markup(event: dict[str, Any]) -> dict[str, Any]:
    """The "Take" button for the operators' group: its data carries only the pseudonymous
    reference (the bot that handles the press looks the conversation up)."""
    data = TAKE_PREFIX + event["user_ref"]
    return {"reply_markup": {"inline_keyboard": [[{"text": TAKE_LABEL, "callback_data": data}]]}}


class OperatorAlerts:
    """Sends crisis alerts to every configured target; does nothing when none is set."""

    def __init__(
        self,
        telegram_token: str | None = None,
        telegram_chat_id: str | None = None,
        telegram_base_url: str = TELEGRAM_API,
        discord_webhook_url: str | None = None,
        webhook_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        retries: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        take_button: bool = False,
    ) -> None:
        self._targets: list[_Target] = []
        if telegram_token and telegram_chat_id:
            base = telegram_base_url.rstrip("/")
            chat_id = telegram_chat_id
            self._targets.append(
                _Target(
                    "telegram",
                    f"{base}/bot{telegram_token}/sendMessage",
                    lambda e: {"chat_id": chat_id, "text": alert_text(e),
                               **(take_markup(e) if take_button else {})},
                )
            )
        if discord_webhook_url:
            self._targets.append(
                _Target("discord", discord_webhook_url, lambda e: {"content": alert_text(e)})
            )
        if webhook_url:
            self._targets.append(_Target("webhook", webhook_url, lambda e: dict(e)))
        self._client = client
        self._owns_client = client is None
        self._timeout = timeout_s
        self._retries = max(0, retries)
        self._backoff = backoff_s
        self._sleep = sleep
        self._pending: set[asyncio.Task[bool]] = set()

    @property
    def enabled(self) -> bool:
        """True when at least one target is configured."""
        return bool(self._targets)

    @property
    def targets(self) -> tuple[str, ...]:
        """Names of the configured targets, for startup logs."""
        return tuple(t.name for t in self._targets)

    async def send(
        self,
        user_ref: str,
        platform: str,
        signals: tuple[str, ...],
        risk_level: str | None = None,
    ) -> None:
        """Schedule an alert to every target and return at once (never raises).

        ``risk_level`` is the level's label (``"plan"``); the pipeline alerts from
        ``ideation`` up (:data:`core.safety.levels.ALERT_FROM`).
        """
        if not self._targets:
            return
        event = {
            "event": "crisis_flagged",
            "user_ref": user_ref,
            "platform": platform,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "signals": list(signals),
        }
        if risk_level is not None:
            event["risk_level"] = risk_level
        for target in self._targets:
            task = asyncio.create_task(self._deliver(target, event))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def aclose(self, timeout_s: float = 30.0) -> None:
        """Wait for pending alerts (up to ``timeout_s``), then close the client we own."""
        if self._pending:
            done, not_done = await asyncio.wait(set(self._pending), timeout=timeout_s)
            for task in not_done:
                task.cancel()
            if not_done:
                log.error("%d operator alert(s) still unsent at shutdown", len(not_done))
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def _deliver(self, target: _Target, event: dict[str, Any]) -> bool:
        """Post to one target, retrying network errors and 429/5xx with exponential backoff."""
        for attempt in range(self._retries + 1):
            try:
                response = await self._http().post(target.url, json=target.payload(event))
                if response.status_code < 300:
                    return True
                retry = response.status_code in _RETRY_STATUS
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:  # connection refused, timeout, ...
                retry, problem = True, type(exc).__name__
            except Exception:  # a bug here must never reach the reply path
                log.exception("operator alert to %s failed unexpectedly", target.name)
                return False
            if not retry or attempt == self._retries:
                log.error(
                    "operator alert to %s failed (%s) after %d attempt(s); check the %s "
                    "alert settings",
                    target.name,
                    problem,
                    attempt + 1,
                    target.name,
                )
                return False
            log.warning("operator alert to %s failed (%s); retrying", target.name, problem)
            await self._sleep(self._backoff * (2**attempt))
        return False
