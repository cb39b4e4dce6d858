"""``buddy bench serve``: many users talking at once through the whole core, with a real log.

Each simulated user is a coroutine that sends its messages one after another, waiting for
each reply as a person in a chat would; all users start together. Every message takes the
full path of :meth:`core.pipeline.Buddy.handle` — crisis check, classification (embedded
default model, micro-batched), answer choice, and the log (journal fsync'd before each
reply, then SQLite) — built by :func:`core.app.open_buddy` exactly as ``buddy serve`` builds
it, with a throw-away ``BUDDY_VAR_DIR``. At the end the log is flushed and its rows counted:
two per message (the user's and Buddy's), so "every message logged" is checked, not
assumed. The same load also runs in the earlier background mode, for comparison.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import config_json, machine
from bench.measure import percentile, rss_mb

log = logging.getLogger(__name__)


@dataclass
class ServeBenchConfig:
    """How much load; ``quick()`` is the variant the tests run."""

    data_dir: Path
    users: int = 100
    messages_per_user: int = 10
    model_dir: Path | None = None   # None: the embedded default (trained once, cached)
    cache_dir: Path | None = None   # where the embedded default is cached
    seed: int = 0

    @classmethod
    def quick(cls, data_dir: Path, cache_dir: Path | None = None) -> ServeBenchConfig:
        return cls(data_dir=data_dir, users=5, messages_per_user=3, cache_dir=cache_dir)


def user_scripts(data_dir: Path, users: int, per_user: int, seed: int) -> list[list[str]]:
    """Each user's messages: real utterances of our dataset, drawn without replacement.

    Distinct texts matter: the morpheme analyser caches recent texts, so repeating a few
    sentences would measure the cache instead of the work a real stream of messages costs.
    """
    from core.dataset.formats import load_dataset
    from core.text import normalize

    pool = sorted({normalize(e.text) for e in load_dataset(Path(data_dir)).examples} - {""})
    random.Random(seed).shuffle(pool)
    need = users * per_user
    stream = (pool * (need // len(pool) + 1))[:need]
    return [stream[u * per_user : (u + 1) * per_user] for u in range(users)]


async def _count_rows(buddy: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from core.storage.models import Message

    async with buddy.writer.sessions() as session:
        rows = (await session.execute(
            select(Message.role, func.count()).group_by(Message.role))).all()
    return {str(role): int(n) for role, n in rows}


async def _run_mode(cfg: ServeBenchConfig, model: Any, scripts: list[list[str]],
                    durable: bool) -> dict[str, Any]:
    """One load run through a fresh ``open_buddy`` in its own temporary var dir."""
    from core.app import open_buddy
    from core.config import load_settings
    from core.messages import IncomingMessage

    with tempfile.TemporaryDirectory(prefix="buddy-serve-bench-") as tmp:
        settings = load_settings(
            BUDDY_VAR_DIR=Path(tmp), BUDDY_DATA_DIR=Path(cfg.data_dir), database_url="",
            buddy_model=None, pseudonym_secret="bench-only-secret",
            flood_limit_per_minute=1_000_000,
        )
        latencies: list[float] = []
        kinds: dict[str, int] = {}
        async with open_buddy(settings, model=model, durable=durable) as buddy:

            async def user(n: int, texts: list[str]) -> None:
                for i, text in enumerate(texts):
                    msg = IncomingMessage("bench", f"user-{n}", text, message_id=f"{n}-{i}")
                    started = time.perf_counter()
                    reply = await buddy.handle(msg)
                    latencies.append(time.perf_counter() - started)
                    kinds[reply.kind.value] = kinds.get(reply.kind.value, 0) + 1

            # One untimed message first: loads the morpheme analyser and compiles lazy
            # parts, as the first user after a restart would (reported on its own).
            t_first = time.perf_counter()
            await buddy.handle(IncomingMessage("bench", "warm-up", "안녕하세요"), log_turn=False)
            first_ms = (time.perf_counter() - t_first) * 1000
            load_before = os.getloadavg()
            started = time.perf_counter()
            await asyncio.gather(*(user(n, s) for n, s in enumerate(scripts)))
            wall = time.perf_counter() - started
            flushed = await buddy.writer.flush(timeout=120)
            wall_logged = time.perf_counter() - started
            rows = await _count_rows(buddy)
            load_after = os.getloadavg()
            journal = buddy.writer.journal
            fsyncs = journal.fsyncs if journal is not None else 0
            journaled = journal.appended if journal is not None else 0
    sent = cfg.users * cfg.messages_per_user
    logged = sum(rows.values())
    return {
        "durable": durable,
        "messages_sent": sent,
        "replies": len(latencies),
        "throughput_msgs_per_s": round(sent / wall, 1),
        "throughput_logged_msgs_per_s": round(sent / wall_logged, 1),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "latency_max_ms": round(max(latencies) * 1000, 2),
        "wall_seconds": round(wall, 3),
        "wall_seconds_until_logged": round(wall_logged, 3),
        "log_flushed": flushed,
        "rows_logged": logged,
        "rows_by_role": rows,
        "rows_expected": 2 * sent,
        "every_message_logged": logged == 2 * sent,
        "journal_fsyncs": fsyncs,
        "turns_journaled_before_reply": journaled if durable else 0,
        "turns_per_fsync": round(journaled / fsyncs, 1) if durable and fsyncs else None,
        "reply_kinds": dict(sorted(kinds.items())),
        "first_message_ms": round(first_ms, 1),
        "environment": machine(load_before, load_after),
    }


def _cold_caches() -> None:
    """Forget what the previous run on the same messages left in per-text caches (Kiwi's
    analyses, the crisis check's views)."""
    from core import morph
    from core.safety import normalize

    morph.cache_clear()
    normalize._views_cached.cache_clear()


async def run_serve_bench(cfg: ServeBenchConfig) -> dict[str, Any]:
    """Drive ``users`` × ``messages_per_user`` messages through the core; return the figures.

    Twice, side by side on the same messages: durable (each turn fsync'd to the journal
    before its reply, as ``buddy serve`` runs) and the earlier background mode (turns reach
    disk after the reply), so the cost of durability is measured, not guessed. The
    top-level figures are the durable mode's; ``background`` holds the other's.
    """
    from core.app import LoadedModel
    from core.classify.loader import load_model
    from core.classify.model_folder import read_answers
    from core.config import load_settings
    from training.default_model import ensure_default_model

    scripts = user_scripts(cfg.data_dir, cfg.users, cfg.messages_per_user, cfg.seed)
    t0 = time.perf_counter()
    if cfg.model_dir is None:
        settings = load_settings(BUDDY_DATA_DIR=Path(cfg.data_dir))
        with tempfile.TemporaryDirectory(prefix="buddy-serve-bench-model-") as tmp:
            cache = cfg.cache_dir or Path(tmp)
            folder = await asyncio.to_thread(ensure_default_model, settings.data_dir, cache)
            classifier = await asyncio.to_thread(load_model, folder)
            answers = read_answers(folder)
    else:
        folder = Path(cfg.model_dir)
        classifier = await asyncio.to_thread(load_model, folder)
        answers = read_answers(folder)
    model = LoadedModel(folder, classifier, answers)
    load_s = time.perf_counter() - t0

    background = await _run_mode(cfg, model, scripts, durable=False)
    _cold_caches()  # the second run must not be served from the first one's caches
    durable = await _run_mode(cfg, model, scripts, durable=True)
    from core.config import load_settings

    return {
        "benchmark": "serve",
        "model_id": classifier.model_id,
        "safety_learned": load_settings().safety_learned,
        "users": cfg.users,
        "messages_per_user": cfg.messages_per_user,
        **durable,
        "background": background,
        "durability_cost_p99_ms": round(durable["latency_p99_ms"] - background["latency_p99_ms"],
                                        2),
        "unique_texts": len({t for s in scripts for t in s}),
        "model_load_seconds": round(load_s, 2),
        "rss_mb": rss_mb(),
        "database": "SQLite (aiosqlite) in a temporary BUDDY_VAR_DIR; journal fsync'd there",
        "config": config_json(cfg),
    }
