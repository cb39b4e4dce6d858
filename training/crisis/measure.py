"""Measure the crisis check on sealed sets (per risk level) and on the everyday set.

Sealed sets (``data/crisis/sealed/NAME_positives.tsv`` / ``NAME_negatives.tsv``) were written
by someone who had seen neither the rules nor the training corpus; each file's header keeps
its first measurement. The everyday set (``data/crisis/sealed/everyday_eval.txt``) is chat
about food, shopping, travel, rest, work, love and games: every line it flags is a false
alarm a user would find absurd, so all of them are listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.safety.levels import CRISIS_LEVELS, LEVELS
from training.crisis.corpus import read_plain, read_tsv

SEALED = Path(__file__).resolve().parents[2] / "data" / "crisis" / "sealed"
# The families the goal names: wish (passive + ideation), method / self-harm, and
# intent / plan / act (plan + imminent).
FAMILIES = {"wish": ("passive", "ideation"), "method": ("method",),
            "plan_act": ("plan", "imminent")}


@dataclass
class SetResult:
    name: str
    by_level: dict[str, tuple[int, int]]  # level -> (caught, total)
    negatives: int = 0
    flagged: list[str] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)

    def recall(self, levels: tuple[str, ...] | None = None) -> float:
        rows = [v for k, v in self.by_level.items() if levels is None or k in levels]
        total = sum(t for _, t in rows)
        return sum(c for c, _ in rows) / total if total else 0.0

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        if self.by_level:
            out["recall"] = round(self.recall(), 4)
            out["positives"] = sum(t for _, t in self.by_level.values())
            for fam, levels in FAMILIES.items():
                out[f"recall_{fam}"] = round(self.recall(levels), 4)
            out["by_level"] = {k: {"caught": c, "total": t, "recall": round(c / t, 4)}
                               for k, (c, t) in sorted(self.by_level.items(),
                                                       key=lambda kv: LEVELS.index(kv[0]))}
        out["negatives"] = self.negatives
        out["false_alarms"] = len(self.flagged)
        out["false_alarm_rate"] = round(len(self.flagged) / self.negatives, 4) \
            if self.negatives else 0.0
        return out


def measure_sealed(name: str, folder: Path, is_crisis: Callable[[str], bool]) -> SetResult:
    """Recall per level on ``NAME_positives.tsv`` and false alarms on ``NAME_negatives.tsv``."""
    counts: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    result = SetResult(name, {})
    for level, _register, text in read_tsv(folder / f"{name}_positives.tsv"):
        if level not in CRISIS_LEVELS:
            continue
        counts[level] += 1
        if is_crisis(text):
            caught[level] += 1
        else:
            result.missed.append((level, text))
    result.by_level = {k: (caught[k], counts[k]) for k in counts}
    neg = folder / f"{name}_negatives.tsv"
    if neg.is_file():
        for _level, _register, text in read_tsv(neg):
            result.negatives += 1
            if is_crisis(text):
                result.flagged.append(text)
    return result


def measure_everyday(path: Path, is_crisis: Callable[[str], bool]) -> SetResult:
    """False alarms on a one-message-per-line everyday set; every one is kept for listing."""
    result = SetResult(path.stem, {})
    for text in read_plain(path):
        result.negatives += 1
        if is_crisis(text):
            result.flagged.append(text)
    return result


def sealed_names(folder: Path = SEALED) -> list[str]:
    return sorted(p.name.removesuffix("_positives.tsv")
                  for p in folder.glob("*_positives.tsv"))
