"""``buddy safety eval`` as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.safety
from cli.safety import app
from core.classify.base import Classifier, FixedClassifier
from core.errors import ModelError

runner = CliRunner()

# One hint (수면제) that only counts together with the classifier's crisis category.
NEEDS_CLASSIFIER = "나 수면제 먹고 자려고"


@pytest.fixture(autouse=True)
def small_classifier(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """Stand in for the embedded default model (training it takes seconds and writes var/)."""
    asked: list[Path | None] = []

    def load(model_dir: Path | None) -> Classifier:
        asked.append(model_dir)
        return FixedClassifier({NEEDS_CLASSIFIER: "감정/자살충동"}, confidence=0.6)

    monkeypatch.setattr(cli.safety, "_classifier_loader", load)
    return asked


@pytest.fixture
def without_learned_model() -> object:
    """The rules alone, so the classifier's own contribution is what is measured (the learned
    model reads this hint's meaning itself; tests/core/test_safety_learned.py measures it)."""
    from core.safety import SafetyChecker

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli.safety, "_checker", lambda: SafetyChecker())
        yield


@pytest.fixture(autouse=True)
def no_default_wellness(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests pass --wellness where they mean it; the real CSV next to the repository (5,231
    rows, ~1 min with the learned model) is measured by tests/core/test_safety.py."""
    monkeypatch.setattr(cli.safety, "DEFAULT_WELLNESS", Path("/nonexistent/wellness.csv"))


def _test_set(folder: Path, positives: list[str], negatives: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "positives.txt").write_text("\n".join(positives) + "\n", encoding="utf-8")
    (folder / "negatives.txt").write_text("# comment\n" + "\n".join(negatives), encoding="utf-8")
    return folder


def _wellness(path: Path) -> Path:
    rows = [
        "구분,유저,챗봇,",
        "감정/자살충동,죽고 싶어요,,",
        "증상/자해,자해를 했어요,,",
        "증상/죽음공포,죽을까 봐 무서워요,,",
        "감정/우울,오늘 너무 우울해요,,",
    ]
    path.write_text("\ufeff" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


def test_eval_reports_recall_and_false_alarms_as_json(tmp_path: Path) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어", "오늘 날씨 좋다"], ["배고파 죽겠다"])
    result = runner.invoke(
        app,
        [
            "eval",
            "--test-set",
            str(folder),
            "--wellness",
            str(_wellness(tmp_path / "w.csv")),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    ours, wellness = json.loads(result.output)
    assert (ours["positives"], ours["detected"], ours["recall"]) == (2, 1, 0.5)
    assert (ours["negatives"], ours["false_alarms"]) == (1, 0)
    assert (wellness["positives"], wellness["detected"], wellness["negatives"]) == (2, 2, 2)
    assert wellness["false_alarm_rate"] == 0.0


def test_check_fails_when_a_goal_is_missed(tmp_path: Path) -> None:
    folder = _test_set(tmp_path / "set", ["오늘 날씨 좋다"], ["배고파 죽겠다"])
    result = runner.invoke(
        app,
        [
            "eval",
            "--test-set",
            str(folder),
            "--wellness",
            str(_wellness(tmp_path / "w.csv")),
            "--check",
        ],
    )
    assert result.exit_code == 1
    assert "재현율" in result.output


def test_missing_files_say_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--test-set", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "--test-set" in result.output


def test_wrong_csv_names_the_expected_columns(tmp_path: Path) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어"], ["배고파 죽겠다"])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "--test-set", str(folder), "--wellness", str(bad)])
    assert result.exit_code == 2
    assert "구분" in result.output


def test_both_figures_are_reported_and_the_classifier_adds_what_the_bot_would_catch(
    tmp_path: Path, without_learned_model: None,
) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어", NEEDS_CLASSIFIER], ["배고파 죽겠다"])
    result = runner.invoke(app, ["eval", "--test-set", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    [ours] = [r for r in json.loads(result.output) if r["name"] == "test set"]
    assert (ours["detected"], ours["recall"]) == (1, 0.5)
    assert (ours["with_classifier"]["detected"], ours["with_classifier"]["recall"]) == (2, 1.0)
    assert ours["with_classifier"]["false_alarms"] == 0

    table = runner.invoke(app, ["eval", "--test-set", str(folder)], env={"COLUMNS": "160"})
    assert "규칙+학습" in table.output and "+분류기" in table.output


def test_check_judges_what_the_bot_decides_with(
    tmp_path: Path, without_learned_model: None
) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어", NEEDS_CLASSIFIER], ["배고파 죽겠다"])
    wellness = str(_wellness(tmp_path / "w.csv"))
    args = ["eval", "--test-set", str(folder), "--wellness", wellness, "--check"]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--no-classifier"]).exit_code == 1


def test_no_classifier_measures_patterns_alone(
    tmp_path: Path, small_classifier: list[Path | None]
) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어"], ["배고파 죽겠다"])
    result = runner.invoke(app, ["eval", "--test-set", str(folder), "--json", "--no-classifier"])
    assert result.exit_code == 0, result.output
    assert all(r["with_classifier"] is None for r in json.loads(result.output))
    assert small_classifier == []


def test_every_holdout_pair_is_measured(tmp_path: Path) -> None:
    folder = _test_set(tmp_path / "set", ["죽고 싶어"], ["배고파 죽겠다"])
    for name in ("holdout", "holdout2"):
        (folder / f"{name}_positives.txt").write_text("살기 싫어\n", encoding="utf-8")
        (folder / f"{name}_negatives.txt").write_text("더워 죽겠네\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "--test-set", str(folder), "--json"])
    names = [r["name"] for r in json.loads(result.output)]
    assert names[:3] == ["test set", "held-out", "held-out 2"]


def test_an_unloadable_model_falls_back_to_patterns_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model_dir: Path | None) -> Classifier:
        raise ModelError(f"{model_dir} has no buddy_model.json")

    monkeypatch.setattr(cli.safety, "_classifier_loader", broken)
    folder = _test_set(tmp_path / "set", ["죽고 싶어"], ["배고파 죽겠다"])
    result = runner.invoke(
        app, ["eval", "--test-set", str(folder), "--model", str(tmp_path / "none")],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "--no-classifier" in result.output and "규칙+학습" in result.output
    assert "+분류기" not in result.output


def _explain(text: str) -> dict[str, object]:
    result = runner.invoke(app, ["explain", text, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_explain_names_the_level_the_rule_and_the_matched_words() -> None:
    out = _explain("지금 옥상 난간이야")
    assert out["risk_level"] == "imminent" and out["crisis"] is True
    assert {"rule": "지금그곳", "view": "compact", "span": "지금옥상난간이야",
            "level": "imminent", "kind": "crisis"} in out["matches"]  # type: ignore[operator]
    learned = out["learned"]
    assert isinstance(learned, dict) and (learned["score"] is not None or learned["note"])


def test_explain_shows_the_guard_that_set_a_match_aside() -> None:
    out = _explain("친구가 죽고 싶대")
    assert out["risk_level"] == "none" and out["crisis"] is False
    hits = {(h["rule"], h["span"], h["outcome"]) for h in out["hits"]}  # type: ignore[union-attr, index]
    assert ("죽고싶", "죽고싶", "third-person") in hits


def test_explain_shows_an_idiom_guard_and_prints_for_people_too() -> None:
    out = _explain("배고파 죽겠다")
    assert out["risk_level"] == "none"
    assert any(h["outcome"] == "before-guard" for h in out["hits"])  # type: ignore[union-attr, index]
    human = runner.invoke(app, ["explain", "요즘 너무 힘들어"])
    assert human.exit_code == 0 and "distress" in human.output and "마음고통" in human.output
