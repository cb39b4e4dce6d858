"""``buddy serve``: the web chat, Telegram and Discord in one process (see :mod:`bot.serve`)."""

from __future__ import annotations

import asyncio

import typer

from cli.common import ensure_model, fail, settings_or_exit
from core import BuddyError


def serve() -> None:
    """Run the web chat (always), Telegram (TELEGRAM_TOKEN) and Discord (DISCORD_TOKEN).

    WEB_HOST/WEB_PORT choose the address (WEB_PORT=0: a free port, printed). Ctrl-C or
    SIGTERM stops taking messages, finishes replies in flight and exits within 10 s.
    """
    from bot.serve import ServeError, run

    settings = settings_or_exit()
    ensure_model(settings)

    def out(line: str) -> None:
        typer.echo(line)

    try:
        asyncio.run(run(settings, out))
    except (ServeError, BuddyError) as exc:
        fail(str(exc))
    except asyncio.CancelledError:  # a second Ctrl-C: the user wants out now
        typer.secho("Stopped without waiting for replies in flight.", fg="yellow", err=True)
        raise typer.Exit(1) from None
