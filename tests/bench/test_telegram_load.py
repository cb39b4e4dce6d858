"""``buddy bench telegram``: through the real adapter, every message answered once, none twice.

Runs the quick load (10 users × 3 messages) as a user would, through the ``buddy``
command, and checks what the benchmark promises: each chat got exactly as many replies as
it sent messages, every message was logged (two rows each), and the exit code says so.
Speed is reported, never judged here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _bench_telegram(*args: str) -> tuple[int, dict[str, Any], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "bench", "telegram", "--quick", "--json", *args],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )
    return proc.returncode, json.loads(proc.stdout or "{}"), proc.stderr[-3000:]


def test_every_message_is_answered_exactly_once_and_logged() -> None:
    code, result, stderr = _bench_telegram()

    assert code == 0, stderr
    assert result["users"] == 10 and result["messages_per_user"] == 3
    assert result["messages_sent"] == result["replies_delivered"] == 30
    assert result["chats_answered_exactly"] == 10
    assert result["duplicates"] == 0 and result["missing_replies"] == 0
    assert result["rows_logged"] == result["rows_expected"] == 60
    assert result["rows_by_role"] == {"bot": 30, "user": 30}
    assert result["bot_api_calls"]["sendmessage"] == 31  # 30 + the untimed first message
    assert result["ok"] is True
    assert 0 < result["latency_p50_ms"] <= result["latency_p99_ms"]
