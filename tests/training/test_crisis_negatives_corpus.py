"""The hard-negative crisis corpus keeps its format and its promises.

Why: data/crisis/corpus/negatives.tsv feeds the crisis detector; a stray tab, an unknown
level, a positive level slipped in, or a generated block grown past the project's ~40% limit
would silently degrade training. These checks read the real file and rerun the real script.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "crisis" / "corpus" / "negatives.tsv"
SCRIPT = ROOT / "scripts" / "crisis_corpus" / "gen_negatives.py"
REGISTERS = {
    "plain", "polite", "youth_slang", "sns", "no_spacing", "typo", "profanity",
    "english_mix", "emoji", "metaphor", "euphemism", "indirect",
}
MARK = "# ---- generated"


def _rows(text: str) -> tuple[list[list[str]], list[list[str]]]:
    """Split the file into (hand rows, generated rows), each row [level, register, text]."""
    hand: list[list[str]] = []
    gen: list[list[str]] = []
    target = hand
    for line in text.split("\n"):
        if line.startswith(MARK):
            target = gen
        if not line or line.startswith("#"):
            continue
        target.append(line.split("\t"))
    return hand, gen


def test_every_line_is_level_register_text_with_negative_levels_only() -> None:
    hand, gen = _rows(CORPUS.read_text(encoding="utf-8"))
    rows = hand + gen
    assert len(rows) >= 6000
    for row in rows:
        assert len(row) == 3, row
        level, register, text = row
        assert level in {"none", "distress"}, row
        assert register in REGISTERS, row
        assert text == text.strip() and text, row
        assert len(text) <= 220, row
    texts = [row[2] for row in rows]
    dupes = [t for t, n in Counter(texts).items() if n > 1]
    assert not dupes, dupes[:5]


def test_generated_share_stays_under_forty_percent_and_header_counts_match() -> None:
    raw = CORPUS.read_text(encoding="utf-8")
    hand, gen = _rows(raw)
    assert len(gen) / (len(hand) + len(gen)) <= 0.40
    levels = Counter(row[0] for row in hand + gen)
    header = "\n".join(line for line in raw.split("\n") if line.startswith("#"))
    assert f"Total {len(hand) + len(gen)};" in header
    for level, count in levels.items():
        assert f"{level} {count}" in header
    assert levels["distress"] >= 1000


def test_generator_is_deterministic_and_keeps_hand_lines(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    (work / "data" / "crisis" / "corpus").mkdir(parents=True)
    copy = work / "data" / "crisis" / "corpus" / "negatives.tsv"
    shutil.copy(CORPUS, copy)
    before = copy.read_text(encoding="utf-8")
    subprocess.run([sys.executable, str(SCRIPT)], cwd=work, check=True, capture_output=True)
    after = copy.read_text(encoding="utf-8")
    assert after == before, "committed corpus is stale: run scripts/crisis_corpus/gen_negatives.py"
    hand_before, _ = _rows(before)
    hand_after, _ = _rows(after)
    assert hand_after == hand_before
