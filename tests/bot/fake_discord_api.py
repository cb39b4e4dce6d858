"""A stand-in for Discord's REST API on 127.0.0.1, so the bot's real HTTP client is exercised.

discord.py sends every request to ``discord.http.Route.BASE``; the tests point that at this
server. It answers the routes Buddy uses the way Discord does, records every request, and
can answer the next N requests of a route with a 429 to check rate-limit handling.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

import discord_payloads as p
from aiohttp import web


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON exactly as Discord labels it: discord.py checks for a bare ``application/json``."""
    return web.Response(body=json.dumps(data).encode("utf-8"), status=status,
                        content_type="application/json", headers=headers)


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    body: Any


@dataclass
class FakeDiscordAPI:
    requests: list[Recorded] = field(default_factory=list)
    rate_limit: dict[str, int] = field(default_factory=dict)  # path regex -> 429s to send
    fail: dict[str, int] = field(default_factory=dict)  # path regex -> status to fail with
    interaction_messages: list[dict[str, Any]] = field(default_factory=list)  # callback replies
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    base: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._changed = asyncio.Condition()
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests read ------------------------------------------------------------------
    def sent(self, path_pattern: str, method: str = "POST") -> list[Recorded]:
        return [r for r in self.requests
                if r.method == method and re.fullmatch(path_pattern, r.path)]

    def messages_to(self, channel_id: int) -> list[str]:
        """Contents of the messages the bot posted in a channel, in order."""
        return [r.body.get("content") for r in self.sent(f"/channels/{channel_id}/messages")]

    async def wait_for(self, path_pattern: str, count: int = 1, method: str = "POST",
                       timeout: float = 10.0) -> list[Recorded]:
        """Wait until ``count`` matching requests arrived (for work discord.py schedules)."""
        assert self._changed is not None

        async def arrived() -> list[Recorded]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent(path_pattern, method)) >= count)
            return self.sent(path_pattern, method)

        return await asyncio.wait_for(arrived(), timeout)

    # --- the server -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        for pattern, left in list(self.rate_limit.items()):
            if left > 0 and re.fullmatch(pattern, path):
                self.rate_limit[pattern] = left - 1
                return _json(
                    {"message": "You are being rate limited.", "retry_after": 0.05,
                     "global": False, "code": 0},
                    status=429,
                    headers={"Via": "1.1 google", "Retry-After": "1",
                             "X-RateLimit-Scope": "user"},
                )
        for pattern, status in self.fail.items():
            if re.fullmatch(pattern, path):
                await self._record(request.method, path, body)
                return _json({"message": "Missing Permissions", "code": 50013},
                                         status=status)
        await self._record(request.method, path, body)
        return self._answer(request.method, path, body)

    async def _record(self, method: str, path: str, body: Any) -> None:
        self.requests.append(Recorded(method, path, body))
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    def _answer(self, method: str, path: str, body: Any) -> web.Response:
        if path == "/users/@me":
            return _json(p.bot_user())
        if path == "/oauth2/applications/@me":
            return _json(p.application())
        if re.fullmatch(r"/applications/\d+/commands", path) and method == "PUT":
            return _json([
                {**cmd, "id": p.snowflake(), "application_id": str(p.APP_ID), "version": "1",
                 "default_member_permissions": None, "type": cmd.get("type", 1),
                 "integration_types": cmd.get("integration_types", [0]),
                 "contexts": cmd.get("contexts"), "nsfw": False,
                 "description_localizations": None, "name_localizations": None}
                for cmd in body
            ])
        if m := re.fullmatch(r"/channels/(\d+)/typing", path):
            return web.Response(status=204)
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            channel_id = int(m.group(1))
            guild_id = None if channel_id == p.DM_CHANNEL else p.GUILD_ID
            return _json(p.sent_message(channel_id, body, guild_id))
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return _json(self._callback(int(m.group(1)), body))
        if re.fullmatch(r"/webhooks/\d+/[^/]+(/messages/@original)?", path):
            content = body.get("content") if isinstance(body, dict) else None
            msg = p.sent_message(p.CHANNEL_GENERAL, {"content": content or "",
                                                     **(body if isinstance(body, dict) else {})},
                                 p.GUILD_ID)
            msg["webhook_id"] = str(p.APP_ID)
            return _json(msg)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _callback(self, interaction_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """POST /interactions/{id}/{token}/callback?with_response=1."""
        kind = body["type"]
        data = body.get("data") or {}
        message_id = p.snowflake()
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):  # a message, or "Buddy is thinking…"
            msg = p.sent_message(p.CHANNEL_GENERAL, data, p.GUILD_ID)
            msg["id"] = message_id
            msg["interaction_metadata"] = {"id": str(interaction_id), "type": 2,
                                           "user": p.user(), "authorizing_integration_owners": {}}
            resource["message"] = msg
            self.interaction_messages.append(msg)
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_id": message_id,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            },
            "resource": resource,
        }
