"""Figures every benchmark reports alike: percentiles, milliseconds, resident memory.

One home so that a p99 means the same thing in ``bench serve``, ``bench http``,
``bench telegram``, ``bench conversation`` and ``bench inference``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) with linear interpolation; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ms_summary(values: Sequence[float]) -> dict[str, float]:
    """Median and p90 of durations in seconds, as milliseconds."""
    return {"p50_ms": round(percentile(values, 0.5) * 1000, 2),
            "p90_ms": round(percentile(values, 0.9) * 1000, 2)}


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0
