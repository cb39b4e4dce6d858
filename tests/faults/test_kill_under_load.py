"""SIGKILL while the web chat is busy: every answer a user received is in the log, once.

A real ``buddy serve`` subprocess (free port, its own var dir and SQLite log, the tiny
model of ``conftest.py``) answers many concurrent HTTP clients; it is killed with SIGKILL
(no shutdown code runs) after a few hundred replies, then started again on the same var
dir. What the clients were answered is the proof: each (text, answer) must be in the log
exactly once. Before the write-ahead journal, turns waited in memory for the background
writer: a kill lost dozens of answered turns, and every turn waiting while the database
was locked. The second case holds an exclusive SQLite lock from another connection while
the kill happens, so nothing at all can reach the database meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fault_helpers import buddy_env, reset_postgres
from test_sigterm_under_load import read_until

CLIENTS = 24
KILL_AFTER = 150  # answered turns before the kill
GUARD_S = 120.0  # only against a hang


async def start_serve(var: Path, model_dir: Path, cwd: Path, database_url: str = ""
                      ) -> tuple[asyncio.subprocess.Process, str, list[str]]:
    env = buddy_env(var, BUDDY_MODEL=str(model_dir), WEB_PORT="0", WEB_HOST="127.0.0.1",
                    DATABASE_URL=database_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "serve", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []
    base = (await read_until(proc, lines, r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)")).group(1)
    await read_until(proc, lines, r"Press Ctrl-C to stop")
    return proc, base, lines


async def load_until_killed(proc: asyncio.subprocess.Process, base: str,
                            on_threshold: Callable[[], Awaitable[None]] | None = None
                            ) -> dict[str, str]:
    """Clients post distinct texts until the process is killed; returns text -> answer."""
    answered: dict[str, str] = {}
    enough = asyncio.Event()

    async def client_loop(n: int, client: httpx.AsyncClient) -> None:
        session = uuid.uuid4().hex
        for i in range(10_000):
            text = f"밤새 잠을 못 잤어요 {n}-{i}" if i % 7 else f"죽고 싶어요 {n}-{i}"
            try:
                r = await client.post(base + "api/chat", json={"session": session, "text": text})
            except httpx.HTTPError:
                return  # the process is gone
            if r.status_code != 200:
                return
            answered[text] = r.json()["answer"]
            if len(answered) >= KILL_AFTER:
                enough.set()

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CLIENTS), timeout=30) as c:
        clients = [asyncio.create_task(client_loop(n, c)) for n in range(CLIENTS)]
        await asyncio.wait_for(enough.wait(), GUARD_S)
        if on_threshold is not None:
            await on_threshold()
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await asyncio.gather(*clients)
    return answered


async def logged_turns(url: str) -> dict[str, list[str]]:
    """user text -> every bot answer logged in its conversation right after it."""
    from sqlalchemy import select

    from core.storage.db import open_engine, session_factory
    from core.storage.models import Message

    engine = open_engine(url)
    async with session_factory(engine)() as s:
        rows = [tuple(r) for r in (await s.execute(
            select(Message.conversation_id, Message.role, Message.text)
            .order_by(Message.conversation_id, Message.created_at))).all()]
        ids = list(await s.scalars(select(Message.id)))
    await engine.dispose()
    assert len(ids) == len(set(ids))
    out: dict[str, list[str]] = {}
    for (conv, role, text), nxt in zip(rows, rows[1:] + [(None, None, None)], strict=True):
        if role == "user":
            out.setdefault(text, []).append(nxt[2] if nxt[0] == conv and nxt[1] == "bot" else "")
    return out


@pytest.mark.parametrize(("backend", "locked"), [("sqlite", False), ("sqlite", True),
                                                 ("postgres", False)],
                         ids=["sqlite", "sqlite-database-locked", "postgres"])
async def test_sigkill_under_load_loses_no_answered_turn(
    model_dir: Path, tmp_path: Path, backend: str, locked: bool
) -> None:
    var = tmp_path / "var"
    db = var / "buddy.db"
    url = ""
    if backend == "postgres":
        url = os.environ.get("DATABASE_URL_POSTGRES_TEST", "")
        if not url:
            pytest.skip("DATABASE_URL_POSTGRES_TEST not set (bash scripts/start_postgres.sh)")
        await asyncio.to_thread(reset_postgres, url)
    proc, base, lines = await start_serve(var, model_dir, tmp_path, url)
    assert any(line.startswith("Conversation log: durable, journal ") for line in lines), lines
    lock: sqlite3.Connection | None = None

    async def take_lock() -> None:
        nonlocal lock
        lock = sqlite3.connect(db, timeout=10, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # from now on nothing reaches the database
        await asyncio.sleep(1.5)  # replies go on meanwhile: they only need the journal

    try:
        answered = await load_until_killed(proc, base, on_threshold=take_lock if locked else None)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        if lock is not None:
            lock.rollback()
            lock.close()
    assert len(answered) >= KILL_AFTER

    proc, base, lines = await start_serve(var, model_dir, tmp_path, url)  # replays the journal
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            health = await client.get(base + "healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    turns = await logged_turns(url or f"sqlite+aiosqlite:///{db}")
    missing = [t for t in answered if t not in turns]
    assert not missing, f"{len(missing)} of {len(answered)} answered turns lost"
    assert all(turns[t] == [a] for t, a in answered.items())  # once, with the answer sent
    # Files private, whatever the umask: var/ 0700, the database and the journal 0600.
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for path in [*var.glob("buddy.db*"), *var.glob("log-journal*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
