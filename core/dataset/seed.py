"""Readers for the text files of the original buddy_KoBERT project (the seed).

The seed split the wellness workbook into four plain-text files, one record a line, two
fields separated by a tab or by the four spaces the seed's own scripts wrote:

==========================================  ==========================  =================
file name contains                          fields                      kind
==========================================  ==========================  =================
``category`` (``wellness_dialog_category``)  category, label index       ``category``
``answer``                                  category, bot answer        ``answer``
``question``                                category, user utterance    ``question``
``classification`` (or any other name)      user utterance, label index ``classification``
==========================================  ==========================  =================

The kind is decided by the file name, because a question file and an answer file look
alike line by line. A classification file needs the category file beside it (same folder)
to turn indexes back into names.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.dataset.records import Dataset, Example
from core.dataset.tabular import decode_text
from core.errors import DataFormatError
from core.text import normalize

SEED_SUFFIXES = (".txt", ".tsv")
_FOUR_SPACES = re.compile(r" {4,}")


def seed_kind(path: Path) -> str:
    """Which seed file this is, from its name (see the module docstring)."""
    name = path.name.lower()
    for kind in ("category", "answer", "question", "classification"):
        if kind in name:
            return kind
    return "classification"


def _split(path: Path, line_no: int, line: str, from_right: bool) -> tuple[str, str]:
    """Split a line into two fields on a tab, else on a run of four spaces."""
    if "\t" in line:
        parts = line.rsplit("\t", 1) if from_right else line.split("\t", 1)
    else:
        found = list(_FOUR_SPACES.finditer(line))
        if not found:
            raise DataFormatError(
                str(path), line_no, "expected two fields separated by a tab (or four spaces)"
            )
        m = found[-1] if from_right else found[0]
        parts = [line[: m.start()], line[m.end() :]]
    return parts[0].strip(), parts[1].strip()


def _lines(path: Path) -> list[tuple[int, str]]:
    text = decode_text(path, path.read_bytes())
    return [(i, ln) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]


def read_category_index(path: Path) -> dict[int, str]:
    """``category⇥index`` lines → ``{index: category}``."""
    out: dict[int, str] = {}
    for no, line in _lines(path):
        cat, idx = _split(path, no, line, from_right=True)
        if not cat:
            raise DataFormatError(str(path), no, "empty category")
        try:
            out[int(idx)] = cat
        except ValueError:
            raise DataFormatError(str(path), no, f"label index {idx!r} is not a number") from None
    return out


def _category_file_beside(path: Path) -> Path:
    candidates = sorted(p for p in path.parent.iterdir() if seed_kind(p) == "category")
    if not candidates:
        raise DataFormatError(
            str(path), None,
            "holds label indexes but no category file (e.g. wellness_dialog_category.txt) "
            "is in the same folder to name them",
        )
    return candidates[0]


def read_seed_file(path: Path) -> Dataset:
    """Read one seed file; a category index file alone contributes no examples."""
    kind = seed_kind(path)
    ds = Dataset()
    if kind == "category":
        return ds
    index = read_category_index(_category_file_beside(path)) if kind == "classification" else {}
    for no, line in _lines(path):
        if kind == "classification":
            text, idx = _split(path, no, line, from_right=True)
            try:
                category = index[int(idx)]
            except (ValueError, KeyError):
                raise DataFormatError(
                    str(path), no, f"label index {idx!r} is not in the category file"
                ) from None
        else:
            category, text = _split(path, no, line, from_right=False)
        if not category:
            raise DataFormatError(str(path), no, "empty category")
        if kind == "answer":
            answers = ds.answers.setdefault(category, [])
            if text and text not in answers:
                answers.append(text)
        elif normalize(text):
            ds.examples.append(Example(normalize(text), category, f"{path.name}:{no}"))
    return ds


def read_seed_folder(files: list[Path]) -> Dataset:
    """Read a folder's seed files together.

    Questions win over a classification file holding the same utterances (the seed derived
    one from the other), so a folder holding both is not counted twice.
    """
    ds = Dataset()
    kinds = {p: seed_kind(p) for p in files}
    has_questions = "question" in kinds.values()
    for path in files:
        if kinds[path] == "classification" and has_questions:
            continue
        ds.extend(read_seed_file(path))
    return ds
