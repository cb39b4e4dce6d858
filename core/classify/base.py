"""The classifier port: texts in, categories with confidences out.

Every backend (the embedded linear default, KoBERT, test fakes) implements
:class:`Classifier`. The pipeline only ever sees this protocol, so a backend can be
swapped by pointing ``BUDDY_MODEL`` at another model folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Prediction:
    """One utterance's classification.

    ``top_k`` lists ``(category, probability)`` pairs, best first; ``category`` and
    ``confidence`` repeat its first entry for convenience.
    """

    category: str
    confidence: float
    top_k: tuple[tuple[str, float], ...] = field(default_factory=tuple)


@runtime_checkable
class Classifier(Protocol):
    """A trained model that puts Korean utterances into wellness categories."""

    @property
    def model_id(self) -> str:
        """A short, stable identifier written into the conversation log (backend + hash)."""
        ...

    @property
    def labels(self) -> Sequence[str]:
        """Every category the model can predict, sorted."""
        ...

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        """Classify a batch of normalised texts. CPU-bound: call it off the event loop."""
        ...

    def morph_inputs(self, text: str) -> Sequence[str]:
        """The texts :meth:`predict` hands Kiwi for ``text`` (none when it uses no Kiwi):
        the pipeline analyses them off the loop in one batch with the crisis check's."""
        ...

    def predicts_inline(self, texts: Sequence[str]) -> bool:
        """True when predicting ``texts`` is only a little numpy work (their Kiwi input is
        analysed already): cheap enough to run on the event loop instead of a worker."""
        ...


class ClassifierBase:
    """The optional capabilities' defaults: no Kiwi input to share, never run inline.

    Backends inherit it and override what they can do better.
    """

    def morph_inputs(self, text: str) -> Sequence[str]:
        return []

    def predicts_inline(self, texts: Sequence[str]) -> bool:
        return False


class FixedClassifier(ClassifierBase):
    """A classifier that answers from a lookup table: for tests and demos, never for users.

    Texts not in the table get ``default`` with the given confidence.
    """

    def __init__(
        self,
        table: dict[str, str],
        default: str = "일반대화",
        confidence: float = 0.9,
        default_confidence: float | None = None,
    ) -> None:
        self._table = dict(table)
        self._default = default
        self._confidence = confidence
        self._default_confidence = confidence if default_confidence is None else default_confidence
        self._labels = sorted({*self._table.values(), default})

    @property
    def model_id(self) -> str:
        return "fixed"

    @property
    def labels(self) -> Sequence[str]:
        return self._labels

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        out = []
        for text in texts:
            if text in self._table:
                cat, conf = self._table[text], self._confidence
            else:
                cat, conf = self._default, self._default_confidence
            out.append(Prediction(cat, conf, ((cat, conf),)))
        return out
