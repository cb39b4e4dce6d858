"""The ``buddy`` command: every sub-command registered in one table."""

from __future__ import annotations

import typer

from cli import ask, base, bench, db, handoff, logs, safety, serve, train
from cli.common import setup_logging

app = typer.Typer(
    name="buddy",
    help="Buddy (버디): a Korean counseling chatbot. Not a therapist; not for emergencies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging")) -> None:
    from core.config import load_settings

    try:
        level = "DEBUG" if verbose else load_settings().log_level
    except Exception:
        level = "INFO"
    setup_logging(level)


app.command()(ask.ask)
app.command()(ask.chat)
app.command()(serve.serve)
train.register(app)
app.add_typer(base.app, name="base")
app.add_typer(db.app, name="db")
app.add_typer(bench.app, name="bench")
app.add_typer(handoff.app, name="handoff")
app.add_typer(logs.app, name="logs")
app.add_typer(safety.app, name="safety")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
