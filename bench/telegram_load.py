"""``buddy bench telegram``: the serve load, but through the real Telegram adapter.

Why: ``buddy bench serve`` measures the core alone; this checks that the adapter around it
(python-telegram-bot long polling, per-chat ordering, update de-duplication, the
send-without-duplicates rule) keeps the promise under load: **every message answered
once, none twice**, and every message logged.

Set-up, as ``buddy serve`` would run it: the stand-in Bot API of
:mod:`bench.telegram_stub` on 127.0.0.1, the adapter built by
:func:`bot.telegram_channel.build_application` with ``TELEGRAM_BASE_URL`` pointed at it, and
the core from :func:`core.app.open_buddy` on the embedded default model with a SQLite log
in a throw-away ``BUDDY_VAR_DIR``.

Load shape: each simulated user is a private chat that sends its next message only after
the reply to the previous one reached the stand-in, like a person; all users start
together. (The adapter would also keep order within a chat if a user sent everything at
once, but then "which reply answers which message" could not be timed per message.)

What counts:

* latency: from queueing the update in the stand-in (what Telegram does when a person
  presses send) to the stand-in receiving the bot's ``sendMessage``; it includes the long
  poll pick-up, the typing indicator, the core and the HTTP round trips;
* duplicates: replies (``sendMessage`` calls) a chat received beyond the messages it sent,
  counted after the adapter stopped, so late extras are seen; plus user messages the core
  logged more than once (the same update handled twice);
* missing: messages with no reply within ``reply_timeout_s``, or fewer replies in a chat
  than messages sent;
* rows logged: two per message (the user's and Buddy's).

The stand-in runs in the same process and event loop as the adapter, so its HTTP serving
(about three requests per message: ``getUpdates`` share, ``sendChatAction``,
``sendMessage``) competes with Buddy for the one Python thread; the figures are a lower
bound for the adapter, and the gap to ``buddy bench serve`` is mostly HTTP on both ends.

A reply longer than 4096 characters would arrive as several ``sendMessage`` calls; Buddy's
answers are short, and :func:`run_telegram_bench` reports ``longest_reply_chars`` so a
change that breaks this assumption shows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import config_json, machine
from bench.measure import percentile, rss_mb
from bench.serve_load import _count_rows, user_scripts
from bench.telegram_stub import TOKEN, TelegramStub

log = logging.getLogger(__name__)

FIRST_USER_ID = 1_000_001


@dataclass
class TelegramBenchConfig:
    """How much load; ``quick()`` is the variant the tests run."""

    data_dir: Path
    users: int = 100
    messages_per_user: int = 10
    model_dir: Path | None = None   # None: the embedded default (trained once, cached)
    cache_dir: Path | None = None   # where the embedded default is cached
    reply_timeout_s: float = 60.0   # a reply later than this counts as missing
    seed: int = 0

    @classmethod
    def quick(cls, data_dir: Path, cache_dir: Path | None = None) -> TelegramBenchConfig:
        return cls(data_dir=data_dir, users=10, messages_per_user=3, cache_dir=cache_dir)


@dataclass
class _TimedStub(TelegramStub):
    """The stand-in, also noting when each ``sendMessage`` arrived and waking its chat."""

    arrivals: dict[int, list[float]] = field(default_factory=dict)
    reply_chars: list[int] = field(default_factory=list)
    inboxes: dict[int, asyncio.Queue[float]] = field(default_factory=dict)

    def _process(self, key: str, method: str, params: dict[str, Any]) -> Any:
        result = super()._process(key, method, params)
        if key == "sendmessage":
            now = time.perf_counter()
            chat = int(params["chat_id"])
            self.arrivals.setdefault(chat, []).append(now)
            self.reply_chars.append(len(params.get("text", "")))
            if chat in self.inboxes:
                self.inboxes[chat].put_nowait(now)
        return result


async def _load_model(cfg: TelegramBenchConfig, settings: Any, var_dir: Path) -> Any:
    from core.app import LoadedModel
    from core.classify.loader import load_model
    from core.classify.model_folder import read_answers
    from training.default_model import ensure_default_model

    if cfg.model_dir is None:
        cache = cfg.cache_dir or (var_dir / "models")
        folder = await asyncio.to_thread(ensure_default_model, settings.data_dir, cache)
    else:
        folder = Path(cfg.model_dir)
    classifier = await asyncio.to_thread(load_model, folder)
    return LoadedModel(folder, classifier, read_answers(folder))


async def run_telegram_bench(cfg: TelegramBenchConfig) -> dict[str, Any]:
    """Send ``users`` × ``messages_per_user`` updates through the adapter; return the figures.

    ``ok`` in the result is False when any message went unanswered, was answered twice,
    or was not logged; the CLI turns that into a non-zero exit code.
    """
    from bot.telegram_channel import build_application, start_telegram, stop_telegram
    from core.app import open_buddy
    from core.config import load_settings

    scripts = user_scripts(cfg.data_dir, cfg.users, cfg.messages_per_user, cfg.seed)
    latencies: list[float] = []
    timed_out = 0

    with tempfile.TemporaryDirectory(prefix="buddy-telegram-bench-") as tmp:
        var_dir = Path(tmp)
        t0 = time.perf_counter()
        async with _TimedStub.running() as stub:
            settings = load_settings(
                BUDDY_VAR_DIR=var_dir, BUDDY_DATA_DIR=Path(cfg.data_dir), database_url="",
                buddy_model=None, pseudonym_secret="bench-only-secret",
                telegram_token=TOKEN, telegram_base_url=stub.base_url,
                telegram_webhook_url=None,
            )
            model = await _load_model(cfg, settings, var_dir)
            load_s = time.perf_counter() - t0

            async with open_buddy(settings, model=model) as buddy:
                application = build_application(buddy, settings)
                await start_telegram(application, settings, poll_timeout=1)
                try:
                    # One untimed message first (loads the morpheme analyser), from a chat
                    # outside the load, as the first user after a restart would send.
                    warm_id = FIRST_USER_ID - 1
                    t_first = time.perf_counter()
                    stub.text(warm_id, "안녕하세요")
                    await stub.wait_for(lambda: warm_id in stub.arrivals, cfg.reply_timeout_s)
                    first_ms = (time.perf_counter() - t_first) * 1000

                    async def user(chat_id: int, texts: list[str]) -> None:
                        nonlocal timed_out
                        inbox: asyncio.Queue[float] = asyncio.Queue()
                        stub.inboxes[chat_id] = inbox
                        for text in texts:
                            queued = time.perf_counter()
                            stub.text(chat_id, text)
                            try:
                                arrived = await asyncio.wait_for(inbox.get(),
                                                                 cfg.reply_timeout_s)
                            except asyncio.TimeoutError:
                                timed_out += 1
                                continue
                            latencies.append(arrived - queued)

                    load_before = os.getloadavg()
                    started = time.perf_counter()
                    await asyncio.gather(*(user(FIRST_USER_ID + n, s)
                                           for n, s in enumerate(scripts)))
                    wall = time.perf_counter() - started
                finally:
                    await stop_telegram(application)  # handlers in flight finish first
                flushed = await buddy.writer.flush(timeout=120)
                wall_logged = time.perf_counter() - started
                rows = await _count_rows(buddy)
                load_after = os.getloadavg()

    sent = cfg.users * cfg.messages_per_user
    per_chat = {FIRST_USER_ID + n: len(s) for n, s in enumerate(scripts)}
    got = {chat: len(stub.arrivals.get(chat, [])) for chat in per_chat}
    extra_replies = sum(max(0, got[c] - n) for c, n in per_chat.items())
    short_chats = sum(max(0, n - got[c]) for c, n in per_chat.items())
    warm_rows = 1  # the warm-up message is logged too (one user row, one bot row)
    user_rows = rows.get("user", 0) - warm_rows
    handled_twice = max(0, user_rows - sent)
    delivered = sum(got.values())
    logged = sum(rows.values()) - 2 * warm_rows
    duplicates = extra_replies + handled_twice
    missing = max(short_chats, timed_out)
    return {
        "benchmark": "telegram",
        "model_id": model.classifier.model_id,
        "users": cfg.users,
        "messages_per_user": cfg.messages_per_user,
        "messages_sent": sent,
        "replies_delivered": delivered,
        "duplicates": duplicates,
        "duplicate_replies": extra_replies,
        "updates_handled_twice": handled_twice,
        "missing_replies": missing,
        "chats_answered_exactly": sum(got[c] == n for c, n in per_chat.items()),
        "ok": duplicates == 0 and missing == 0 and logged == 2 * sent,
        "throughput_msgs_per_s": round(sent / wall, 1),
        "throughput_logged_msgs_per_s": round(sent / wall_logged, 1),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "latency_max_ms": round(max(latencies) * 1000, 2) if latencies else None,
        "latency_measures": "update queued in the stand-in -> its sendMessage received",
        "wall_seconds": round(wall, 3),
        "wall_seconds_until_logged": round(wall_logged, 3),
        "log_flushed": flushed,
        "rows_logged": logged,
        "rows_expected": 2 * sent,
        "every_message_logged": logged == 2 * sent,
        "rows_by_role": {role: n - warm_rows for role, n in rows.items()},
        "bot_api_calls": _call_counts(stub),
        "longest_reply_chars": max(stub.reply_chars, default=0),
        "first_message_ms": round(first_ms, 1),
        "model_load_seconds": round(load_s, 2),
        "rss_mb": rss_mb(),
        "load_shape": "each user waits for the reply before sending the next message",
        "bot_api": "bench.telegram_stub on 127.0.0.1 (long polling, real HTTP)",
        "database": "SQLite (aiosqlite) in a temporary BUDDY_VAR_DIR",
        "environment": machine(load_before, load_after),
        "config": config_json(cfg),
    }


def _call_counts(stub: TelegramStub) -> dict[str, int]:
    """How many requests of each Bot API method the adapter made (getUpdates included)."""
    return dict(sorted(stub.attempts.items()))
