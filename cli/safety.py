"""``buddy safety``: measure the crisis check (recall and false-alarm rate)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from core.errors import DataFormatError
from core.safety.evaluate import (
    FALSE_ALARM_GOAL,
    RECALL_GOAL,
    EvalResult,
    evaluate_holdout,
    evaluate_test_set,
    evaluate_wellness,
)

app = typer.Typer(help="Buddy's crisis safety check.", no_args_is_help=True)

_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEST_SET = _ROOT / "tests" / "data" / "crisis"
DEFAULT_WELLNESS = _ROOT.parent / "shared" / "data" / "wellness_dataset_original.csv"


@app.callback()
def _main() -> None:
    """Buddy's crisis safety check."""


def _table(results: list[EvalResult]) -> Table:
    table = Table(
        title=f"위기 감지 평가 (목표: 재현율 ≥ {RECALL_GOAL}, 오경보율 ≤ {FALSE_ALARM_GOAL})"
    )
    for col in (
        "데이터",
        "위기 문장",
        "감지",
        "재현율",
        "비위기 문장",
        "오경보",
        "오경보율",
        "목표",
    ):
        table.add_column(col)
    for r in results:
        table.add_row(
            r.name,
            str(r.positives),
            str(r.detected),
            f"{r.recall:.3f}",
            str(r.negatives),
            str(r.flagged),
            f"{r.false_alarm_rate:.4f}",
            "✓" if r.meets_goal else "✗",
        )
    return table


@app.command("eval")
def eval_command(
    wellness: Path | None = typer.Option(
        None,
        help="AI Hub wellness CSV; default ../shared/data/wellness_dataset_original.csv "
        "when present.",
    ),
    test_set: Path = typer.Option(
        DEFAULT_TEST_SET, help="Folder with positives.txt and negatives.txt."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    show_misses: bool = typer.Option(
        False, "--show-misses", help="List missed crisis messages and false alarms."
    ),
    check: bool = typer.Option(
        False, "--check", help="Exit with status 1 when a goal is not met (for CI)."
    ),
) -> None:
    """Report recall and false-alarm rate on our crisis test set and the wellness CSV.

    The held-out files (``holdout_*.txt``) were written after the patterns were frozen;
    their figure estimates how phrasing nobody anticipated fares.
    """
    console = Console()
    try:
        results = [evaluate_test_set(test_set)]
        if (holdout := evaluate_holdout(test_set)) is not None:
            results.append(holdout)
        if wellness is None and DEFAULT_WELLNESS.is_file():
            wellness = DEFAULT_WELLNESS
        if wellness is not None:
            results.append(evaluate_wellness(wellness))
    except DataFormatError as exc:
        console.print(f"[red]읽을 수 없습니다:[/red] {exc}")
        console.print(
            "--test-set 폴더(positives.txt, negatives.txt)나 --wellness 경로를 확인하세요."
        )
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps([r.summary() for r in results], ensure_ascii=False, indent=2))
    else:
        console.print(_table(results))
    if show_misses:
        for r in results:
            for text in r.missed:
                console.print(f"[yellow]놓침[/yellow] ({r.name}) {text}", markup=False)
            for text in r.false_alarms:
                console.print(f"[magenta]오경보[/magenta] ({r.name}) {text}", markup=False)
    if check and not all(r.meets_goal for r in results):
        raise typer.Exit(1)
