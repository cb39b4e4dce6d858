"""``buddy serve``: every channel (web chat, Telegram, Discord) in one asyncio process, one core.

Start-up: load the model (in a thread: it may train the embedded default), open the log,
build the channels from settings (:func:`build_channels`), hand the routes some channels
contribute (Telegram's webhook) to the one that hosts the web server, then start each in
order and print one line per channel saying whether it runs and, if not, why. Only the
web server is required; any other channel that fails says why and the rest stay up.
The human handoff (docs/HANDOFF.md) gets a ``deliver`` over the channels that started
(:class:`bot.delivery.ChannelDelivery`) and its idle hand-back runs beside the retention
purge.

Shutdown on SIGINT/SIGTERM, within 10 s: stop taking new messages (the core refuses, the
gate answers refusals with the crisis check, and ``/healthz`` turns 503), end operators'
live views and stop delivering their messages, stop the
channels in reverse order (the web server last, so replies in flight are sent), write the
log, exit 0. A second signal abandons the graceful path.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.channel import Channel, ContributesRoutes, Describes, HostsRoutes, Supervised
from bot.delivery import ChannelDelivery
from bot.web.channel import WebStartError
from core.config import Settings

if TYPE_CHECKING:
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET_S = 9.0  # the promise is 10 s; keep a second for the interpreter to exit
CHANNELS_STOP_S = 5.0  # all channels but the last (the web server) together
WEB_RESERVE_S = 3.0  # what the log writer keeps of the budget after the channels


class ServeError(Exception):
    """A failure that stops ``buddy serve`` from starting; the message says what to do."""


def build_channels(settings: Settings) -> list[Channel]:
    """Every platform Buddy talks on, web server first (it must listen before a webhook is
    registered, and stop last). A channel without its token reports itself off."""
    from bot.discord_channel import DiscordChannel
    from bot.telegram_channel import TelegramChannel
    from bot.telegram_operators import TelegramOperators
    from bot.web.channel import WebChannel

    telegram = TelegramChannel(settings)  # the operators' group may share its bot: after it
    return [WebChannel(), telegram, DiscordChannel(), TelegramOperators(settings, telegram)]


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run(settings: Settings, out: Callable[[str], None] = print,
              channels: list[Channel] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; raises :class:`ServeError` when start-up is impossible."""
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
    channels = channels if channels is not None else build_channels(settings)
    started: list[Channel] = []
    try:
        out("버디를 준비하고 있어요 / Buddy is starting (loading the model)...")
        async with open_buddy(settings) as buddy:
            _share_routes(channels)
            delivery = ChannelDelivery()
            if buddy.handoff is not None:
                buddy.handoff.deliver = delivery
            tasks = [t for t in (_start_retention(buddy, settings), _start_expiry(buddy)) if t]
            lines: list[str] = []
            try:
                for channel in channels:
                    status = await channel.start(buddy, settings)
                    started.append(channel)
                    lines.append(status.line())
                    if status.running:
                        delivery.add(channel)
                    if isinstance(channel, Describes):
                        lines[:0] = channel.notes(settings)
            except WebStartError as exc:
                for task in tasks:
                    task.cancel()
                await _stop(started, time.monotonic())
                raise ServeError(str(exc)) from exc
            out(f"Model: {buddy.classifier.model_id}")
            out(log_status_line(buddy, settings))
            for line in lines:
                out(line)
            if buddy.handoff is not None:
                out(buddy.handoff.status())
            out("Press Ctrl-C to stop.")
            await _wait_for_stop(stop, started)
            for task in tasks:
                task.cancel()
            delivery.close()
            await _shutdown(buddy, started, out)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _share_routes(channels: list[Channel]) -> None:
    """Routes some channels need (a webhook) go to the channel hosting the web server."""
    routes = [route for channel in channels if isinstance(channel, ContributesRoutes)
              for route in channel.routes()]
    for channel in channels:
        if isinstance(channel, HostsRoutes):
            channel.mount(routes)


async def _wait_for_stop(stop: asyncio.Event, channels: list[Channel]) -> None:
    """Until a signal, or until a supervised channel (the web server) ends by itself."""
    waiters = {asyncio.ensure_future(stop.wait())}
    waiters |= {asyncio.ensure_future(c.closed()) for c in channels if isinstance(c, Supervised)}
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    if not stop.is_set():
        log.error("the web server stopped unexpectedly; shutting down")


def _start_retention(buddy: Buddy, settings: Settings) -> asyncio.Task[None] | None:
    """The daily purge of conversations older than RETENTION_DAYS."""
    from core.storage.retention import daily_purge_loop

    if buddy.writer is None or settings.retention_days <= 0:
        return None
    return asyncio.create_task(
        daily_purge_loop(buddy.writer.sessions, settings.retention_days), name="buddy-retention"
    )


def _start_expiry(buddy: Buddy) -> asyncio.Task[None] | None:
    """Held conversations whose operator went silent go back to Buddy (with a notice)."""
    if buddy.handoff is None or not buddy.handoff.enabled:
        return None
    return asyncio.create_task(buddy.handoff.run_expiry(), name="buddy-handoff-expiry")


async def _stop(channels: list[Channel], started: float) -> None:
    """Stop the channels in reverse start order: all but the first together (they only
    fetch), then the first (the web server), so replies in flight are still sent."""
    first, rest = channels[:1], channels[1:]
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(c.stop() for c in reversed(rest)), return_exceptions=True),
            CHANNELS_STOP_S)
        for channel, result in zip(reversed(rest), results, strict=True):
            if isinstance(result, BaseException):
                log.warning("%s did not stop cleanly: %s", channel.name, _why(result))
    except asyncio.TimeoutError:
        log.warning("channels did not stop within %.0fs; continuing", CHANNELS_STOP_S)
    left = SHUTDOWN_BUDGET_S - (time.monotonic() - started)
    for channel in first:
        try:
            await asyncio.wait_for(channel.stop(), max(0.5, left - WEB_RESERVE_S))
        except asyncio.TimeoutError:
            log.warning("%s still busy at shutdown; closed", channel.name)


async def _shutdown(buddy: Buddy, channels: list[Channel], out: Callable[[str], None]) -> None:
    started = time.monotonic()
    out("버디를 종료하고 있어요 / Buddy is stopping: finishing replies in flight...")
    buddy.stop_accepting()
    if buddy.handoff is not None:
        buddy.handoff.feed.close()  # operators' live views end, so the web server can stop
    await _stop(channels, started)
    left = SHUTDOWN_BUDGET_S - (time.monotonic() - started)
    await buddy.aclose(timeout=max(0.5, left - 0.5))  # replies in flight, then log writes
    out(f"Stopped in {time.monotonic() - started:.1f}s.")
