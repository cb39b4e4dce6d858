"""Printing the log to an operator's terminal without letting a user's words restyle it.

Everything users wrote goes through ``safe`` (plain text, control characters made visible);
long output goes through a pager when it is taller than the terminal.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime

from rich.console import Console, RenderableType
from rich.text import Text

from core.review.views import MessageView


def console(**kw: object) -> Console:
    """A console that never turns text into markup, emoji or highlighted tokens."""
    return Console(highlight=False, emoji=False, **kw)  # type: ignore[arg-type]


def safe(text: str | None) -> Text:
    """A user's words as inert text: no markup, control characters shown as ``\\xNN``."""
    if text is None:
        return Text("")
    out = []
    for ch in text:
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
    return Text("".join(out))


def emit(renderables: list[RenderableType], pager: bool | None) -> None:
    """Print, through a pager when asked or when the output is taller than the terminal."""
    out = console()
    if pager is None:
        pager = False
        if out.is_terminal:
            probe = console(file=io.StringIO(), width=out.width)
            probe.print(*renderables)
            pager = probe.file.getvalue().count("\n") > out.height  # type: ignore[attr-defined]
    if pager:
        with out.pager(styles=False):
            out.print(*renderables)
    else:
        out.print(*renderables)


def when(value: datetime | None, seconds: bool = False) -> str:
    """A stored (UTC) time to the minute, or to the second."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def confidence_cell(value: float | None, threshold: float) -> Text:
    """A confidence, red when it is below the operator's threshold."""
    if value is None:
        return Text("-", style="dim")
    return Text(f"{value:.2f}", style="bold red" if value < threshold else "")


def category_cell(m: MessageView) -> Text:
    """The classifier's category, struck through when an operator corrected it."""
    if m.corrected_category and m.corrected_category != m.category:
        t = Text(m.category or "-", style="strike dim")
        t.append(" → ")
        t.append(m.corrected_category, style="bold green")
        return t
    return Text(m.category or "-")


def bar(n: int, most: int, width: int = 30) -> str:
    """A text bar ``n`` long on a scale where ``most`` fills ``width``."""
    return "█" * (round(width * n / most) if most else 0)
