"""Benchmarks behind ``buddy bench``: inference speed of KoBERT serving, and core load.

They print JSON figures for docs/BENCHMARKS.md; the tests run them in ``--quick`` mode only
to check that they work, never how fast they are.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any


def machine(load_before: tuple[float, ...], load_after: tuple[float, ...]) -> dict[str, Any]:
    """Cores and load around a run: every benchmark's JSON says how busy the machine was."""
    return {"cpus": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after]}


def config_json(cfg: Any) -> dict[str, Any]:
    """A benchmark's dataclass configuration as JSON, so a run can be repeated exactly."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()}

