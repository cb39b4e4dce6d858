"""``buddy bench conversation``: the scripted file is big enough and the bench runs end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.conversation import DEFAULT_FILE, EXPECTS, load_conversations

ROOT = Path(__file__).resolve().parents[2]


def test_the_scripted_conversations_are_enough_and_well_formed() -> None:
    convs = load_conversations(DEFAULT_FILE)
    turns = [t for c in convs for t in c["turns"]]
    assert len(convs) >= 40 and len(turns) >= 300
    assert {t["expect"] for t in turns} == set(EXPECTS)
    assert any(len(c["turns"]) >= 30 for c in convs)
    assert len({c["id"] for c in convs}) == len(convs)


def test_quick_run_reports_context_repeats_and_crisis_numbers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUDDY_", "DATABASE_"))}
    env.update(BUDDY_VAR_DIR=str(tmp_path / "var"), BUDDY_DATA_DIR=str(ROOT / "data" / "dataset"),
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "cli.main", "bench", "conversation", "--quick",
                           "--json", "--transcripts", str(tmp_path / "t.md")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["conversations"] == 3
    assert result["crisis_turns"] == 3 and result["every_crisis_turn_answered_with_numbers"]
    assert result["meta_answered_honestly"] == 1.0
    assert result["repeated_replies_max"] == 0
    assert result["short_replies_in_context"] >= 0.9
    # a state call that passes its bound (a stall elsewhere) is answered from the cache: counted
    assert result["state_store_failures"] >= 0 and result["all_turns_as_expected"] >= 0.9
    assert "### work-boss" in (tmp_path / "t.md").read_text(encoding="utf-8")
