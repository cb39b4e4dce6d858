"""``buddy safety``: measure the crisis check (recall and false-alarm rate).

Every set is measured twice: the crisis check's own layers (patterns, Kiwi morphology and
the learned crisis model in ``core/safety/learned.py``: what answers when no classifier is
loaded) and the same plus the embedded default classifier's prediction, which is what the
running bot decides with.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.classify.base import Classifier
from core.errors import BuddyError, DataFormatError
from core.safety.detector import SafetyChecker
from core.safety.evaluate import (
    FALSE_ALARM_GOAL,
    RECALL_GOAL,
    Detector,
    EvalResult,
    classifier_detector,
    evaluate_holdout,
    evaluate_test_set,
    evaluate_wellness,
    holdout_names,
)

log = logging.getLogger(__name__)


def _checker() -> SafetyChecker:
    """The crisis check as the bot runs it (``SAFETY_LEARNED`` says whether the learned model
    is part of it)."""
    from core.app import build_safety
    from core.config import load_settings

    return build_safety(load_settings())

app = typer.Typer(help="Buddy's crisis safety check.", no_args_is_help=True)

_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEST_SET = _ROOT / "data" / "crisis"
DEFAULT_WELLNESS = _ROOT.parent / "shared" / "data" / "wellness_dataset_original.csv"


@app.callback()
def _main() -> None:
    """Buddy's crisis safety check."""


def load_classifier(model_dir: Path | None) -> Classifier:
    """The classifier the bot would use: ``model_dir``, else the embedded default.

    The embedded default is trained from ``BUDDY_DATA_DIR`` (our own dataset, never the
    wellness CSV) into the same cache the bot uses, so measuring it on the wellness CSV is
    not a leak. Raises :class:`BuddyError` subclasses with the fix.
    """
    from core.classify.loader import load_model
    from core.config import load_settings
    from training.default_model import ensure_default_model

    if model_dir is None:
        settings = load_settings()
        model_dir = ensure_default_model(settings.data_dir, settings.var_dir / "models")
    return load_model(model_dir)


def _measure(
    test_set: Path, wellness: Path | None, detector: Detector
) -> list[EvalResult]:
    results = [evaluate_test_set(test_set, detector)]
    for name in holdout_names(test_set):
        if (holdout := evaluate_holdout(test_set, detector, name)) is not None:
            results.append(holdout)
    if wellness is not None:
        results.append(evaluate_wellness(wellness, detector))
    return results


def _table(
    patterns: list[EvalResult], combined: list[EvalResult] | None
) -> Table:
    table = Table(
        title=f"위기 감지 평가 (목표: 재현율 ≥ {RECALL_GOAL}, 오경보율 ≤ {FALSE_ALARM_GOAL})"
    )
    rows: list[tuple[str, EvalResult]] = []
    for i, r in enumerate(patterns):
        rows.append(("규칙+학습", r))
        if combined is not None:
            rows.append(("+분류기", combined[i]))
    for col in ("데이터", "판정", "위기 문장", "감지", "재현율", "비위기 문장", "오경보",
                "오경보율", "목표"):
        table.add_column(col)
    for mode, r in rows:
        table.add_row(
            r.name,
            mode,
            str(r.positives),
            str(r.detected),
            f"{r.recall:.3f}",
            str(r.negatives),
            str(r.flagged),
            f"{r.false_alarm_rate:.4f}",
            "✓" if r.meets_goal else "✗",
        )
    return table


def _json(patterns: list[EvalResult], combined: list[EvalResult] | None) -> str:
    out = []
    for i, r in enumerate(patterns):
        entry = r.summary()
        entry["with_classifier"] = combined[i].summary() if combined is not None else None
        out.append(entry)
    return json.dumps(out, ensure_ascii=False, indent=2)


@app.command("eval")
def eval_command(
    wellness: Path | None = typer.Option(
        None,
        help="AI Hub wellness CSV; default ../shared/data/wellness_dataset_original.csv "
        "when present.",
    ),
    test_set: Path = typer.Option(
        DEFAULT_TEST_SET,
        help="Folder with positives.txt and negatives.txt (and any holdout*_*.txt pairs).",
    ),
    with_classifier: bool = typer.Option(
        True,
        "--with-classifier/--no-classifier",
        help="Also measure patterns plus the classifier's prediction, as the bot decides "
        "(default; builds the embedded default model on first use).",
    ),
    model: Path | None = typer.Option(
        None, help="Measure this model folder instead of the embedded default."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    show_misses: bool = typer.Option(
        False, "--show-misses", help="List missed crisis messages and false alarms."
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Exit with status 1 when a goal is not met (for CI): on the patterns+classifier "
        "figures when measured, else on the patterns alone.",
    ),
) -> None:
    """Report recall and false-alarm rate on our crisis sets and the wellness CSV.

    The held-out files (``holdout*_positives.txt``/``_negatives.txt``) were written
    without looking at the patterns' misses; the newest one estimates how phrasing nobody
    anticipated fares.
    """
    console = Console()
    if wellness is None and DEFAULT_WELLNESS.is_file():
        wellness = DEFAULT_WELLNESS
    checker = _checker()
    combined_detector: Detector | None = None
    if with_classifier:
        try:
            combined_detector = classifier_detector(_classifier_loader(model), checker=checker)
        except BuddyError as exc:
            console.print(f"[yellow]분류기를 불러오지 못해 분류기 없이 평가합니다:[/yellow] {exc}")
            console.print("--model 경로나 BUDDY_DATA_DIR을 확인하거나 --no-classifier로 실행하세요.")
    try:
        patterns = _measure(test_set, wellness, checker.assess)
        combined = (
            _measure(test_set, wellness, combined_detector) if combined_detector else None
        )
    except DataFormatError as exc:
        console.print(f"[red]읽을 수 없습니다:[/red] {exc}")
        console.print(
            "--test-set 폴더(positives.txt, negatives.txt)나 --wellness 경로를 확인하세요."
        )
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(_json(patterns, combined))
    else:
        console.print(_table(patterns, combined))
    if show_misses:
        for label, results in (("규칙+학습", patterns), ("+분류기", combined or [])):
            for r in results:
                for text in r.missed:
                    console.print(f"[yellow]놓침[/yellow] ({r.name}, {label}) {escape(text)}")
                for text in r.false_alarms:
                    console.print(
                        f"[magenta]오경보[/magenta] ({r.name}, {label}) {escape(text)}"
                    )
    decisive = combined if combined is not None else patterns
    if check and not all(r.meets_goal for r in decisive):
        raise typer.Exit(1)


# Indirection so tests can supply a small classifier without training the default model.
_classifier_loader: Callable[[Path | None], Classifier] = load_classifier


@app.command("train-model")
def train_model_command(
    out: Path = typer.Option(None, help="Where to write the model (default: the shipped one, "
                             "core/safety/models/)."),
) -> None:
    """Re-fit the learned crisis model from data/crisis and data/dataset (a few minutes:
    every training text is embedded once, then cached in var/cache)."""
    from training.crisis.fit import MODEL_DIR, main

    try:
        meta = main(out=out or MODEL_DIR)
    except (RuntimeError, ValueError) as exc:
        typer.echo(f"학습할 수 없습니다 / cannot train: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps({k: meta[k] for k in ("trained_on", "out_of_fold", "threshold")},
                          ensure_ascii=False, indent=1))


@app.command("sealed")
def sealed_command(
    folder: Path = typer.Option(None, help="Folder of sealed sets (default data/crisis/sealed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    show: bool = typer.Option(False, "--show", help="List every miss and false alarm."),
) -> None:
    """Recall per risk level on the sealed sets and false alarms on the everyday set.

    A sealed set is measured once before anyone tunes on it; that first figure is the honest
    one and goes into its header.
    """
    from training.crisis.measure import SEALED, measure_everyday, measure_sealed, sealed_names

    folder = folder or SEALED

    checker = _checker()

    def flag(text: str) -> bool:
        return checker.assess(text).crisis

    results = [measure_sealed(n, folder, flag) for n in sealed_names(folder)]
    for path in sorted(folder.glob("everyday*.txt")):
        results.append(measure_everyday(path, flag))
    if as_json:
        typer.echo(json.dumps([r.summary() for r in results], ensure_ascii=False, indent=1))
    else:
        for r in results:
            typer.echo(json.dumps(r.summary(), ensure_ascii=False))
    if show:
        for r in results:
            for level, text in r.missed:
                typer.echo(f"놓침 missed ({r.name}, {level}) {text}")
            for text in r.flagged:
                typer.echo(f"오경보 false alarm ({r.name}) {text}")


_OUTCOMES = {
    "counted": "[green]셈 counted[/green]",
    "before-guard": "[yellow]앞 가드 before-guard[/yellow]",
    "after-guard": "[yellow]뒤 가드 after-guard[/yellow]",
    "context": "[yellow]문맥 context → 힌트만 hint only[/yellow]",
    "third-person": "[yellow]제3자 third person (set aside)[/yellow]",
    "recovered": "[yellow]회복된 과거 recovered past (set aside)[/yellow]",
}


@app.command("explain")
def explain_command(
    text: str = typer.Argument(..., help="The message to explain, e.g. \"약 모아놨어\"."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Show why the crisis check decided what it did: level, rules and matched words,
    guards that set a match aside, and the learned model's score."""
    from core.safety.explain import explain

    ex = explain(text, learned=_checker().learned)
    if as_json:
        typer.echo(json.dumps(ex.as_dict(), ensure_ascii=False, indent=2))
        return
    console = Console()
    level = ex.verdict.level
    colour = "red" if ex.verdict.crisis else ("yellow" if level else "green")
    console.print(f"[bold]{escape(text)}[/bold]")
    console.print(f"위험 수준 level: [{colour}]{level.label}[/{colour}] — {level.ko} ({level.en})")
    console.print(f"위기 답장 crisis reply: {'yes' if ex.verdict.crisis else 'no'}")
    console.print(f"views: compact={escape(ex.compact)!r} spaced={escape(ex.spaced)!r}")
    console.print(f"신호 signals: {escape(', '.join(ex.verdict.signals)) or '-'}")
    table = Table(title="규칙 rules")
    for col in ("rule", "kind", "level", "view", "span", "outcome", "guard words"):
        table.add_column(col)
    for h in ex.hits:
        table.add_row(escape(h.rule), h.kind, h.risk, h.view, escape(h.span),
                      _OUTCOMES.get(h.outcome, h.outcome), escape(h.guard))
    if ex.hits:
        console.print(table)
    else:
        console.print("규칙 rules: none matched")
    for m in ex.verdict.matches:
        console.print(f"  counted: {escape(m.rule)} [{m.view}] {escape(m.text)!r} → {m.risk.label}")
    if ex.learned.available and ex.learned.score is not None:
        bar = f" (threshold {ex.learned.threshold:.3f})" if ex.learned.threshold is not None else ""
        console.print(f"학습 모델 learned score: {ex.learned.score:.3f}{bar}")
    else:
        console.print(f"학습 모델 learned: {ex.learned.note or 'learned model off'}")
