"""The issue's reproduction, end to end: a crisis sentence after character 8,000 on stdin.

``python3 -c "print('요즘 회사 일이 많아서 정신이 없어요. '*400+'죽고 싶어')" | buddy ask --json``
answered ``crisis: false`` while the web API accepts 20,000 characters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fault_helpers import buddy_env

FILLER = "요즘 회사 일이 많아서 정신이 없어요. "


def test_buddy_ask_sees_a_crisis_sentence_after_character_8000(
    model_dir: Path, tmp_path: Path
) -> None:
    stdin = "\n".join([FILLER * 400 + "죽고 싶어", FILLER * 400]) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ask", "--json"], input=stdin, text=True,
        capture_output=True, cwd=tmp_path, timeout=300,
        env=buddy_env(tmp_path / "var", BUDDY_MODEL=str(model_dir)))
    assert done.returncode == 0, done.stderr[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [a["crisis"] for a in answers] == [True, False]
    assert "109" in answers[0]["answer"]
