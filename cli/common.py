"""Helpers shared by the CLI modules: settings, logging, friendly failures."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import typer

from core import BuddyError, Settings, load_settings
from training.default_model import ensure_default_model


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except BuddyError as exc:
        fail(str(exc))


def setup_logging(level: str = "INFO") -> None:
    """Configure logging once, at the entry point; counseling text never goes above DEBUG."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "telegram.ext", "discord", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error a person can act on and exit (no traceback for expected failures)."""
    typer.secho(f"오류 / error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def ensure_model(settings: Settings, model_dir: Path | None = None) -> None:
    """Train the embedded default model on first run when no other model is chosen.

    The core only loads models (it never imports ``training``), so every entry point that
    may serve the embedded default calls this first; a broken dataset or an unwritable
    cache exits with the fix.
    """
    if model_dir is not None or settings.buddy_model is not None:
        return
    try:
        ensure_default_model(settings.data_dir, settings.var_dir / "models")
    except BuddyError as exc:
        fail(str(exc))
