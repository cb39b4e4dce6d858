"""Choosing a reply written for a category.

Categories are paths (``감정/걱정/자녀``); a category without answers of its own borrows
its parent's (``감정/걱정``).
"""

from __future__ import annotations

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
    """Answers per category, with parent fallback. Holds no per-user state: which answer a
    user gets (never the same twice in a conversation) is the dialogue's choice
    (:func:`core.dialogue.respond.answer` over :meth:`candidates`)."""

    def __init__(self, answers: Mapping[str, list[str]], seed: int | None = None) -> None:
        # ``seed`` is accepted for callers written when the book chose answers itself.
        self._answers = {k: [a for a in v if a.strip()] for k, v in answers.items() if v}

    def __contains__(self, category: str) -> bool:
        return any(p in self._answers for p in parents(category))

    def candidates(self, category: str) -> list[str]:
        """Answers for the category or its nearest ancestor that has some."""
        for p in parents(category):
            if p in self._answers:
                return self._answers[p]
        return list(GENERIC_ANSWERS)
