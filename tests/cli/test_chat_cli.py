"""``buddy chat`` in a terminal: the conversation continues across turns and across restarts.

The real command runs in subprocesses on a real SQLite file in a temporary var dir, with the
embedded default model trained from ``data/dataset`` (once, shared by both processes).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def chat(tmp_path: Path, *lines: str) -> list[str]:
    """Buddy's lines for ``lines`` typed into one ``buddy chat`` session (then Ctrl-D)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUDDY_", "DATABASE_"))}
    env.update(BUDDY_VAR_DIR=str(tmp_path / "var"), BUDDY_DATA_DIR=str(REPO / "data" / "dataset"),
               PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "cli.main", "chat"], cwd=tmp_path, env=env,
                          input="\n".join(lines).encode() + b"\n", capture_output=True,
                          timeout=300)
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode("utf-8")[-2000:]
    return [chunk for chunk in out.split("버디: ")[2:]]  # the first is the welcome


def rows(tmp_path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(tmp_path / "var" / "buddy.db") as db:
        return db.execute("SELECT role, kind, conversation_id FROM messages "
                          "ORDER BY created_at").fetchall()


def test_chat_follows_the_conversation_and_a_restart_continues_it(tmp_path: Path) -> None:
    first = chat(tmp_path, "회사에서 팀장이 계속 나만 갈궈서 너무 힘들어", "한 달 정도 됐어",
                 "너는 내 말 이해하는 거 맞아?")
    assert "한 달" in first[1]  # the duration was heard
    assert "프로그램" in first[2]  # an honest answer about what Buddy is
    second = chat(tmp_path, "응", "고마워, 이만 종료해줘 버디")  # a new process
    assert len(second) == 2 and second[0] not in first
    logged = rows(tmp_path)
    bot = [(kind, conv) for role, kind, conv in logged if role == "bot"]
    assert [k for k, _ in bot] == ["answer", "follow_up", "about_buddy", "follow_up", "farewell"]
    assert len({conv for _, conv in bot}) == 1  # one conversation, farewell included
