"""``buddy handoff``: the key that seals users' addresses, and the operator-latency bench."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="Human handoff: a person takes a conversation (docs/HANDOFF.md).",
                  no_args_is_help=True)


@app.command()
def keygen() -> None:
    """Print a new HANDOFF_KEY (base64 of 32 random bytes) for .env."""
    from core.handoff.crypto import new_key

    typer.echo(f"HANDOFF_KEY={new_key()}")
    typer.echo("Put this line in .env. Keep it secret; losing it only means addresses kept "
               "now cannot be opened (users are reachable again once they write).", err=True)


@app.command()
def bench(
    messages: Annotated[int, typer.Option("--messages", min=1, help="Crisis messages sent")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Time from a crisis message entering Buddy to the operator's live view, in-process."""
    from bench.handoff import main

    result = main(messages)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"crisis message → operator's view ({result['seen']}/{result['messages']} seen, "
               f"{result['crisis_replies']} crisis replies sent while held):")
    typer.echo(f"  median {result['median_ms']} ms, p95 {result['p95_ms']} ms, "
               f"max {result['max_ms']} ms")
