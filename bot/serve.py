"""``buddy serve``: the web chat, Telegram and Discord in one asyncio process, one core.

Start-up: load the model (in a thread: it may train the embedded default), open the
log, start the web server (always; ``WEB_PORT=0`` picks a free port), then Telegram when
``TELEGRAM_TOKEN`` is set and Discord when ``DISCORD_TOKEN`` is set, and print one line per
adapter saying whether it runs and, if not, why.

Shutdown on SIGINT/SIGTERM, within 10 s: stop taking new messages (the core refuses and
``/healthz`` turns 503), stop the adapters fetching, let replies in flight be sent, write
the log, exit 0. A second signal abandons the graceful path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

import uvicorn

from core.config import Settings

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET_S = 9.0  # the promise is 10 s; keep a second for the interpreter to exit
ADAPTER_STOP_S = 5.0
ADAPTER_START_S = 30.0


class ServeError(Exception):
    """A failure that stops ``buddy serve`` from starting; the message says what to do."""


class DiscordClient(Protocol):
    async def start(self, token: str) -> None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class AdapterStatus:
    """One line of the start-up summary."""

    name: str
    running: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'on' if self.running else 'off'} ({self.detail})"


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: this process decides how to shut down."""

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
        raise ServeError(
            f"the web chat could not listen on {host}:{port} ({exc.strerror or exc}). "
            "Set WEB_PORT to a free port, or WEB_PORT=0 to pick one automatically."
        ) from exc
    sock.setblocking(False)
    return sock


async def _start_web(app: Any, settings: Settings) -> tuple[_Server, asyncio.Task[None], str]:
    sock = _bind(settings.web_host, settings.web_port)
    from bot.web.http_server import server_config

    server = _Server(server_config(app, settings))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="buddy-web")
    while not server.started:
        if task.done():
            task.result()
            raise ServeError("the web server stopped during start-up; see the log above")
        await asyncio.sleep(0.02)
    host = settings.web_host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    return server, task, f"http://{shown}:{sock.getsockname()[1]}/"


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Services:
    """What ``buddy serve`` started, so that shutdown stops exactly that, in order."""

    def __init__(self) -> None:
        self.web: _Server | None = None
        self.web_task: asyncio.Task[None] | None = None
        self.telegram: Any = None
        self.discord: DiscordClient | None = None
        self.discord_task: asyncio.Task[None] | None = None

    async def start_telegram(self, buddy: Any, settings: Settings, web_app: Any) -> AdapterStatus:
        """Build the application; in webhook mode add its route to the running web app.

        Starlette reads its route list on every request, so the webhook route can be
        added after the server started, and it is, before ``setWebhook`` is called.
        """
        from bot import telegram_bot

        if settings.telegram_token is None:
            return AdapterStatus("Telegram", False, "TELEGRAM_TOKEN not set")
        application = telegram_bot.build_application(buddy, settings)
        secret = None
        if settings.telegram_webhook_url:
            secret = telegram_bot.webhook_secret(settings)
            route = telegram_bot.webhook_route(application, telegram_bot.webhook_path(settings),
                                               secret)
            web_app.router.routes.insert(0, route)  # before any catch-all of the web app
        try:
            mode = await asyncio.wait_for(
                telegram_bot.start_telegram(application, settings, secret=secret),
                ADAPTER_START_S)
        except Exception as exc:  # a bad token or no network: report it, keep the rest up
            log.error("Telegram did not start", exc_info=True)
            with contextlib.suppress(Exception):
                await telegram_bot.stop_telegram(application)
            return AdapterStatus("Telegram", False, f"failed to start: {_why(exc)}; check "
                                 "TELEGRAM_TOKEN and TELEGRAM_BASE_URL")
        self.telegram = application
        return AdapterStatus("Telegram", True, mode)

    async def start_discord(self, buddy: Any, settings: Settings) -> AdapterStatus:
        """Connect the Discord client in a task; wait until it is ready or has failed."""
        if settings.discord_token is None:
            return AdapterStatus("Discord", False, "DISCORD_TOKEN not set")
        from bot.discord_bot import create_discord_bot

        client = create_discord_bot(buddy, settings)
        task = asyncio.create_task(client.start(settings.discord_token.get_secret_value()),
                                   name="buddy-discord")
        is_ready: Callable[[], bool] = getattr(client, "is_ready", lambda: True)
        deadline = time.monotonic() + ADAPTER_START_S
        while not task.done() and not is_ready() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if task.done():
            exc = task.exception()
            with contextlib.suppress(Exception):
                await client.close()
            return AdapterStatus("Discord", False, f"failed to start: "
                                 f"{_why(exc) if exc else 'stopped at once'}; check DISCORD_TOKEN")
        self.discord, self.discord_task = client, task
        user = getattr(client, "user", None)
        return AdapterStatus("Discord", True, f"connected as {user}" if is_ready() and user
                             else "still connecting")

    async def stop_adapters(self) -> None:
        """Stop fetching and let replies in flight finish; Telegram and Discord together."""
        from bot import telegram_bot

        jobs = []
        if self.telegram is not None:
            jobs.append(telegram_bot.stop_telegram(self.telegram))
        if self.discord is not None:
            jobs.append(self.discord.close())
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.warning("an adapter did not stop cleanly: %s", _why(result))
        if self.discord_task is not None:
            self.discord_task.cancel()
            with contextlib.suppress(BaseException):
                await self.discord_task

    async def stop_web(self) -> None:
        """Finish HTTP requests in flight (uvicorn's graceful shutdown), then close."""
        if self.web is not None and self.web_task is not None:
            self.web.should_exit = True
            with contextlib.suppress(BaseException):
                await self.web_task


async def run(settings: Settings, out: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM; raises :class:`ServeError` when start-up is impossible."""
    from bot.web.app import create_app
    from core.app import log_status_line, open_buddy

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    signals_seen = 0

    def on_signal(signum: int) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            log.info("received %s; shutting down", signal.Signals(signum).name)
            stop.set()
        elif main is not None:  # a second signal: stop waiting for anything
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    services = Services()
    try:
        out("버디를 준비하고 있어요 / Buddy is starting (loading the model)...")
        async with open_buddy(settings) as buddy:
            web_app = create_app(buddy, settings, extra_routers=_admin_routers(buddy, settings))
            purge = _start_retention(buddy, settings)
            services.web, services.web_task, url = await _start_web(web_app, settings)
            telegram = await services.start_telegram(buddy, settings, web_app)
            discord = await services.start_discord(buddy, settings)
            out(f"Model: {buddy.classifier.model_id}")
            out(log_status_line(buddy, settings))
            out(_admin_line(settings, url))
            out(AdapterStatus("Web chat", True, url).line())
            out(telegram.line())
            out(discord.line())
            out("Press Ctrl-C to stop.")
            stop_waiter = asyncio.ensure_future(stop.wait())
            web_task = services.web_task
            await asyncio.wait({stop_waiter, web_task}, return_when=asyncio.FIRST_COMPLETED)
            stop_waiter.cancel()
            if web_task.done() and not stop.is_set():
                log.error("the web server stopped unexpectedly; shutting down")
            if purge is not None:
                purge.cancel()
            await _shutdown(buddy, services, out)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _admin_routers(buddy: Any, settings: Settings) -> list[Any]:
    """The operators' dashboard, mounted only when there is a log to review."""
    from bot.web.admin import create_admin_router

    if buddy.writer is None:
        return []
    return [create_admin_router(buddy.writer.sessions, settings, buddy.classifier.labels)]


def _admin_line(settings: Settings, url: str) -> str:
    if settings.admin_token is None:
        return "Dashboard: off (ADMIN_TOKEN not set)"
    return f"Dashboard: on at {url}admin"


def _start_retention(buddy: Any, settings: Settings) -> asyncio.Task[None] | None:
    """The daily purge of conversations older than RETENTION_DAYS."""
    from core.storage.retention import daily_purge_loop

    if buddy.writer is None or settings.retention_days <= 0:
        return None
    return asyncio.create_task(
        daily_purge_loop(buddy.writer.sessions, settings.retention_days), name="buddy-retention"
    )


async def _shutdown(buddy: Any, services: Services, out: Callable[[str], None]) -> None:
    started = time.monotonic()
    out("버디를 종료하고 있어요 / Buddy is stopping: finishing replies in flight...")
    buddy.stop_accepting()
    try:
        await asyncio.wait_for(services.stop_adapters(), ADAPTER_STOP_S)
    except asyncio.TimeoutError:
        log.warning("adapters did not stop within %.0fs; continuing", ADAPTER_STOP_S)
    left = SHUTDOWN_BUDGET_S - (time.monotonic() - started)
    try:
        await asyncio.wait_for(services.stop_web(), max(0.5, left - 3.0))
    except asyncio.TimeoutError:
        log.warning("web requests still open at shutdown; closed")
    left = SHUTDOWN_BUDGET_S - (time.monotonic() - started)
    await buddy.aclose(timeout=max(0.5, left - 0.5))  # replies in flight, then log writes
    out(f"Stopped in {time.monotonic() - started:.1f}s.")
