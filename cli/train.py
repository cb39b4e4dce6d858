"""``buddy train`` and ``buddy evaluate``.

Reproducing the held-out figure is two commands::

    buddy train --data wellness.csv --out models/wellness --eval-split 0.2 --seed 42
    buddy evaluate --model models/wellness --data wellness.csv --split test

The first trains on 80% and writes ``metrics.json`` for the other 20%; the second rebuilds
the same split (size and seed are read from the model's ``split.json``) and measures again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from cli.common import fail
from core import BuddyError


def _options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings → backend options; values parsed as JSON when they can be."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--set expects KEY=VALUE, got {pair!r} (e.g. --set C=0.3)")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _print_metrics(m: dict[str, Any]) -> None:
    typer.echo(
        f"  utterances {m['n']}, categories {m['n_categories']}\n"
        f"  accuracy {m['accuracy']:.3f}   top-3 {m['top3_accuracy']:.3f}   "
        f"macro-F1 {m['macro_f1']:.3f}   ECE {m['ece']:.3f}\n"
        f"  suggested fallback threshold {m['suggested_threshold']:.2f} "
        f"(answers above it: {m['coverage_at_threshold']:.0%}, "
        f"{m['accuracy_at_threshold']:.0%} right)"
    )
    pairs = m.get("confused_pairs", [])[:3]
    if pairs:
        typer.echo("  most confused: " + "; ".join(
            f"{p['true']} → {p['predicted']} ×{p['count']}" for p in pairs))


def train(
    data: list[Path] = typer.Option(..., "--data", help="Data file or folder (repeatable)"),
    out: Path = typer.Option(..., "--out", help="Model folder to write"),
    backend: str = typer.Option("linear", "--backend", help="linear (default), or transformer: fine-tune a BERT-family --base "
                 "(kobert is its older name)"),
    seed: int = typer.Option(42, "--seed", help="Random seed (split and training)"),
    eval_split: float = typer.Option(
        0.0, "--eval-split", help="Hold out this share (e.g. 0.2) and write metrics.json"
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Backend option KEY=VALUE, e.g. --set C=0.3 (repeatable)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
    base: str | None = typer.Option(
        None, "--base",
        help="transformer: pre-trained encoder, a Hugging Face id (default monologg/kobert) or "
        "a local folder with config.json, weights and tokenizer files (e.g. `buddy base e5`)",
    ),
    config: Path | None = typer.Option(
        None, "--config", help="transformer: JSON file of training arguments (see training_args.json)"
    ),
    resume: bool = typer.Option(
        False, "--resume", help="transformer: continue an interrupted run from OUT/checkpoints"
    ),
) -> None:
    """Train a model folder from wellness CSV/XLSX, Buddy JSONL or seed text files."""
    from training.train import train as run_train

    if not 0.0 <= eval_split < 1.0:
        fail(f"--eval-split must be in [0, 1), got {eval_split}")
    options = _options(set_)
    kobert_options = {"base": base, "config": str(config) if config else None,
                      "resume": resume or None}
    if backend not in ("transformer", "kobert") and any(kobert_options.values()):
        fail("--base, --config and --resume apply to --backend transformer (or kobert) only")
    options.update({k: v for k, v in kobert_options.items() if v is not None})
    try:
        summary = run_train(data, out, backend=backend, seed=seed, eval_split=eval_split,
                            **options)
    except (BuddyError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"trained {summary['model_id']} → {summary['out']}")
    typer.echo(f"  {summary['n_examples']} utterances, {summary['n_categories']} categories, "
               f"{summary['train_seconds']:.1f} s")
    if "metrics" in summary:
        typer.echo(f"held-out {eval_split:.0%} (seed {seed}):")
        _print_metrics(summary["metrics"])
        typer.echo(f"  details: {Path(summary['out']) / 'metrics.json'}")


def evaluate(
    model: Path = typer.Option(..., "--model", help="Model folder written by `buddy train`"),
    data: list[Path] = typer.Option(..., "--data", help="Labelled data (repeatable)"),
    split: str = typer.Option(
        "all", "--split", help="all (default), or test/train: the part of the stratified split"
    ),
    test_size: float | None = typer.Option(
        None, "--test-size", help="Split share; default: the model's split.json, else 0.2"
    ),
    seed: int | None = typer.Option(None, "--seed", help="Split seed; default: split.json, else 42"),
    out: Path | None = typer.Option(None, "--out", help="Also write metrics.json into this folder"),
    threshold_target: float = typer.Option(
        0.5, "--threshold-target", help="Accuracy the fallback threshold must keep above it"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Measure a model: accuracy, top-3, macro-F1, calibration and a fallback threshold."""
    from training.evaluate import evaluate as run_evaluate

    try:
        metrics = run_evaluate(model, data, split=None if split == "all" else split,
                               test_size=test_size, seed=seed, out_dir=out,
                               threshold_target=threshold_target)
    except (BuddyError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    where = "all data" if metrics["split"] is None else (
        f"{metrics['split']['part']} part (test_size {metrics['split']['test_size']}, "
        f"seed {metrics['split']['seed']})")
    typer.echo(f"{metrics['model_id']} on {where}:")
    _print_metrics(metrics)


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``evaluate`` to the main ``buddy`` app."""
    app.command("train")(train)
    app.command("evaluate")(evaluate)
