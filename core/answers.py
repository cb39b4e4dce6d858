"""Choosing a reply written for a category.

Categories are paths (``감정/걱정/자녀``); a category without answers of its own borrows
its parent's (``감정/걱정``). The same user never gets the same answer twice in a row.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

GENERIC_ANSWERS = (
    "말씀해 주셔서 고마워요. 그 마음에 대해 조금 더 이야기해 주실 수 있을까요?",
    "그런 일이 있었군요. 지금 가장 크게 느껴지는 마음은 어떤 건가요?",
    "천천히 이야기해도 괜찮아요. 저는 여기서 듣고 있을게요.",
)


def parents(category: str) -> list[str]:
    """The category and its ancestors, most specific first: a/b/c → [a/b/c, a/b, a]."""
    parts = category.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


class AnswerBook:
    """Answers per category, with parent fallback and no immediate repeats per user."""

    def __init__(self, answers: Mapping[str, list[str]], seed: int | None = None) -> None:
        self._answers = {k: [a for a in v if a.strip()] for k, v in answers.items() if v}
        self._last: dict[str, str] = {}
        self._rng = random.Random(seed)

    def __contains__(self, category: str) -> bool:
        return any(p in self._answers for p in parents(category))

    def candidates(self, category: str) -> list[str]:
        """Answers for the category or its nearest ancestor that has some."""
        for p in parents(category):
            if p in self._answers:
                return self._answers[p]
        return list(GENERIC_ANSWERS)

    def choose(self, category: str, user_key: str = "") -> str:
        """Pick an answer, avoiding the one this user received last time."""
        pool = self.candidates(category)
        last = self._last.get(user_key)
        fresh = [a for a in pool if a != last] or pool
        answer = self._rng.choice(fresh)
        if user_key:
            self._last[user_key] = answer
            if len(self._last) > 100_000:  # bounded memory on long-running servers
                self._last.pop(next(iter(self._last)))
        return answer

    def remember(self, user_key: str, answer: str) -> None:
        """Record an answer given by another path (fallback, safety) for the no-repeat rule."""
        self._last[user_key] = answer

    def forget(self, user_key: str) -> None:
        self._last.pop(user_key, None)
