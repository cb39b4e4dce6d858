"""``buddy bench http``: real HTTP against a real ``buddy serve`` subprocess.

Everything a web user's message goes through is in the measurement: TCP, uvicorn, FastAPI
validation, the core, the journal fsync before the reply. ``connections`` clients keep one
request in flight each for ``duration_s`` seconds, every message a distinct utterance of
our dataset. Afterwards the server is stopped (SIGTERM) and the rows in its SQLite log are
counted against the answers the clients received: "every answered turn logged" is checked.

The load generator (a stdlib keep-alive HTTP/1.1 client, far cheaper per request than
httpx) runs on the same machine as the server and shares its cores, so the throughput is a
floor for what the server alone would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import config_json, machine
from bench.measure import percentile
from bench.serve_load import user_scripts

STARTUP_S = 300.0
REPO = Path(__file__).resolve().parent.parent


@dataclass
class HttpBenchConfig:
    """How much load, for how long; ``quick()`` is what the tests run."""

    data_dir: Path
    connections: int = 64
    duration_s: float = 20.0
    model_dir: Path | None = None  # None: the embedded default (trained once, cached)
    cache_dir: Path | None = None
    seed: int = 0

    @classmethod
    def quick(cls, data_dir: Path, cache_dir: Path | None = None) -> HttpBenchConfig:
        return cls(data_dir=data_dir, connections=50, duration_s=2.0, cache_dir=cache_dir)


async def _read_until(proc: asyncio.subprocess.Process, pattern: str, seen: list[str]) -> str:
    assert proc.stdout is not None
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), STARTUP_S)
        if not raw:
            raise RuntimeError("buddy serve ended before it was ready:\n" + "\n".join(seen[-20:]))
        seen.append(raw.decode("utf-8", "replace").rstrip("\n"))
        if match := re.search(pattern, seen[-1]):
            return match.group(1) if match.groups() else seen[-1]


async def _drain(proc: asyncio.subprocess.Process, seen: list[str]) -> None:
    """Keep reading the server's output so a full pipe never blocks it."""
    assert proc.stdout is not None
    while raw := await proc.stdout.readline():
        seen.append(raw.decode("utf-8", "replace").rstrip("\n"))


class _Connection:
    """One keep-alive HTTP/1.1 connection, stdlib only: the load generator shares the
    machine with the server, and httpx's per-request cost (its pool grows slower with
    more connections) would otherwise be measured as the server's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            .encode("ascii") + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return status, json.loads(payload)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


def _logged(db: Path) -> tuple[dict[str, int], int]:
    """(user text -> times logged, all rows) from the server's log file."""
    with sqlite3.connect(db) as conn:
        texts = dict(conn.execute("SELECT text, count(*) FROM messages WHERE role = 'user' "
                                  "GROUP BY text").fetchall())
        return texts, conn.execute("SELECT count(*) FROM messages").fetchone()[0]


async def run_http_bench(cfg: HttpBenchConfig) -> dict[str, Any]:
    """Start ``buddy serve``, load it over HTTP for ``duration_s``, stop it, count the log."""
    from training.default_model import ensure_default_model

    folder = cfg.model_dir
    if folder is None:
        cache = cfg.cache_dir or Path(tempfile.mkdtemp(prefix="buddy-http-bench-model-"))
        folder = await asyncio.to_thread(ensure_default_model, Path(cfg.data_dir), cache)
    # enough distinct texts for the whole run at a generous rate; reused round-robin beyond
    pool = [t for s in user_scripts(cfg.data_dir, 1, 20_000, cfg.seed) for t in s]

    with tempfile.TemporaryDirectory(prefix="buddy-http-bench-") as tmp:
        var = Path(tmp) / "var"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "DISCORD_", "WEB_", "BUDDY_", "DATABASE_",
                                    "ALERT_", "ADMIN_"))}
        env.update(BUDDY_VAR_DIR=str(var), BUDDY_MODEL=str(folder), WEB_HOST="127.0.0.1",
                   WEB_PORT="0", FLOOD_LIMIT_PER_MINUTE="1000000", PYTHONUNBUFFERED="1",
                   PSEUDONYM_SECRET="bench-only-secret", BUDDY_DATA_DIR=str(cfg.data_dir),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli.main", "serve", cwd=tmp, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        seen: list[str] = []
        try:
            base = await _read_until(proc, r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)", seen)
            await _read_until(proc, r"(Press Ctrl-C to stop)", seen)
            drain = asyncio.create_task(_drain(proc, seen))
            answered: dict[str, float] = {}
            errors: dict[str, int] = {}
            latencies: list[float] = []
            next_text = iter(range(10**9))
            url = urlsplit(base)
            host, port = url.hostname or "127.0.0.1", int(url.port or 80)
            warm = _Connection(host, port)
            await warm.post_json("/api/chat", {"session": "warm", "text": "안녕"})
            await warm.close()
            load_before = os.getloadavg()
            deadline = time.perf_counter() + cfg.duration_s

            async def connection(n: int) -> None:
                session = f"bench-{n}-{uuid.uuid4().hex[:8]}"
                conn = _Connection(host, port)
                try:
                    while time.perf_counter() < deadline:
                        i = next(next_text)
                        text = f"{pool[i % len(pool)]} #{i}"
                        started = time.perf_counter()
                        try:
                            status, _ = await conn.post_json(
                                "/api/chat", {"session": session, "text": text})
                        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                            await conn.close()
                            conn = _Connection(host, port)
                            continue
                        if status != 200:
                            errors[str(status)] = errors.get(str(status), 0) + 1
                            continue
                        latencies.append(time.perf_counter() - started)
                        answered[text] = latencies[-1]
                finally:
                    await conn.close()

            started = time.perf_counter()
            await asyncio.gather(*(connection(n) for n in range(cfg.connections)))
            wall = time.perf_counter() - started
            load_after = os.getloadavg()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 60)
            await drain
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        texts, rows = _logged(var / "buddy.db")

    missing = sum(1 for t in answered if texts.get(t, 0) == 0)
    twice = sum(1 for t in answered if texts.get(t, 0) > 1)
    n = len(latencies)
    return {
        "benchmark": "http",
        "connections": cfg.connections,
        "duration_s": cfg.duration_s,
        "replies": n,
        "errors": errors,
        "throughput_msgs_per_s": round(n / wall, 1) if wall else 0.0,
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 2) if n else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if n else None,
        "latency_max_ms": round(max(latencies) * 1000, 2) if n else None,
        "rows_logged": rows - 2,  # less the warm-up turn
        "rows_expected": 2 * n,
        "answered_missing_from_log": missing,
        "answered_logged_twice": twice,
        "every_answer_logged_once": missing == 0 and twice == 0,
        "server_exit_code": code,
        "server": "buddy serve subprocess, SQLite log, durable journal; client on the same host",
        "environment": machine(load_before, load_after),
        "config": config_json(cfg),
    }
