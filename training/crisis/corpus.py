"""The labelled texts the learned crisis model trains from — all written by the project.

Sources, in ``data/``:
- ``crisis/corpus/*.tsv``: ``LEVEL<TAB>REGISTER<TAB>TEXT``, the corpus written for the risk
  levels (see ``data/crisis/README.md``);
- ``crisis/*positives.txt`` / ``*negatives.txt``: the earlier labelled sets (crisis or not,
  no level), every one of them already measured once;
- ``dataset/*.jsonl``: the counselling dataset (crisis categories positive, others negative).

Never read: ``crisis/sealed/`` (sealed measuring sets) and the AI Hub wellness CSV.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from core.safety.levels import CRISIS_LEVELS, LEVELS

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "data"
POSITIVE_CATEGORIES = frozenset({"감정/자살충동", "증상/자살시도", "증상/자해"})
FOLDS = 5


@dataclass
class Example:
    text: str
    label: int  # 1 = crisis (passive or above)
    level: str | None  # a name from LEVELS, None where the source has no level
    source: str
    fold: int


def _lines(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8-sig")
    return [s for line in raw.splitlines() if (s := line.strip()) and not s.startswith("#")]


def read_tsv(path: Path) -> list[tuple[str, str, str]]:
    """``(level, register, text)`` rows of a corpus file; malformed rows are reported."""
    rows = []
    for n, line in enumerate(_lines(path), 1):
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].strip() not in LEVELS:
            raise ValueError(f"{path}:{n}: expected LEVEL<TAB>REGISTER<TAB>TEXT, got {line!r}")
        rows.append((parts[0].strip(), parts[1].strip(), "\t".join(parts[2:]).strip()))
    return rows


def _fold(text: str) -> int:
    return zlib.crc32(text.encode("utf-8")) % FOLDS


def load(data: Path = DATA) -> list[Example]:
    """Every training example, duplicates removed (first label kept).

    Folds: corpus rows by a hash of the text; each earlier labelled file whole into one fold
    (so cross-validation also measures generalisation to a set written at another time).
    """
    out: list[Example] = []
    for path in sorted((data / "crisis" / "corpus").glob("*.tsv")):
        for level, _register, text in read_tsv(path):
            out.append(Example(text, int(level in CRISIS_LEVELS), level, path.name, _fold(text)))
    for path in sorted((data / "crisis").glob("*.txt")):
        label = 1 if path.stem.endswith("positives") else 0
        if not path.stem.endswith(("positives", "negatives")):
            continue
        fold = zlib.crc32(path.stem.rsplit("_", 1)[0].encode()) % FOLDS
        for text in _lines(path):
            out.append(Example(text, label, None if label else "none", path.name, fold))
    for path in sorted((data / "dataset").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                label = int(record["category"] in POSITIVE_CATEGORIES)
                for text in record["utterances"]:
                    out.append(Example(text, label, None, path.name, _fold(text)))
    seen: set[str] = set()
    return [e for e in out if not (e.text in seen or seen.add(e.text))]


def read_sealed(path: Path) -> list[tuple[str, str, str]]:
    """A sealed set for measuring only (same format as the corpus)."""
    return read_tsv(path)


def read_plain(path: Path) -> list[str]:
    """A one-message-per-line file (``#`` comments), e.g. the everyday false-alarm set."""
    return _lines(path)
