"""PNG charts of log statistics for ``buddy logs stats --plot`` and the dashboard.

Drawn with matplotlib's Agg canvas through ``Figure`` objects (no pyplot state), so the
web server can render charts from worker threads. Category names are Korean: a Korean
font (NanumGothic, Noto Sans CJK, ...) is used when installed; without one the charts
still render, with a warning that the labels may show as boxes.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

from matplotlib import dates as mdates
from matplotlib.ticker import MaxNLocator

from core.review.views import HISTOGRAM_BINS, Stats

log = logging.getLogger(__name__)

_KOREAN_HINTS = ("nanumgothic", "nanumbarungothic", "notosanscjk", "notosanskr",
                 "malgun", "applegothic", "undotum", "nanum", "sourcehansans")
CHART_NAMES = ("messages-per-day", "categories", "confidence")
_ACCENT = "#3b6ea5"
_WARN = "#c0504d"


@functools.lru_cache(maxsize=1)
def korean_font() -> str | None:
    """The family name of an installed Korean-capable font, registering it if needed.

    matplotlib's font cache may predate the font's installation, so system font files are
    scanned once when the cache does not know one.
    """
    from matplotlib import font_manager

    def pick(names: Sequence[str]) -> str | None:
        lowered = {n.lower().replace(" ", ""): n for n in names}
        for hint in _KOREAN_HINTS:
            for key, name in lowered.items():
                if key.startswith(hint):
                    return name
        return None

    name = pick([f.name for f in font_manager.fontManager.ttflist])
    if name:
        return name
    for path in font_manager.findSystemFonts():
        base = Path(path).name.lower()
        if any(h in base for h in _KOREAN_HINTS) or "cjk" in base:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    name = pick([f.name for f in font_manager.fontManager.ttflist])
    if name is None:
        log.warning("no Korean font found (install fonts-nanum); chart labels may show boxes")
    return name


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """Korean font and plain minus signs for everything drawn inside (text picks its font
    when created, so a whole chart is built inside this context)."""
    import matplotlib

    font = korean_font()
    rc: dict[str, object] = {"axes.unicode_minus": False}
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    with matplotlib.rc_context(rc):
        yield


def _figure(width: float, height: float):  # noqa: ANN202 - matplotlib Figure
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _png(fig) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _empty(ax, text: str) -> None:  # noqa: ANN001
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


@_style()
def messages_per_day_png(per_day: Sequence[tuple[date, int]]) -> bytes:
    """Users' messages per day (UTC) as bars."""
    fig = _figure(8, 3.4)
    ax = fig.subplots()
    ax.set_title("사용자 메시지 / 일  (user messages per day, UTC)")
    if not per_day:
        _empty(ax, "no messages")
        return _png(fig)
    days = [d for d, _ in per_day]
    counts = [n for _, n in per_day]
    ax.bar(days, counts, color=_ACCENT, width=0.8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(days) <= 31:  # whole days only: no "12:00" ticks between bars
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, -(-len(days) // 10))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.set_xlim(mdates.date2num(days[0]) - 0.7, mdates.date2num(days[-1]) + 0.7)
    else:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel("messages")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


@_style()
def categories_png(categories: Sequence[tuple[str, int]], top_n: int = 15) -> bytes:
    """The ``top_n`` most frequent categories of users' messages, the rest summed as 기타."""
    shown = list(categories[:top_n])
    rest = sum(n for _, n in categories[top_n:])
    if rest:
        shown.append((f"기타 / other ({len(categories) - top_n})", rest))
    fig = _figure(8, max(2.5, 0.38 * len(shown) + 1.2))
    ax = fig.subplots()
    ax.set_title("카테고리 분포  (category distribution)")
    if not shown:
        _empty(ax, "no categorised messages")
        return _png(fig)
    labels = [c for c, _ in reversed(shown)]
    counts = [n for _, n in reversed(shown)]
    bars = ax.barh(labels, counts, color=_ACCENT)
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("messages")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


@_style()
def confidence_png(histogram: Sequence[int], threshold: float | None = None) -> bytes:
    """Classifier confidence of users' messages in tenths; bins under the threshold in red."""
    fig = _figure(8, 3.4)
    ax = fig.subplots()
    ax.set_title("분류 확신도  (classifier confidence)")
    if not any(histogram):
        _empty(ax, "no classified messages")
        return _png(fig)
    width = 1 / HISTOGRAM_BINS
    lefts = [i * width for i in range(HISTOGRAM_BINS)]
    colors = [
        _WARN if threshold is not None and left + width <= threshold + 1e-9 else _ACCENT
        for left in lefts
    ]
    ax.bar(lefts, list(histogram), width=width * 0.92, align="edge", color=colors)
    if threshold is not None:
        ax.axvline(threshold, color=_WARN, linestyle="--", linewidth=1)
        ax.text(threshold, ax.get_ylim()[1] * 0.95, f" threshold {threshold:g}",
                color=_WARN, va="top", fontsize=8)
    ax.set_xlim(0, 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("confidence")
    ax.set_ylabel("messages")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def render(name: str, s: Stats, *, threshold: float | None = None, top_n: int = 15) -> bytes:
    """One chart of :data:`CHART_NAMES` by name (the dashboard's PNG endpoints use this)."""
    if name not in CHART_NAMES:
        raise KeyError(name)
    if name == "messages-per-day":
        return messages_per_day_png(s.per_day)
    if name == "categories":
        return categories_png(s.categories, top_n)
    return confidence_png(s.histogram, threshold)


def write_charts(
    s: Stats, out_dir: Path, *, threshold: float | None = None, prefix: str = "stats-"
) -> list[Path]:
    """Write every chart as ``<prefix><name>.png`` into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in CHART_NAMES:
        path = out_dir / f"{prefix}{name}.png"
        path.write_bytes(render(name, s, threshold=threshold))
        paths.append(path)
    return paths
