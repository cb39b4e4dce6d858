"""Helpers the fault tests share: how a ``buddy`` subprocess is started."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def buddy_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``buddy`` subprocess: no developer settings, its own var dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DISCORD_", "WEB_", "BUDDY_", "DATABASE_", "ALERT_",
                                "ADMIN_"))}
    env.update(BUDDY_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env
