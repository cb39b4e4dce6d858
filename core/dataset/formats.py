"""Load training data from any format Buddy accepts, detected from the path.

What ``load_dataset(path)`` accepts:

- **Buddy JSONL** (``*.jsonl``), one object a line, the format of ``data/dataset/``::

      {"category": "감정/우울감", "utterances": ["...", "..."], "answers": ["..."]}

  Lines of the log-review export, ``{"text": "...", "category": "..."}`` (other keys
  ignored), may appear in the same or in a separate file: corrections train like utterances.
- **AI Hub wellness table**: ``*.csv`` (UTF-8 with or without BOM, CRLF or LF, cp949 /
  euc-kr) or ``*.xlsx``, header ``구분,유저,챗봇`` (extra columns ignored); see
  :mod:`core.dataset.tabular`.
- **Seed text files** (``*.txt`` / ``*.tsv``) of the original buddy_KoBERT project, the kind
  decided by the file name; see :mod:`core.dataset.seed`.
- **A folder**: every ``*.jsonl``, ``*.csv``, ``*.xlsx`` file in it, in sorted name order,
  plus its seed ``*.txt``/``*.tsv`` files read together (not recursive).

Every problem raises :class:`~core.errors.DataFormatError` naming the file and the line.
Utterances are normalised with :func:`core.text.normalize`, as the pipeline does for
messages, so training and serving see the same text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.dataset.records import Dataset, Example
from core.dataset.seed import SEED_SUFFIXES, read_seed_folder
from core.dataset.tabular import read_csv, read_xlsx
from core.errors import DataFormatError
from core.text import normalize

__all__ = ["DedupReport", "data_files", "data_hash", "deduplicate", "load_dataset",
           "load_datasets"]

TABLE_SUFFIXES = (".jsonl", ".csv", ".xlsx")


def data_files(path: Path) -> list[Path]:
    """The files ``load_dataset(path)`` reads, in the order it reads them."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            p for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES + SEED_SUFFIXES
        )
    return [path]


def load_dataset(path: Path) -> Dataset:
    """Read one file or folder into a :class:`Dataset` (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(str(path), None, "does not exist; check the --data path")
    files = data_files(path)
    ds = Dataset()
    seed = [p for p in files if p.suffix.lower() in SEED_SUFFIXES]
    for f in files:
        suffix = f.suffix.lower()
        if suffix == ".jsonl":
            ds.extend(read_jsonl(f))
        elif suffix == ".csv":
            ds.extend(read_csv(f))
        elif suffix == ".xlsx":
            ds.extend(read_xlsx(f))
        elif suffix not in SEED_SUFFIXES:
            raise DataFormatError(
                str(f), None, "has an unknown format; use .jsonl, .csv, .xlsx or seed .txt files"
            )
    if seed:
        ds.extend(read_seed_folder(seed))
    if not ds.examples:
        raise DataFormatError(str(path), None, "holds no utterances to learn from")
    return ds


def load_datasets(paths: Iterable[Path]) -> Dataset:
    """Load and merge several paths (``buddy train --data A --data B``)."""
    ds = Dataset()
    for p in paths:
        ds.extend(load_dataset(Path(p)))
    return ds


def _strings(path: Path, no: int, obj: dict[str, Any], key: str) -> list[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFormatError(str(path), no, f'"{key}" must be a list of strings')
    return value


def read_jsonl(path: Path) -> Dataset:
    """Read Buddy's JSONL: category records and/or ``{"text", "category"}`` corrections."""
    raw = path.read_bytes()
    ds = Dataset()
    for no, line_bytes in enumerate(raw.splitlines(), start=1):
        try:
            line = line_bytes.decode("utf-8-sig" if no == 1 else "utf-8")
        except UnicodeDecodeError:
            raise DataFormatError(str(path), no, "is not valid UTF-8; save as UTF-8") from None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                str(path), no, f"is not a complete JSON object ({exc.msg}, column {exc.colno})"
            ) from None
        if not isinstance(obj, dict):
            raise DataFormatError(str(path), no, "must be a JSON object")
        category = obj.get("category")
        if not isinstance(category, str) or not category.strip():
            raise DataFormatError(str(path), no, 'empty or missing "category"')
        category = category.strip()
        if "utterances" in obj:
            for text in _strings(path, no, obj, "utterances"):
                if normalize(text):
                    ds.examples.append(Example(normalize(text), category, f"{path.name}:{no}"))
            answers = ds.answers.setdefault(category, [])
            answers.extend(
                a.strip() for a in _strings(path, no, obj, "answers")
                if a.strip() and a.strip() not in answers
            )
        elif "text" in obj:
            text = obj["text"]
            if not isinstance(text, str) or not normalize(text):
                raise DataFormatError(str(path), no, '"text" must be a non-empty string')
            ds.examples.append(Example(normalize(text), category, f"{path.name}:{no}"))
        else:
            raise DataFormatError(
                str(path), no, 'needs "utterances" (a category record) or "text" (a correction)'
            )
    return ds


@dataclass(frozen=True)
class DedupReport:
    """What :func:`deduplicate` dropped and which texts carry conflicting categories."""

    dropped: int
    conflicts: dict[str, list[str]]


def deduplicate(ds: Dataset) -> tuple[Dataset, DedupReport]:
    """Drop repeated (text, category) pairs; report texts labelled with several categories.

    Conflicts are kept, not resolved: a correction file exists precisely to relabel text,
    and the caller (training) decides whether the later label should win.
    """
    out = ds.deduplicated()
    cats: dict[str, list[str]] = {}
    for e in out.examples:
        seen = cats.setdefault(e.text, [])
        if e.category not in seen:
            seen.append(e.category)
    conflicts = {t: c for t, c in cats.items() if len(c) > 1}
    return out, DedupReport(len(ds.examples) - len(out.examples), conflicts)


def data_hash(paths: Iterable[Path]) -> str:
    """sha256 over the bytes (and relative names) of every data file: a cache key.

    Names count because renaming a folder's files changes the read order and therefore,
    in principle, the model.
    """
    h = hashlib.sha256()
    for p in paths:
        p = Path(p)
        for f in data_files(p) if p.exists() else []:
            h.update(f.name.encode("utf-8") + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()
