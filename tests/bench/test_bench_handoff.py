"""``buddy handoff bench`` and ``keygen`` run and report what they promise (no timings asserted)."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from bench.handoff import crisis_to_operator

REPO = Path(__file__).resolve().parents[2]


async def test_every_crisis_message_reaches_the_operator_view_and_gets_the_crisis_reply(
    tmp_path: Path,
) -> None:
    result = await crisis_to_operator(5, folder=tmp_path)
    assert result["seen"] == 5 and result["crisis_replies"] == 5
    assert 0 < result["median_ms"] <= result["max_ms"]


def test_keygen_prints_a_usable_key() -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", "handoff", "keygen"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    line = done.stdout.strip()
    assert line.startswith("HANDOFF_KEY=")
    assert len(base64.b64decode(line.split("=", 1)[1])) == 32
