"""The options every ``buddy logs`` command shares, and the filter they make.

Kept apart from the commands so that ``list``, ``export`` and ``stats`` take the very same
flags with the very same help, and a bad ``--since`` fails the same way everywhere.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail
from core.config import Settings
from core.review.filters import LogFilter, parse_when

PlatformOpt = Annotated[str | None, typer.Option("--platform", help="telegram, discord or web")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="From: 2026-05-01, an ISO time, today, 7d, 12h")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Up to (a bare date includes that whole day)")
]
CategoryOpt = Annotated[str | None, typer.Option("--category", help="Classifier category")]
CrisisOpt = Annotated[bool, typer.Option("--crisis", help="Only crisis messages/conversations")]
LowOpt = Annotated[
    bool, typer.Option("--low-confidence", help="Only messages below the confidence threshold")
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option("--threshold", min=0.0, max=1.0,
                 help="Low-confidence threshold (default CONFIDENCE_THRESHOLD)"),
]
SearchOpt = Annotated[
    str | None, typer.Option("--search", "-s", help="Messages containing this text")
]
PagerOpt = Annotated[
    bool | None,
    typer.Option("--pager/--no-pager", help="Page long output (default: when it is long "
                 "and the output is a terminal)"),
]


def log_filter(
    settings: Settings, platform: str | None, since: str | None, until: str | None,
    category: str | None, crisis: bool, low: bool, threshold: float | None, search: str | None,
) -> LogFilter:
    """The shared flags as a ``LogFilter``; an unreadable or reversed time range exits."""
    try:
        start = parse_when(since) if since else None
        end = parse_when(until, end=True) if until else None
    except ValueError as exc:
        fail(str(exc))
    if start and end and start >= end:
        fail("--since must be before --until")
    limit = threshold if threshold is not None else settings.confidence_threshold
    return LogFilter(
        platform=platform or None, since=start, until=end, category=category or None,
        crisis=crisis, low_confidence=limit if low else None, text=search or None,
    )
