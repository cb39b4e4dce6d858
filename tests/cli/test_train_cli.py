"""`buddy train` / `buddy evaluate` as a user runs them: the 2-command reproduction recipe,
JSON output, and a clear exit on broken data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import train as train_cli

PHRASES = {
    "감정/우울감": ["우울해", "너무 우울해요", "우울한 기분이야", "기분이 가라앉아 우울해",
                 "오늘도 우울하네", "우울감이 심해", "우울해서 울었어", "괜히 우울해져"],
    "증상/불면": ["잠이 안 와", "밤새 못 잤어", "불면증이 심해", "잠들기 어려워",
               "새벽에 자꾸 깨", "잠을 설쳤어", "요즘 잠이 안 와요", "밤에 잠을 못 자"],
    "일반대화/인사": ["안녕", "안녕하세요", "반가워", "좋은 아침",
                  "안녕 버디", "오랜만이야 안녕", "처음이에요 안녕하세요", "하이 안녕"],
}


@pytest.fixture()
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root, so commands are sub-commands as in `buddy`."""

    train_cli.register(app)
    return app


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(
        json.dumps({"category": c, "utterances": u, "answers": ["답변"]}, ensure_ascii=False) + "\n"
        for c, u in PHRASES.items()), encoding="utf-8")
    return path


def test_train_with_holdout_then_evaluate_reproduces(app: typer.Typer, data: Path,
                                                       tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model"
    res = runner.invoke(app, ["train", "--data", str(data), "--out", str(out),
                              "--eval-split", "0.25", "--seed", "3", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["model_id"].startswith("linear-") and summary["n_examples"] == 18
    written = json.loads((out / "metrics.json").read_text("utf-8"))
    assert written["n"] == 6 and written["split"]["seed"] == 3

    res = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(data),
                              "--split", "test", "--json"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["n"] == 6 and again["accuracy"] == pytest.approx(written["accuracy"])
    assert again["split"] == {"part": "test", "test_size": 0.25, "seed": 3}

    res = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(data),
                              "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    assert "accuracy" in res.stdout and "top-3" in res.stdout
    assert json.loads((tmp_path / "report" / "metrics.json").read_text("utf-8"))["n"] == 24


def test_bad_data_exits_2_naming_file_and_line(app: typer.Typer, data: Path,
                                                tmp_path: Path) -> None:
    with open(data, "a", encoding="utf-8") as fh:
        fh.write('{"category": "증상/불면", "utterances": ["잘 ')
    res = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert res.exit_code == 2
    assert f"{data}:4" in res.output
    assert not (tmp_path / "m").exists()


def test_unknown_option_and_missing_model(app: typer.Typer, data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"),
                              "--set", "Cee=1"])
    assert res.exit_code == 2 and "Cee" in res.output
    res = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "nope"), "--data", str(data)])
    assert res.exit_code == 2 and "buddy train" in res.output
