"""The tables of ``buddy logs stats``: summary, messages per day, categories, confidence.

Pure rendering of a ``Stats`` (no database, no I/O), so the command stays a few lines and
the layout can change without touching how the numbers are read.
"""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from cli.terminal import bar
from core.review.views import HISTOGRAM_BINS, Stats

DAY_ROWS = 60  # days without messages are left out of the terminal table (not the chart)


def stats_tables(st: Stats, *, threshold: float, top: int) -> list[RenderableType]:
    """The four tables, in the order an operator reads them."""
    return [_summary(st, threshold), _per_day(st), _categories(st, top),
            _histogram(st, threshold)]


def _summary(st: Stats, threshold: float) -> Table:
    summary = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False,
                    title="Summary", title_justify="left")
    summary.add_column(no_wrap=True)
    summary.add_column(justify="right", no_wrap=True)
    for label, value in (
        ("conversations", st.conversations), ("users", st.users),
        ("messages (users + Buddy)", st.messages), ("users' messages", st.user_messages),
        ("crisis messages", st.crisis), ("  not yet reviewed", st.unreviewed_crisis),
        (f"confidence below {threshold:g}", st.low_confidence),
        ("corrected by operators", st.corrections),
    ):
        summary.add_row(label, str(value))
    return summary


def _per_day(st: Stats) -> Table:
    active = [(d, n) for d, n in st.per_day if n]
    shown_days = active[-DAY_ROWS:]
    title = "Users' messages per day (UTC)"
    if len(active) > len(shown_days):
        title += f" — the last {len(shown_days)} of {len(active)} days with messages"
    days = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
    days.add_column("DAY", no_wrap=True)
    days.add_column("MSGS", justify="right", no_wrap=True)
    days.add_column("", no_wrap=True, style="blue")
    most = max((n for _, n in shown_days), default=0)
    for d, n in shown_days:
        days.add_row(d.isoformat(), str(n), bar(n, most))
    return days


def _categories(st: Stats, top: int) -> Table:
    cats = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Top {top} categories",
                 title_justify="left")
    cats.add_column("CATEGORY", overflow="fold")
    cats.add_column("MSGS", justify="right", no_wrap=True)
    cats.add_column("SHARE", justify="right", no_wrap=True)
    total_cat = sum(n for _, n in st.categories)
    for name, n in st.categories[:top]:
        cats.add_row(name, str(n), f"{100 * n / total_cat:.1f}%")
    if len(st.categories) > top:
        rest = sum(n for _, n in st.categories[top:])
        cats.add_row(Text(f"… {len(st.categories) - top} more", style="dim"), str(rest),
                     f"{100 * rest / total_cat:.1f}%")
    return cats


def _histogram(st: Stats, threshold: float) -> Table:
    hist = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Confidence histogram",
                 title_justify="left")
    hist.add_column("CONFIDENCE", no_wrap=True)
    hist.add_column("MSGS", justify="right", no_wrap=True)
    hist.add_column("", no_wrap=True)
    most = max(st.histogram, default=0)
    for i, n in enumerate(st.histogram):
        lo, hi = i / HISTOGRAM_BINS, (i + 1) / HISTOGRAM_BINS
        style = "red" if hi <= threshold + 1e-9 else "blue"
        hist.add_row(f"{lo:.1f}–{hi:.1f}", str(n), Text(bar(n, most), style=style))
    return hist
