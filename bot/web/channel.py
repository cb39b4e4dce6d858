"""The web chat as a :class:`~bot.channel.Channel`: the HTTP server every channel shares.

The web channel always runs (``WEB_PORT=0`` picks a free port). It builds the app with
the routes other channels contribute (:meth:`mount`, before it starts: Telegram's
webhook), serves it under uvicorn on the shared event loop, and reaches an open chat page
through the push outbox (:mod:`bot.web.outbox`). It stops last, so that HTTP requests in
flight (and webhook updates) are answered before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

import uvicorn
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from bot.channel import ChannelStatus
from bot.web.app import create_app
from bot.web.http_server import server_config
from bot.web.outbox import Outbox

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy

log = logging.getLogger(__name__)


class WebStartError(Exception):
    """The web server cannot start (e.g. the port is taken); the message says what to do."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: ``buddy serve`` decides how to shut down."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    """Bind the web socket ourselves: uvicorn would ``sys.exit`` on a busy port, which no
    caller can catch inside a task; here it is an error message that says what to do."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        raise WebStartError(
            f"the web chat could not listen on {host}:{port} ({exc.strerror or exc}). "
            "Set WEB_PORT to a free port, or WEB_PORT=0 to pick one automatically."
        ) from exc
    sock.setblocking(False)
    return sock


def _admin_routers(buddy: Buddy, settings: Settings) -> list[APIRouter]:
    """The operators' dashboard (with the handoff desk), mounted only when there is a log."""
    from bot.web.admin import create_admin_router

    if buddy.writer is None:
        return []
    return [create_admin_router(buddy.writer.sessions, settings, buddy.classifier.labels,
                                handoff=buddy.handoff)]


class WebChannel:
    """The chat page and API; reaches a browser session through its open page."""

    name = "web"

    def __init__(self, outbox: Outbox | None = None) -> None:
        self.outbox = outbox if outbox is not None else Outbox()
        self.url = ""
        self._routes: list[BaseRoute] = []
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def around(cls, app: FastAPI) -> WebChannel:
        """The channel of an app built by :func:`create_app` and served elsewhere (tests)."""
        return cls(app.state.outbox)

    def mount(self, routes: Sequence[BaseRoute]) -> None:
        """Routes other channels contribute; they must be given before :meth:`start`."""
        if self._server is not None:
            raise RuntimeError("routes must be mounted before the web server starts")
        self._routes.extend(routes)

    async def start(self, buddy: Buddy, settings: Settings) -> ChannelStatus:
        """Listen (raises :class:`WebStartError` when impossible: nothing works without it)."""
        app = create_app(buddy, settings, extra_routers=_admin_routers(buddy, settings),
                         routes=self._routes, outbox=self.outbox)
        sock = _bind(settings.web_host, settings.web_port)
        server = _Server(server_config(app, settings))
        task = asyncio.create_task(server.serve(sockets=[sock]), name="buddy-web")
        while not server.started:
            if task.done():
                task.result()
                raise WebStartError("the web server stopped during start-up; see the log above")
            await asyncio.sleep(0.02)
        self._server, self._task = server, task
        host = settings.web_host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
        self.url = f"http://{shown}:{sock.getsockname()[1]}/"
        return ChannelStatus("Web chat", True, self.url)

    def notes(self, settings: Settings) -> list[str]:
        """Lines for the start-up summary beside the status (the dashboard)."""
        if settings.admin_token is None:
            return ["Dashboard: off (ADMIN_TOKEN not set)"]
        return [f"Dashboard: on at {self.url}admin"]

    async def closed(self) -> None:
        """Returns when the server stopped by itself (``buddy serve`` then shuts down)."""
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(self._task)

    async def stop(self) -> None:
        """End the push streams, finish HTTP requests in flight (uvicorn's graceful
        shutdown), then close."""
        self.outbox.close()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(BaseException):
                await self._task

    async def send_text(self, address: str, text: str, sender: str | None = None) -> None:
        """Push ``text`` to the page of session ``address``, shown as from ``sender`` (a
        person, e.g. "상담 선생님"); :class:`~bot.channel.DeliveryError` for an unknown one."""
        if text.strip():
            self.outbox.put(address, text, sender)
