"""``buddy logs`` on a real SQLite log: what an operator reads, exports and deletes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from review_fixtures import INJECTION, RAW_IDS, SECRET, Seeded, seed_log
from rich.cells import cell_len
from typer.testing import CliRunner

from cli.logs import app
from core.storage.db import upgrade_schema

WIDE = {"COLUMNS": "160"}


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """The default log file (BUDDY_VAR_DIR/buddy.db) with the review fixture written in."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'buddy.db'}"
    upgrade_schema(url)
    return asyncio.run(seed_log(url))


def db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "var" / "buddy.db")


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):  # noqa: ANN201, A002
    result = CliRunner().invoke(app, list(args), env={**WIDE, **(env or {})}, input=input)
    return result


def test_list_shows_conversations_with_refs_and_korean(seeded: Seeded) -> None:
    r = run("list")
    assert r.exit_code == 0, r.output
    assert "Conversations 1–5 of 5" in r.stdout
    for name, conv in seeded.conversations.items():
        assert conv[:8] in r.stdout, name
    assert "더 이상 버틸 힘이 없어요. 사라지고 싶어요" in r.stdout  # Korean intact
    assert "CRISIS!" in r.stdout  # unreviewed crisis stands out
    for ref in seeded.users.values():
        assert ref in r.stdout
    for raw in RAW_IDS.values():
        assert raw not in r.stdout


def test_list_filters(seeded: Seeded) -> None:
    c = seeded.conversations

    def listed(*args: str) -> set[str]:
        r = run("list", *args)
        assert r.exit_code == 0, r.output
        return {name for name, conv in c.items() if conv[:8] in r.stdout}

    assert listed("--platform", "web") == {"exam", "vague"}
    assert listed("--crisis") == {"crisis"}
    assert listed("--low-confidence") == {"exam", "vague"}
    assert listed("--low-confidence", "--threshold", "0.15") == {"exam"}
    assert listed("--category", "증상/불면") == {"sleep"}
    assert listed("--search", "불안") == {"exam"}
    assert listed("--since", "2d") == {"crisis", "vague", "exam"}
    assert listed("--until", "30d") == {"old"}
    r = run("list", "--since", "last week")
    assert r.exit_code == 2 and "7d" in r.output  # says which forms work


def test_show_prints_transcript_aligned_with_wide_characters(seeded: Seeded) -> None:
    r = run("show", seeded.conversations["exam"][:8])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "시험 때문에 너무 불안해요" in out
    assert INJECTION in out  # printed as text, not interpreted as markup
    assert "0.12" in out and "0.91" in out
    lines = out.splitlines()
    header = next(line for line in lines if "CATEGORY" in line)
    col = cell_len(header[: header.index("CATEGORY")])
    rows = [line for line in lines if "감정/불안" in line]
    assert len(rows) == 4
    for line in rows:  # the category column starts at the same screen column after Korean
        assert cell_len(line[: line.index("감정/불안")]) == col
    assert run("show", "nonexistent").exit_code == 2


def test_show_makes_control_characters_visible(tmp_path: Path, seeded: Seeded) -> None:
    with db(tmp_path) as con:
        con.execute("UPDATE messages SET text = ? WHERE id = ?",
                    ("안녕\x1b[2J[bold]지워[/bold]", seeded.user_messages["sleep"]))
    r = run("show", seeded.conversations["sleep"])
    assert "\x1b" not in r.stdout
    assert "안녕\\x1b[2J[bold]지워[/bold]" in r.stdout


def test_export_jsonl_one_message_per_line_without_platform_ids(seeded: Seeded) -> None:
    r = run("export", "--format", "jsonl")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 14
    rows = [json.loads(line) for line in lines]
    assert {row["role"] for row in rows} == {"user", "bot"}
    assert INJECTION in {row["text"] for row in rows}
    for secret in [*RAW_IDS.values(), *seeded.keys.values(), SECRET.decode()]:
        assert secret not in r.stdout
    r = run("export", "--format", "jsonl", "--crisis")
    assert [json.loads(line)["text"] for line in r.stdout.splitlines()][0].startswith("더 이상")


def test_export_csv_to_stdout_and_file(tmp_path: Path, seeded: Seeded) -> None:
    r = run("export", "--format", "csv", "--platform", "telegram")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 6 and rows[0]["text"] == "오래전에 나눈 인사예요"
    out = tmp_path / "export" / "log.csv"
    r = run("export", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0 and "wrote 14 messages" in r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads Korean CSV with a BOM
    assert "요즘 잠이 안 와요" in raw.decode("utf-8-sig")
    assert run("export", "--format", "xml").exit_code == 2


def test_relabel_and_export_corrections_train_file(tmp_path: Path, seeded: Seeded) -> None:
    mid = seeded.user_messages["vague"]
    r = run("relabel", mid[:8], "감정/불안")
    assert r.exit_code == 0 and "감정/외로움 → 감정/불안" in r.stdout
    assert run("relabel", mid[:8], "지어낸/카테고리").exit_code == 2
    out = tmp_path / "corrections.jsonl"
    r = run("export", "--corrections", "--out", str(out))
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(x["text"], x["category"]) for x in lines] == [("그냥 뭐랄까 애매한 기분이에요", "감정/불안")]
    from core.dataset.formats import load_dataset

    ds = load_dataset(out)
    assert [(e.text, e.category) for e in ds.examples] == [("그냥 뭐랄까 애매한 기분이에요", "감정/불안")]
    with db(tmp_path) as con:
        actions = [a for (a,) in con.execute("SELECT action FROM audit_events ORDER BY id")]
        actors = {a for (a,) in con.execute("SELECT actor FROM audit_events")}
    assert actions == ["relabel", "export_corrections"]
    assert all(a.startswith("cli:") for a in actors)


def test_relabel_may_use_any_category_the_embedded_model_knows(
    tmp_path: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "mine.jsonl").write_text(
        json.dumps({"category": "증상/불면", "utterances": ["잠이 안 와"], "answers": ["힘드셨죠"]},
                   ensure_ascii=False) + "\n", encoding="utf-8")
    monkeypatch.setenv("BUDDY_DATA_DIR", str(data))
    r = run("relabel", seeded.user_messages["vague"][:8], "증상/불면")  # not yet in the log
    assert r.exit_code == 0, r.output
    assert "→ 증상/불면" in r.stdout


def test_review_marks_crisis(tmp_path: Path, seeded: Seeded) -> None:
    mid = seeded.user_messages["crisis"]
    row = next(line for line in run("list").stdout.splitlines()
               if seeded.conversations["crisis"][:8] in line)
    assert "CRISIS!" in row
    assert "Marked as reviewed" in run("review", mid[:10]).stdout
    assert "already reviewed" in run("review", mid).stdout
    r = run("list", "--crisis")
    row = next(line for line in r.stdout.splitlines() if seeded.conversations["crisis"][:8] in line)
    assert "CRISIS" in row and "CRISIS!" not in row


def test_forget_asks_then_deletes_the_user(tmp_path: Path, seeded: Seeded) -> None:
    ref = seeded.users["web"]
    r = run("forget", ref, input="n\n")
    assert r.exit_code == 1 and "Nothing deleted" in r.stdout
    with db(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE platform='web'").fetchone()[0] == 6
    r = run("forget", ref, "--yes")
    assert r.exit_code == 0 and "6 messages" in r.stdout
    with db(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE platform='web'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 2
        audit = con.execute("SELECT action, target FROM audit_events WHERE action='forget'").fetchall()
    assert audit == [("forget", ref)]
    assert ref not in run("list").stdout
    assert run("forget", "ffffffffffff", "--yes").exit_code == 2


def test_purge_respects_retention(tmp_path: Path, seeded: Seeded) -> None:
    def conversations() -> int:
        with db(tmp_path) as con:
            return con.execute("SELECT count(*) FROM conversations").fetchone()[0]

    r = run("purge", "--dry-run")
    assert "Would delete 1 conversations (2 messages)" in r.stdout and conversations() == 5
    r = run("purge", env={"RETENTION_DAYS": "0"})
    assert "nothing purged" in r.stdout and conversations() == 5
    r = run("purge")  # RETENTION_DAYS defaults to 90: only the 200-day-old conversation goes
    assert "Deleted 1 conversations" in r.stdout and conversations() == 4
    r = run("purge", "--days", "2")  # the 3-day-old one too; yesterday's stays
    assert "Deleted 1 conversations (4 messages)" in r.stdout and conversations() == 3


def test_stats_and_plot(tmp_path: Path, seeded: Seeded) -> None:
    plots = tmp_path / "plots"
    r = run("stats", "--plot", str(plots))
    assert r.exit_code == 0, r.output
    assert "crisis messages" in r.stdout and "감정/불안" in r.stdout and "28.6%" in r.stdout
    names = sorted(p.name for p in plots.iterdir())
    assert names == ["stats-categories.png", "stats-confidence.png", "stats-messages-per-day.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots.iterdir())
    r = run("stats", "--platform", "discord")
    assert "감정/우울감" in r.stdout and "증상/불면" not in r.stdout


def test_pager_option_still_prints_everything(seeded: Seeded) -> None:
    r = run("list", "--pager")
    assert r.exit_code == 0 and "그냥 뭐랄까 애매한 기분이에요" in r.stdout


def test_logs_is_a_buddy_subcommand() -> None:
    from cli.main import app as buddy

    r = CliRunner().invoke(buddy, ["logs", "--help"])
    assert r.exit_code == 0 and "forget" in r.stdout and "purge" in r.stdout
