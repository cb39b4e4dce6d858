"""SIGTERM while the web chat is busy: what was answered is logged, nothing half-done.

A real ``buddy serve`` subprocess (free port, its own var dir and SQLite log, the tiny
model folder of ``conftest.py``) takes a flood of ``POST /api/chat`` from 40 concurrent
clients when SIGTERM arrives. What a user would notice if shutdown went wrong:

* an answer they received that the log does not have (a turn lost), or a turn in the
  log whose answer never reached them (a reply dropped mid-flight);
* a request that reached Buddy while it was stopping getting a dropped connection
  instead of a clear 503; so a few requests are held open (body half sent) across the
  signal and finished once the process says it is stopping: each must get the 503;
* the process hanging or failing instead of exiting 0 within the promised 10 s.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from fault_helpers import buddy_env

STARTUP_GUARD_S = 120.0  # only against a hang while the model loads
SHUTDOWN_PROMISE_S = 10.0  # the promise for SIGTERM, not a speed benchmark
CLIENTS = 40
HELD_OPEN = 5
PER_CLIENT_CAP = 60  # bounds the run if the signal were somehow never delivered


@dataclass
class Outcome:
    text: str
    status: int | None  # None: no HTTP answer at all
    error: str = ""
    answer: str = ""


async def read_until(proc: asyncio.subprocess.Process, lines: list[str], pattern: str
                     ) -> re.Match[str]:
    assert proc.stdout is not None
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), STARTUP_GUARD_S)
        if not raw:
            raise AssertionError(f"buddy serve ended before printing {pattern!r}: {lines}")
        lines.append(raw.decode("utf-8").rstrip("\n"))
        if match := re.search(pattern, lines[-1]):
            return match


async def post(client: httpx.AsyncClient, url: str, text: str,
               content: AsyncIterator[bytes] | None = None) -> Outcome:
    body = {"session": uuid.uuid4().hex, "text": text}
    try:
        if content is None:
            response = await client.post(url, json=body)
        else:
            response = await client.post(url, content=content,
                                         headers={"content-type": "application/json"})
    except httpx.HTTPError as exc:
        return Outcome(text, None, type(exc).__name__)
    answer = response.json().get("answer", "") if response.status_code == 200 else ""
    outcome = Outcome(text, response.status_code, answer=answer)
    if response.status_code == 503:
        assert response.json()["error"]["code"] == "not_accepting"
    return outcome


async def held_open(client: httpx.AsyncClient, url: str, text: str, release: asyncio.Event,
                    started: asyncio.Event) -> Outcome:
    """A request whose body is finished only after ``release``: it is in flight at SIGTERM."""
    payload = json.dumps({"session": uuid.uuid4().hex, "text": text}).encode()

    async def body() -> AsyncIterator[bytes]:
        yield payload[:10]
        started.set()
        await release.wait()
        yield payload[10:]

    return await post(client, url, text, content=body())


def logged(db: Path) -> dict[str, list[tuple[str, str]]]:
    """conversation_id → [(role, text)] from the log file the process left behind."""
    out: dict[str, list[tuple[str, str]]] = {}
    with sqlite3.connect(db) as conn:
        for conv, role, text in conn.execute(
                "SELECT conversation_id, role, text FROM messages ORDER BY created_at"):
            out.setdefault(conv, []).append((role, text))
    return out


async def test_sigterm_under_load_finishes_what_it_took_and_refuses_the_rest(
    model_dir: Path, tmp_path: Path
) -> None:
    env = buddy_env(tmp_path / "var", BUDDY_MODEL=str(model_dir), WEB_PORT="0",
                    WEB_HOST="127.0.0.1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "serve", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []
    try:
        base = (await read_until(proc, lines, r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)")
                ).group(1)
        await read_until(proc, lines, r"Press Ctrl-C to stop")
        url = base + "api/chat"
        outcomes: list[Outcome] = []
        answered = asyncio.Event()
        stopping = asyncio.Event()

        async def client_loop(n: int, client: httpx.AsyncClient) -> None:
            for i in range(PER_CLIENT_CAP):
                outcome = await post(client, url, f"밤새 잠을 못 잤어요 {n}-{i}")
                outcomes.append(outcome)
                if sum(o.status == 200 for o in outcomes) >= 2 * CLIENTS:
                    answered.set()
                if outcome.status != 200:
                    return

        limits = httpx.Limits(max_connections=CLIENTS + HELD_OPEN)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            release = asyncio.Event()
            held_started = [asyncio.Event() for _ in range(HELD_OPEN)]
            held = [asyncio.create_task(held_open(client, url, f"너무 외로워요 held-{k}",
                                                  release, held_started[k]))
                    for k in range(HELD_OPEN)]
            await asyncio.gather(*(e.wait() for e in held_started))
            flood = [asyncio.create_task(client_loop(n, client)) for n in range(CLIENTS)]
            await asyncio.wait_for(answered.wait(), STARTUP_GUARD_S)

            proc.send_signal(signal.SIGTERM)  # while the flood is still coming in
            await read_until(proc, lines, r"Buddy is stopping")
            stopping.set()
            release.set()  # the held requests reach the app only now
            held_outcomes = await asyncio.gather(*held)
            await asyncio.gather(*flood)
            code = await asyncio.wait_for(proc.wait(), SHUTDOWN_PROMISE_S)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.stdout is not None
    lines += (await proc.stdout.read()).decode("utf-8").splitlines()

    assert code == 0, lines
    assert any(line.startswith("Stopped in") for line in lines)
    assert [o.status for o in held_outcomes] == [503] * HELD_OPEN  # refused, not dropped

    ok = [o for o in outcomes if o.status == 200]
    refused = [o for o in outcomes if o.status == 503]
    dropped = [o for o in outcomes if o.status is None]
    assert len(ok) >= 2 * CLIENTS
    assert all(o.status in (200, 503, None) for o in outcomes)  # no 500 under shutdown
    # Each client stops at its first non-200, so every client saw the shutdown: each got
    # a 503 or could no longer connect at all (the listening socket is closed by then).
    assert len(refused) + len(dropped) == CLIENTS
    assert all(o.error in ("ConnectError", "RemoteProtocolError", "ReadError")
               for o in dropped), {o.error for o in dropped}

    conversations = logged(tmp_path / "var" / "buddy.db")
    turns = {msgs[0][1]: msgs for msgs in conversations.values()}
    for o in ok:  # every answer a user received is in the log, with its user message
        assert turns.get(o.text) == [("user", o.text), ("bot", o.answer)]
    assert len(turns) == len(ok)  # and every logged turn's answer reached its user
    assert sum(len(m) for m in conversations.values()) == 2 * len(ok)
