"""A small stand-in for the Telegram Bot API, served over real HTTP on 127.0.0.1.

Why it ships with the project (not only with the tests): ``buddy bench telegram`` drives
the real Telegram adapter against it, and the adapter tests and fault tests do too. The
real python-telegram-bot client is pointed at it with ``TELEGRAM_BASE_URL``
(:attr:`TelegramStub.base_url`), exactly as at a self-hosted Bot API server.

It serves queued updates through ``getUpdates`` (long polling with offsets, as Telegram
does), records every call the bot makes in :attr:`TelegramStub.calls`, and can misbehave
on purpose: answer 429 with ``retry_after`` (the request is *not* processed, as Telegram
guarantees), or accept a message and answer too late (the request *is* processed, the
client times out). Only what Buddy uses is implemented: ``getMe``, ``getUpdates``,
``sendMessage``, ``editMessageText``, ``getChat``, ``createForumTopic`` (groups and forum
topics for the operators' group: :meth:`TelegramStub.group`, :meth:`~TelegramStub.reply`,
:meth:`~TelegramStub.in_topic`); every other method is recorded and answered ``true``.

Usage::

    async with TelegramStub.running() as stub:   # a free loopback port
        settings = Settings(telegram_token=TOKEN, telegram_base_url=stub.base_url)
        ...start the adapter...
        stub.text(user_id=1, text="안녕")         # queue an update
        await stub.wait_sent(chat_id=1)           # the bot's sendMessage calls to chat 1
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse as _StarletteJSON
from starlette.routing import Route


class JSONResponse(_StarletteJSON):
    """JSON as the Bot API may send it: non-ASCII as ``\\uXXXX`` escapes, so a lone
    surrogate a client put in a message (broken UTF-16) reaches the bot as python-telegram-bot
    would get it from Telegram, instead of failing to encode here."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


TOKEN = "123456:TEST-TOKEN"
BOT_USER = {
    "id": 999,
    "is_bot": True,
    "first_name": "Buddy",
    "username": "buddy_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LONG_POLL_CAP_S = 0.5  # keep shutdown quick; the client simply polls again


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class Fault:
    """A queued misbehaviour for the next call of one method."""

    kind: str  # "retry_after" or "late"
    seconds: float


@dataclass
class TelegramStub:
    """The fake server's state; tests push updates and read ``calls``."""

    calls: list[Call] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    port: int = 0
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(10_000))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    # --- test side: configuring -------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def fail_next(self, method: str, retry_after: int = 1) -> None:
        """The next ``method`` call gets HTTP 429 with ``retry_after``; not processed."""
        self._faults.setdefault(method.lower(), []).append(Fault("retry_after", retry_after))

    def answer_late(self, method: str, seconds: float) -> None:
        """The next ``method`` call is processed, but answered only after ``seconds``."""
        self._faults.setdefault(method.lower(), []).append(Fault("late", seconds))

    # --- test side: updates -----------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an ``update_id`` is added when missing)."""
        update.setdefault("update_id", next(self._update_ids))
        for key in ("message", "callback_query"):
            if key in update:
                msg = update[key] if key == "message" else update[key].get("message", {})
                if "chat" in msg:
                    self.chats[msg["chat"]["id"]] = msg["chat"]
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    def message(self, user_id: int, chat: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Queue a message update from ``user_id`` (a private chat unless ``chat`` is given)."""
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}",
                "language_code": "ko"}
        chat = chat or {"id": user_id, "type": "private", "first_name": f"User{user_id}"}
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
               "from": user, **fields}
        return self.push({"message": msg})

    def text(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        """Queue a plain text message from ``user_id``."""
        return self.message(user_id, text=text, **kw)

    def command(self, user_id: int, command: str, **kw: Any) -> dict[str, Any]:
        """Queue ``/command args`` with the bot_command entity Telegram would add."""
        name = command.split()[0]
        return self.message(user_id, text=command,
                            entities=[{"type": "bot_command", "offset": 0, "length": len(name)}],
                            **kw)

    def sticker(self, user_id: int) -> dict[str, Any]:
        return self.message(user_id, sticker={
            "file_id": "sticker-file", "file_unique_id": "sticker-u", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "type": "regular",
            "emoji": "😢"})

    def photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        extra = {"caption": caption} if caption else {}
        return self.message(user_id, photo=[{"file_id": "photo-file",
                                             "file_unique_id": "photo-u",
                                             "width": 90, "height": 90}], **extra)

    def voice(self, user_id: int) -> dict[str, Any]:
        return self.message(user_id, voice={"file_id": "voice-file", "file_unique_id": "v-u",
                                            "duration": 3})

    def press(self, user_id: int, sent: Call, data: str) -> dict[str, Any]:
        """Queue a callback query: ``user_id`` pressed the button ``data`` under ``sent``."""
        message = self.bot_message(sent)
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        return self.push({"callback_query": {
            "id": f"cq-{next(self._update_ids)}", "from": user, "chat_instance": "ci",
            "data": data, "message": message}})

    def group(self, chat_id: int, title: str = "상담팀", forum: bool = False) -> dict[str, Any]:
        """Make ``chat_id`` a supergroup the bot is in (a forum with topics when ``forum``)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": forum}
        self.chats[chat_id] = chat
        return chat

    def bot_message(self, sent: Call) -> dict[str, Any]:
        """The message the bot sent with ``sent``, as Telegram quotes it in a reply."""
        chat = self.chats[int(sent.params["chat_id"])]
        message = {"message_id": sent.params["_message_id"], "date": int(time.time()),
                   "chat": chat, "from": BOT_USER, "text": sent.params.get("text", "")}
        if sent.params.get("message_thread_id"):
            message["message_thread_id"] = int(sent.params["message_thread_id"])
        return message

    def reply(self, user_id: int, to: Call, text: str) -> dict[str, Any]:
        """Queue ``user_id``'s reply to the bot's message ``to`` in its chat (and topic);
        ``/command`` texts carry the bot_command entity."""
        quoted = self.bot_message(to)
        fields: dict[str, Any] = {"reply_to_message": quoted}
        if "message_thread_id" in quoted:
            fields |= {"message_thread_id": quoted["message_thread_id"],
                       "is_topic_message": True}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0,
                                   "length": len(text.split()[0])}]
        return self.message(user_id, chat=quoted["chat"], text=text, **fields)

    def in_topic(self, user_id: int, chat_id: int, thread_id: int, text: str) -> dict[str, Any]:
        """Queue a plain message (not a reply) that ``user_id`` wrote in a forum topic."""
        fields: dict[str, Any] = {"message_thread_id": thread_id, "is_topic_message": True}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0,
                                   "length": len(text.split()[0])}]
        return self.message(user_id, chat=self.chats[chat_id], text=text, **fields)

    # --- test side: reading -----------------------------------------------------------
    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Calls of ``method`` the server processed, optionally only for one chat."""
        return [c for c in self.calls if c.method.lower() == method.lower()
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until ``predicate()`` holds; the timeout only guards against a hang."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_sent(self, chat_id: int, count: int = 1, method: str = "sendMessage"
                        ) -> list[Call]:
        """Wait until ``chat_id`` got at least ``count`` calls of ``method``; return them."""
        await self.wait_for(lambda: len(self.sent(chat_id, method)) >= count)
        return self.sent(chat_id, method)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- server side ------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != TOKEN:
            return JSONResponse({"ok": False, "error_code": 401,
                                 "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        try:
            body = await request.body()
        except ClientDisconnect:  # the client gave up a long poll while stopping
            return JSONResponse({"ok": False}, status_code=499)
        params = _parse(body, request.headers.get("content-type", ""))
        key = method.lower()
        self.attempts[key] = self.attempts.get(key, 0) + 1
        fault = self._faults.get(key, []).pop(0) if self._faults.get(key) else None
        if fault and fault.kind == "retry_after":
            return JSONResponse({"ok": False, "error_code": 429,
                                 "description": f"Too Many Requests: retry after "
                                                f"{int(fault.seconds)}",
                                 "parameters": {"retry_after": int(fault.seconds)}},
                                status_code=429)
        if key == "getupdates":
            return JSONResponse({"ok": True, "result": await self._get_updates(params)})
        result = self._process(key, method, params)
        await self._notify()
        if fault and fault.kind == "late":
            await asyncio.sleep(fault.seconds)
        return JSONResponse({"ok": True, "result": result})

    def _process(self, key: str, method: str, params: dict[str, Any]) -> Any:
        if key == "getme":
            return BOT_USER
        if key in ("sendmessage", "editmessagetext"):
            chat_id = int(params["chat_id"])
            message_id = int(params.get("message_id") or next(self._message_ids))
            params["_message_id"] = message_id
            self.calls.append(Call(method, params))
            chat = self.chats.get(chat_id, {"id": chat_id, "type": "private"})
            sent = {"message_id": message_id, "date": int(time.time()), "chat": chat,
                    "from": BOT_USER, "text": params.get("text", "")}
            if params.get("message_thread_id"):
                sent |= {"message_thread_id": int(params["message_thread_id"]),
                         "is_topic_message": True}
            return sent
        self.calls.append(Call(method, params))
        if key == "getchat":  # a ChatFullInfo: the chat and the fields it requires
            chat_id = int(params["chat_id"])
            return {**self.chats.get(chat_id, {"id": chat_id, "type": "private"}),
                    "accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                            "unique_gifts": False,
                                            "premium_subscription": False,
                                            "gifts_from_channels": False}}
        if key == "createforumtopic":
            return {"message_thread_id": next(self._message_ids), "name": params["name"],
                    "icon_color": 7322096}
        if key == "getwebhookinfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # sendChatAction, setMyCommands, deleteWebhook, setWebhook, answer...

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:  # Telegram forgets confirmed updates
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP_S)
            with contextlib.suppress(asyncio.TimeoutError):
                async with self._changed:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)),
                                           wait)
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
        ])

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls) -> AsyncIterator[TelegramStub]:
        """Serve a fresh stub on a free loopback port for the duration of the block."""
        stub = cls()
        async with serve_app(stub.app()) as port:
            stub.port = port
            yield stub


@contextlib.asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[int]:
    """Run an ASGI app under uvicorn on 127.0.0.1 (free port) in this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def _parse(body: bytes, content_type: str) -> dict[str, Any]:
    """PTB posts form fields whose non-string values are JSON; text stays as sent."""
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    out: dict[str, Any] = {}
    for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        if name == "text":
            out[name] = value
            continue
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out
