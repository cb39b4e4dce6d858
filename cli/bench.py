"""``buddy bench``: measured speed of KoBERT serving, of the core and of Telegram under load."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import fail, settings_or_exit
from core import BuddyError

app = typer.Typer(
    help="Benchmarks: KoBERT inference speed; many users at once through the core and Telegram.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object")]
QuickOpt = Annotated[bool, typer.Option("--quick", help="A seconds-long smoke run (tiny model, "
                                                          "few messages): checks, not figures")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Dataset folder for utterances "
                                                               "(default: BUDDY_DATA_DIR)")]
# The load benchmarks (serve, telegram) share their options and how they become a config.
UsersOpt = Annotated[int | None, typer.Option("--users", min=1, help="Simulated users")]
PerUserOpt = Annotated[int | None, typer.Option(
    "--messages-per-user", min=1, help="Messages each user sends, one after another")]
LoadModelOpt = Annotated[Path | None, typer.Option(
    "--model", help="A model folder (default: the embedded default)")]


def _load_config(config_cls: Any, quick: bool, users: int | None, per_user: int | None,
                 model: Path | None, data: Path | None) -> Any:
    """A ServeBenchConfig or TelegramBenchConfig from the shared options and settings."""
    settings = settings_or_exit()
    data_dir = data or settings.data_dir
    cache = settings.var_dir / "models"
    cfg = config_cls.quick(data_dir, cache) if quick else config_cls(
        data_dir=data_dir, cache_dir=cache)
    cfg.model_dir = model
    cfg.users = users or cfg.users
    cfg.messages_per_user = per_user or cfg.messages_per_user
    return cfg


def _show(result: dict[str, Any], as_json: bool, rows: list[tuple[str, str]]) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"buddy bench {result['benchmark']}", show_header=False)
    for key, label in rows:
        value = result.get(key)
        if value is not None:
            table.add_row(label, str(value))
    Console().print(table)


@app.command()
def inference(
    as_json: JsonOpt = False,
    quick: QuickOpt = False,
    model: Annotated[Path | None, typer.Option(
        "--model", help="A trained KoBERT model folder (default: KoBERT-shaped, random "
                        "encoder, head trained on our dataset)")] = None,
    messages: Annotated[int | None, typer.Option(
        "--messages", min=3, help="Messages timed one at a time per method")] = None,
    threads: Annotated[int | None, typer.Option(
        "--threads", min=1, help="CPU threads for PyTorch and ONNX Runtime (default: all)")] = None,
    data: DataOpt = None,
) -> None:
    """Seed way vs. plain fp32 PyTorch vs. Buddy's int8 ONNX path, on the same utterances."""
    from bench.inference import InferenceBenchConfig, run_inference_bench

    try:
        import onnxruntime  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        fail("this benchmark needs the KoBERT extra: pip install -e '.[kobert]'")
    data_dir = data or settings_or_exit().data_dir
    cfg = InferenceBenchConfig.quick(data_dir) if quick else InferenceBenchConfig(data_dir=data_dir)
    cfg.model_dir = model
    if messages:
        cfg.latency_messages = messages
    cfg.threads = threads
    try:
        result = run_inference_bench(cfg)
    except BuddyError as exc:
        fail(str(exc))
    _show(result, as_json, [
        ("seed_p50_ms", "seed: fp32, padded to 512, p50 ms"),
        ("baseline_p50_ms", "baseline: fp32 inference_mode, p50 ms"),
        ("optimized_p50_ms", "optimized: int8 ONNX, p50 ms"),
        ("speedup", "speedup over baseline (p50)"),
        ("speedup_over_seed", "speedup over seed (p50)"),
        ("baseline_throughput_msgs_per_s", "baseline msgs/s, bursts of 32"),
        ("optimized_throughput_msgs_per_s", "optimized msgs/s, bursts of 32 (micro-batched)"),
        ("agreement", "top-1 agreement with baseline"),
        ("agreement_n", "held-out utterances compared"),
    ])


@app.command()
def serve(
    as_json: JsonOpt = False,
    quick: QuickOpt = False,
    users: UsersOpt = None,
    per_user: PerUserOpt = None,
    model: LoadModelOpt = None,
    data: DataOpt = None,
) -> None:
    """Many users at once through the core with a SQLite log: throughput, latency, rows;
    durable (journal fsync before each reply) beside the earlier background mode."""
    from bench.serve_load import ServeBenchConfig, run_serve_bench

    cfg = _load_config(ServeBenchConfig, quick, users, per_user, model, data)
    try:
        result = asyncio.run(run_serve_bench(cfg))
    except BuddyError as exc:
        fail(str(exc))
    _show(result, as_json, [
        ("messages_sent", "messages sent"),
        ("throughput_msgs_per_s", "replies per second"),
        ("latency_p50_ms", "latency p50 ms"),
        ("latency_p99_ms", "latency p99 ms"),
        ("throughput_logged_msgs_per_s", "messages per second, until all logged"),
        ("turns_per_fsync", "turns per journal fsync (group commit)"),
        ("durability_cost_p99_ms", "p99 ms added by durability (vs background)"),
        ("rows_logged", "rows logged"),
        ("rows_expected", "rows expected (2 per message)"),
        ("first_message_ms", "first message after start, ms"),
    ])


@app.command()
def http(
    as_json: JsonOpt = False,
    quick: QuickOpt = False,
    connections: Annotated[int | None, typer.Option(
        "--connections", min=1, help="Concurrent HTTP connections (default 64)")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.5, help="Seconds of load (default 20)")] = None,
    model: LoadModelOpt = None,
    data: DataOpt = None,
) -> None:
    """Real HTTP against a real `buddy serve` subprocess: throughput, p50/p99, rows logged.

    Exits with 1 when an answered message is missing from the log or logged twice.
    """
    from bench.http_load import HttpBenchConfig, run_http_bench

    settings = settings_or_exit()
    data_dir = data or settings.data_dir
    cache = settings.var_dir / "models"
    cfg = (HttpBenchConfig.quick(data_dir, cache) if quick
           else HttpBenchConfig(data_dir=data_dir, cache_dir=cache))
    cfg.model_dir = model
    cfg.connections = connections or cfg.connections
    cfg.duration_s = duration or cfg.duration_s
    try:
        result = asyncio.run(run_http_bench(cfg))
    except (BuddyError, RuntimeError) as exc:
        fail(str(exc))
    _show(result, as_json, [
        ("connections", "concurrent connections"),
        ("duration_s", "seconds of load"),
        ("replies", "replies"),
        ("throughput_msgs_per_s", "replies per second"),
        ("latency_p50_ms", "latency p50 ms"),
        ("latency_p99_ms", "latency p99 ms"),
        ("rows_logged", "rows logged"),
        ("rows_expected", "rows expected (2 per reply)"),
        ("every_answer_logged_once", "every answer logged once"),
    ])
    if not result["every_answer_logged_once"]:
        typer.secho("some answered messages are missing from the log or logged twice",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@app.command()
def telegram(
    as_json: JsonOpt = False,
    quick: QuickOpt = False,
    users: UsersOpt = None,
    per_user: PerUserOpt = None,
    model: LoadModelOpt = None,
    data: DataOpt = None,
) -> None:
    """The serve load through the real Telegram adapter and a local stand-in Bot API.

    Exits with 1 when any message went unanswered, was answered twice, or was not logged.
    """
    from bench.telegram_load import TelegramBenchConfig, run_telegram_bench

    cfg = _load_config(TelegramBenchConfig, quick, users, per_user, model, data)
    try:
        result = asyncio.run(run_telegram_bench(cfg))
    except BuddyError as exc:
        fail(str(exc))
    _show(result, as_json, [
        ("messages_sent", "messages sent"),
        ("replies_delivered", "replies delivered"),
        ("duplicates", "duplicates"),
        ("missing_replies", "missing replies"),
        ("throughput_msgs_per_s", "replies per second"),
        ("latency_p50_ms", "update queued -> sendMessage, p50 ms"),
        ("latency_p99_ms", "update queued -> sendMessage, p99 ms"),
        ("rows_logged", "rows logged"),
        ("rows_expected", "rows expected (2 per message)"),
    ])
    if not result["ok"]:
        typer.secho("some messages were unanswered, answered twice or not logged",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@app.command()
def base(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the base model into")],
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Text sources for the SentencePiece vocabulary (repeatable; default: "
                       "BUDDY_DATA_DIR)")] = None,
    tiny: Annotated[bool, typer.Option("--tiny", help="A 2-layer, 64-wide encoder for smoke "
                                                       "runs instead of KoBERT's shape")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the random weights")] = 0,
    init_range: Annotated[float, typer.Option(
        "--init-range", help="Std of the random weights (BERT's 0.02; wider ones train "
                             "faster from scratch)")] = 0.02,
    mlm_seconds: Annotated[float, typer.Option(
        "--mlm-seconds", min=0, help="Then pre-train it by masked LM on the same text for "
                                      "this long (a GPU is advised); 0: random weights")] = 0,
) -> None:
    """A KoBERT-shaped base with random weights, for `buddy train --backend kobert --base`.

    For machines that cannot download monologg/kobert: it rehearses the training path and
    gives a really trained model for `buddy bench inference --model`; without pre-training
    its accuracy is not KoBERT's.
    """
    from core.dataset.formats import load_dataset
    from training.bases.scratch import write_base

    sources = data or [settings_or_exit().data_dir]
    try:
        sentences = [ex.text for src in sources for ex in load_dataset(src).examples]
    except BuddyError as exc:
        fail(str(exc))
    encoder = ({"vocab_size": 2000, "hidden_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 2, "intermediate_size": 128,
                "max_position_embeddings": 512} if tiny else None)
    info = write_base(out, sentences, encoder=encoder, initializer_range=init_range, seed=seed)
    if mlm_seconds > 0:
        from training.bases.scratch import mlm_pretrain

        info.update(mlm_pretrain(out, sentences, mlm_seconds, seed=seed))
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
    typer.echo(f"next: buddy train --backend kobert --base {out} --data DATA --out MODEL_DIR",
               err=True)


@app.command()
def conversation(
    as_json: JsonOpt = False,
    quick: QuickOpt = False,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Scripted conversations, JSONL (default: data/conversations/"
                       "scripted.jsonl)")] = None,
    transcripts: Annotated[Path | None, typer.Option(
        "--transcripts", help="Also write the played conversations as Markdown here")] = None,
    model: LoadModelOpt = None,
    data: DataOpt = None,
) -> None:
    """Scripted multi-turn conversations through the core: short replies in context, topic
    kept / new topic found, repeated replies, fallbacks, every crisis turn with the numbers.

    Exits with 1 when a crisis turn was answered without the numbers.
    """
    from bench.conversation import ConversationBenchConfig, run_conversation_bench, transcript

    settings = settings_or_exit()
    data_dir = data or settings.data_dir
    cache = settings.var_dir / "models"
    cfg = (ConversationBenchConfig.quick(data_dir, cache) if quick
           else ConversationBenchConfig(data_dir=data_dir, cache_dir=cache))
    cfg.model_dir = model
    if file is not None:
        cfg.file = file
    played: list[Any] = []
    try:
        result = asyncio.run(run_conversation_bench(cfg, keep=played))
    except (BuddyError, ValueError, OSError) as exc:
        fail(str(exc))
    if transcripts is not None:
        transcripts.write_text("\n\n".join(transcript(c) for c in played) + "\n",
                               encoding="utf-8")
    _show(result, as_json, [
        ("conversations", "conversations"),
        ("turns", "turns"),
        ("short_replies_in_context", "short replies answered in context"),
        ("topic_kept", "topic kept (continuing turns)"),
        ("new_topic_found", "new topic found"),
        ("meta_answered_honestly", "questions about Buddy answered honestly"),
        ("farewell_in_its_conversation", "farewell logged in its conversation"),
        ("repeated_replies_per_conversation", "repeated replies per conversation"),
        ("repeated_replies_in_30_turn_conversations", "repeats in 30-turn conversations"),
        ("fallback_rate", "fallback rate"),
        ("crisis_turns_with_numbers", "crisis turns answered with the numbers"),
        ("crisis_turns", "crisis turns"),
        ("latency_p50_ms", "latency p50 ms"),
        ("latency_p99_ms", "latency p99 ms"),
    ])
    if not result["every_crisis_turn_answered_with_numbers"]:
        typer.secho("a crisis turn was answered without the numbers", fg=typer.colors.RED,
                    err=True)
        raise typer.Exit(1)
