"""Plain records for training data, shared by the core (first-use training) and `training/`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Example:
    """One user utterance with its category. ``source`` says where it came from (file:line)."""

    text: str
    category: str
    source: str = ""


@dataclass
class Dataset:
    """Utterances plus the answers written for each category.

    ``answers`` maps a category to its replies; some categories may have none (the
    AI Hub file has four such), in which case the answer book falls back to the parent.
    """

    examples: list[Example] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        """Sorted categories that have at least one utterance."""
        return sorted({e.category for e in self.examples})

    def extend(self, other: Dataset) -> None:
        """Merge another dataset in place (answers are appended, duplicates dropped)."""
        self.examples.extend(other.examples)
        for cat, answers in other.answers.items():
            mine = self.answers.setdefault(cat, [])
            mine.extend(a for a in answers if a not in mine)

    def deduplicated(self) -> Dataset:
        """A copy without repeated (text, category) pairs, first occurrence kept."""
        seen: set[tuple[str, str]] = set()
        kept: list[Example] = []
        for e in self.examples:
            key = (e.text, e.category)
            if key not in seen:
                seen.add(key)
                kept.append(e)
        return Dataset(kept, {k: list(v) for k, v in self.answers.items()})

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Dataset:
        """Build from ``(text, category)`` pairs, mainly for tests."""
        return cls([Example(t, c) for t, c in pairs])
