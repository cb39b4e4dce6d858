"""report.md and its plots, from the dict ``training.evaluate`` produces."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from training import report  # noqa: E402
from training.metrics import summarize  # noqa: E402

CATS = ["감정/우울감", "증상/불면", "배경/직장", "증상/식욕저하", "감정/불안"]


def fake_metrics() -> dict:
    """An evaluation where 불면 and 불안 are often mixed up, with varied confidences."""
    truth, ranked, conf = [], [], []
    for i in range(100):
        true = CATS[i % len(CATS)]
        wrong = {"증상/불면": "감정/불안", "감정/불안": "증상/불면"}.get(true, CATS[0])
        right = i % 3 != 0
        first = true if right else wrong
        truth.append(true)
        ranked.append([first] + [c for c in CATS if c != first])
        conf.append(0.35 + 0.6 * ((i * 37) % 100) / 100 if right else 0.2 + 0.5 * (i % 7) / 7)
    metrics = summarize(truth, ranked, conf)
    metrics.update(model_id="kobert-test", backend="kobert", data=["/x/tiny.jsonl"], split=None)
    return metrics


def _is_png(path: Path) -> bool:
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.shape[0] > 100


def test_report_shows_figures_tables_and_three_plots(tmp_path):
    metrics = fake_metrics()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = report.write_report(metrics, tmp_path, title="Tiny")
    text = path.read_text(encoding="utf-8")

    assert f"| accuracy | {metrics['accuracy']:.3f} |" in text
    assert f"| macro-F1 | {metrics['macro_f1']:.3f} |" in text
    assert f"{metrics['suggested_threshold']:.2f}" in text
    assert "| 증상/불면 | 감정/불안 |" in text  # the most-confused pair, by name
    for png in report.PLOTS:
        assert f"]({png})" in text
        assert _is_png(tmp_path / png)
    if report.korean_font():
        missing = [w for w in caught if "missing from" in str(w.message)]
        assert missing == [], "Korean labels drawn as empty boxes"


def test_without_a_korean_font_plots_number_the_categories(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "korean_font", lambda: None)
    text = report.write_report(fake_metrics(), tmp_path).read_text(encoding="utf-8")
    assert "apt-get install fonts-nanum" in text
    assert "- #1: " in text
    assert all(_is_png(tmp_path / png) for png in report.PLOTS)


def test_an_empty_evaluation_still_writes_a_report(tmp_path):
    metrics = summarize([], [], [])
    path = report.write_report(metrics, tmp_path)
    assert "| accuracy | 0.000 |" in path.read_text(encoding="utf-8")
    assert all((tmp_path / png).is_file() for png in report.PLOTS)
