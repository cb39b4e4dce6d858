"""``buddy serve`` as a user runs it: a real subprocess, real HTTP, real signals.

The process gets a free web port (``WEB_PORT=0``), a tiny model folder built here, its own
``BUDDY_VAR_DIR`` and, for Telegram, the stand-in Bot API of :mod:`telegram_stub`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram_stub import TOKEN, TelegramStub

from bot.texts import SHUTTING_DOWN
from core.dataset.records import Dataset
from training.linear import train_linear

REPO = Path(__file__).resolve().parents[2]
STARTUP_GUARD_S = 120.0  # only against a hang: loading the model may take a while
SHUTDOWN_PROMISE_S = 10.0  # the promise for SIGINT/SIGTERM, not a speed benchmark


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-category linear model folder, trained in well under a second."""
    folder = tmp_path_factory.mktemp("model")
    pairs = [(t, "증상/불면") for t in ("잠이 안 와요", "밤새 잠을 못 잤어요", "불면증이 심해요")]
    pairs += [(t, "감정/외로움") for t in ("너무 외로워요", "혼자인 것 같아요", "친구가 없어요")]
    train_linear(Dataset.from_pairs(pairs), folder)
    return folder


class Serve:
    """A running ``buddy serve`` and the lines it printed."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def read_until(self, pattern: str) -> re.Match[str]:
        assert self.proc.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), STARTUP_GUARD_S)
            if not raw:
                raise AssertionError(f"buddy serve ended before printing {pattern!r}: "
                                     f"{self.lines}")
            self.lines.append(raw.decode("utf-8").rstrip("\n"))
            match = re.search(pattern, self.lines[-1])
            if match:
                return match

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        code = await asyncio.wait_for(self.proc.wait(), SHUTDOWN_PROMISE_S)
        assert self.proc.stdout is not None
        rest = await self.proc.stdout.read()
        self.lines += rest.decode("utf-8").splitlines()
        return code


@pytest.fixture
def serve_env(tmp_path: Path, model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DISCORD_", "WEB_", "BUDDY_", "DATABASE_"))}
    env.update(WEB_PORT="0", WEB_HOST="127.0.0.1", BUDDY_VAR_DIR=str(tmp_path / "var"),
               BUDDY_MODEL=str(model_dir), PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator:
    started: list[Serve] = []

    async def run(env: dict[str, str]) -> Serve:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli.main", "serve", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        serve = Serve(proc)
        started.append(serve)
        return serve

    yield run
    for serve in started:
        if serve.proc.returncode is None:
            serve.proc.kill()
            await serve.proc.wait()


@pytest.mark.slow
async def test_serve_runs_the_web_chat_and_stops_cleanly_on_sigterm(
    start, serve_env: dict[str, str]
) -> None:
    serve = await start(serve_env)
    url = (await serve.read_until(r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)")).group(1)
    await serve.read_until(r"Press Ctrl-C to stop")
    assert "Telegram: off (TELEGRAM_TOKEN not set)" in serve.lines
    assert "Discord: off (DISCORD_TOKEN not set)" in serve.lines
    async with httpx.AsyncClient() as client:
        health = await client.get(url + "healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"

    assert await serve.stop(signal.SIGTERM) == 0
    assert any(line.startswith("Stopped in") for line in serve.lines)


@pytest.mark.slow
async def test_serve_with_telegram_finishes_the_reply_in_flight_on_sigint(
    start, serve_env: dict[str, str], tmp_path: Path
) -> None:
    async with TelegramStub.running() as stub:
        serve = await start({**serve_env, "TELEGRAM_TOKEN": TOKEN,
                             "TELEGRAM_BASE_URL": stub.base_url})
        await serve.read_until(r"Press Ctrl-C to stop")
        assert "Telegram: on (@buddy_test_bot, long polling)" in serve.lines

        stub.text(42, "밤새 잠을 못 잤어요")
        await stub.wait_sent(42)

        # The next reply is in flight (its typing indicator is being answered slowly)
        # when the signal arrives: it must still be sent, and the turn logged.
        stub.answer_late("sendChatAction", seconds=1.5)
        typing_before = len(stub.sent(42, "sendChatAction"))
        stub.text(42, "너무 외로워요")
        await stub.wait_sent(42, typing_before + 1, method="sendChatAction")
        assert await serve.stop(signal.SIGINT) == 0
        replies = [c.params["text"] for c in stub.sent(42)]
        assert len(replies) == 2 and SHUTTING_DOWN not in replies

    with sqlite3.connect(tmp_path / "var" / "buddy.db") as db:
        rows = db.execute("SELECT role FROM messages WHERE platform = 'telegram'").fetchall()
    assert len(rows) == 4


@pytest.mark.slow
async def test_a_refused_telegram_token_is_reported_and_the_web_chat_stays_up(
    start, serve_env: dict[str, str]
) -> None:
    async with TelegramStub.running() as stub:
        serve = await start({**serve_env, "TELEGRAM_TOKEN": "111:WRONG",
                             "TELEGRAM_BASE_URL": stub.base_url})
        url = (await serve.read_until(r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)")).group(1)
        line = (await serve.read_until(r"^Telegram: ")).string
        assert line.startswith("Telegram: off (failed to start: InvalidToken")
        assert "check TELEGRAM_TOKEN" in line
        async with httpx.AsyncClient() as client:
            assert (await client.get(url + "healthz")).status_code == 200
        assert await serve.stop() == 0


@pytest.mark.slow
async def test_a_busy_web_port_is_an_error_that_says_what_to_do(
    start, serve_env: dict[str, str]
) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        serve = await start({**serve_env, "WEB_PORT": str(port)})
        code = await asyncio.wait_for(serve.proc.wait(), STARTUP_GUARD_S)
    assert serve.proc.stdout is not None
    output = (await serve.proc.stdout.read()).decode("utf-8")
    assert code == 2
    assert f"127.0.0.1:{port}" in output and "WEB_PORT=0" in output


async def test_serve_wires_the_handoff_to_telegram_and_ends_live_views_on_sigterm(
    start, serve_env: dict[str, str], tmp_path: Path
) -> None:
    """An operator takes a Telegram conversation in /admin of a real ``buddy serve``: the
    notice reaches the chat through the running Telegram channel; an open live view does
    not hold the shutdown up."""
    from core.handoff.crypto import new_key
    from core.handoff.texts import JOINED

    token = "kim-operator-token-4b8d2f6a1c"
    async with TelegramStub.running() as stub:
        serve = await start({**serve_env, "TELEGRAM_TOKEN": TOKEN,
                             "TELEGRAM_BASE_URL": stub.base_url, "HANDOFF_KEY": new_key(),
                             "OPERATORS": f"kim:{token}"})
        url = (await serve.read_until(r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)")).group(1)
        await serve.read_until(r"Press Ctrl-C to stop")
        assert any(line.startswith("Handoff: on (1 operator(s)") for line in serve.lines)
        stub.text(77, "밤새 잠을 못 잤어요")
        await stub.wait_sent(77)
        with sqlite3.connect(tmp_path / "var" / "buddy.db") as db:
            # kept (sealed) before the reply went out; the log rows may follow later
            [(conv,)] = db.execute("SELECT conversation_id FROM contact_addresses").fetchall()

        async with httpx.AsyncClient(base_url=url, timeout=10) as admin:
            assert (await admin.post("/admin/login", data={"token": token})).status_code == 303
            page = await admin.get(f"/admin/conversations/{conv}")
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
            took = await admin.post(f"/admin/conversations/{conv}/take", data={"csrf": csrf})
            assert took.status_code == 303
            await stub.wait_sent(77, count=2)
            assert stub.sent(77)[-1].params["text"] == JOINED
            async with admin.stream("GET", f"/admin/conversations/{conv}/live") as live:
                assert live.headers["content-type"].startswith("text/event-stream")
                assert await serve.stop(signal.SIGTERM) == 0  # within the 10 s promise
