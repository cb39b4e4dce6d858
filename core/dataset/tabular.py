"""Readers for the AI Hub wellness table: CSV (UTF-8 or cp949/euc-kr) and ``.xlsx``.

The published file is messy on purpose-free grounds: a UTF-8 byte-order mark, CRLF line
ends, a trailing empty column, and a ``챗봇`` answer on only some rows. Each answer belongs
to its row's ``구분`` category, whether or not that row also carries a ``유저`` utterance.
English headers (``category``, ``text``/``utterance``, ``answer``) are accepted too, so a
user can keep their own data in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from core.dataset.records import Dataset, Example
from core.errors import DataFormatError
from core.text import normalize

CATEGORY_HEADERS = ("구분", "category", "label")
TEXT_HEADERS = ("유저", "text", "utterance", "question")
ANSWER_HEADERS = ("챗봇", "answer", "reply")

# Workbook limits: the wellness table is ~1 MB; these leave room for much larger own data.
MAX_XLSX_BYTES = 50 * 2**20
MAX_XLSX_EXPANDED = 64 * 2**20
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_CELLS = 1_000_000

# Tried in order. cp949 is a superset of euc-kr, so one entry covers both.
ENCODINGS = ("utf-8-sig", "cp949")


def decode_text(path: Path, raw: bytes, encodings: Iterable[str] = ENCODINGS) -> str:
    """Decode bytes with the first encoding that fits; name the first bad line otherwise.

    UTF-8 is tried first because a cp949 decode of UTF-8 bytes usually fails loudly anyway,
    while the reverse (cp949 bytes read as UTF-8) always fails: the order cannot mislabel.
    """
    first_error: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    line = raw.count(b"\n", 0, first_error.start) + 1
    raise DataFormatError(
        str(path), line, "is not valid UTF-8 (nor cp949/euc-kr); save the file as UTF-8"
    )


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lstrip("\ufeff").lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def rows_to_dataset(path: Path, rows: Iterable[tuple[int, list[str]]]) -> Dataset:
    """Turn ``(line_number, cells)`` rows, header first, into a :class:`Dataset`."""
    it = iter(rows)
    try:
        _, header = next(it)
    except StopIteration:
        raise DataFormatError(str(path), None, "is empty; expected a header 구분,유저,챗봇") from None
    cat_i, text_i, ans_i = (_find(header, n) for n in (CATEGORY_HEADERS, TEXT_HEADERS, ANSWER_HEADERS))
    if cat_i is None or text_i is None:
        raise DataFormatError(
            str(path), 1, f"missing columns: need 구분 and 유저 (optionally 챗봇), found {header}"
        )
    ds = Dataset()
    for line, cells in it:
        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) and cells[i] else ""

        category, text, answer = cell(cat_i), normalize(cell(text_i)), cell(ans_i)
        if not (category or text or answer):
            continue  # blank row, e.g. a spreadsheet's trailing lines
        if not category:
            raise DataFormatError(str(path), line, "empty category (구분) on a row with text")
        if text:
            ds.examples.append(Example(text, category, f"{path.name}:{line}"))
        if answer:
            answers = ds.answers.setdefault(category, [])
            if answer not in answers:
                answers.append(answer)
    return ds


def read_csv(path: Path) -> Dataset:
    """Read a wellness-style CSV in UTF-8 (with or without BOM) or cp949/euc-kr."""
    text = decode_text(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote is an error
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise DataFormatError(str(path), reader.line_num, f"is not valid CSV ({exc})") from exc
    return rows_to_dataset(path, rows)


def check_xlsx_size(path: Path) -> None:
    """Refuse a workbook that would expand past the limits, before anything is unpacked.

    An .xlsx is a zip: 300 KB on disk can hold 300 MB of repeated XML (a "zip bomb"), which
    openpyxl would parse into several times that in memory. The zip's directory states each
    member's uncompressed size, so the total is known without decompressing a byte; a
    member that lies about its size is stopped by zipfile itself (it checks while reading).
    """
    import zipfile

    if path.stat().st_size > MAX_XLSX_BYTES:
        raise DataFormatError(str(path), None, f"is over {MAX_XLSX_BYTES // 2**20} MB; split "
                              "the workbook or save it as CSV")
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFormatError(str(path), None, f"is not a readable .xlsx workbook ({exc})") from exc
    expanded = sum(m.file_size for m in members)
    if len(members) > MAX_XLSX_MEMBERS or expanded > MAX_XLSX_EXPANDED:
        raise DataFormatError(
            str(path), None,
            f"would expand to {expanded / 2**20:,.0f} MB in {len(members)} parts (the limit is "
            f"{MAX_XLSX_EXPANDED // 2**20} MB); it is not a plain data sheet, or too big: save "
            "the sheet as CSV, or split it")


def read_xlsx(path: Path, *, max_cells: int = MAX_XLSX_CELLS) -> Dataset:
    """Read the first sheet of a wellness-style workbook (read-only, cached values), within
    :data:`MAX_XLSX_EXPANDED` unpacked bytes and :data:`MAX_XLSX_CELLS` cells."""
    import zipfile

    from openpyxl import load_workbook

    check_xlsx_size(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DataFormatError(str(path), None, f"is not a readable .xlsx workbook ({exc})") from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        cells = 0
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells += len(row)
            if cells > max_cells:
                raise DataFormatError(str(path), i, f"has over {max_cells:,} cells; keep "
                                      "the 구분/유저/챗봇 columns only, or split the sheet")
            rows.append((i, ["" if v is None else str(v) for v in row]))
    finally:
        wb.close()
    return rows_to_dataset(path, rows)
