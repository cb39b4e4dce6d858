"""Tokenised datasets, batch padding and class-imbalance helpers for KoBERT training.

Utterances are tokenised once, unpadded; each batch is padded only to its own longest
utterance, which on the short wellness utterances roughly halves the work of padding to
``max_length``. The wellness data is very imbalanced (5 to 256 utterances per category),
so training either weights the loss or samples rare categories more often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import WeightedRandomSampler

from core.dataset.records import Dataset


class EncodedDataset(TorchDataset):
    """Token ids and label ids of a :class:`Dataset`, ready for a ``DataLoader``."""

    def __init__(self, dataset: Dataset, tokenizer: Any, labels: Sequence[str], max_length: int):
        index = {label: i for i, label in enumerate(labels)}
        unknown = sorted({e.category for e in dataset.examples} - set(index))
        if unknown:
            raise ValueError(f"categories missing from the label list: {unknown[:5]}")
        texts = [e.text for e in dataset.examples]
        encoded = tokenizer(texts, truncation=True, max_length=max_length) if texts else {}
        self.input_ids: list[list[int]] = list(encoded.get("input_ids", []))
        self.label_ids: list[int] = [index[e.category] for e in dataset.examples]

    def __len__(self) -> int:
        return len(self.label_ids)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.input_ids[i], self.label_ids[i]


class PadCollator:
    """Pad a batch to its longest sequence (a class, not a lambda, so workers can copy it)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[tuple[list[int], int]]) -> dict[str, torch.Tensor]:
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[row, : len(ids)] = 1
        labels = torch.tensor([label for _, label in batch], dtype=torch.long)
        return {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": torch.zeros_like(input_ids),
            "labels": labels,
        }


def class_weights(label_ids: Sequence[int], n_labels: int, power: float = 0.5) -> torch.Tensor:
    """Loss weights ``(mean count / count) ** power``: rare categories count more.

    ``power`` 0.5 (square-root inverse frequency) lifts rare categories without letting a
    five-utterance category dominate; a category absent from training gets weight 1.
    """
    counts = Counter(label_ids)
    present = [counts[i] for i in range(n_labels) if counts[i]]
    mean = sum(present) / max(1, len(present))
    weights = [((mean / counts[i]) ** power) if counts[i] else 1.0 for i in range(n_labels)]
    return torch.tensor(weights, dtype=torch.float)


def balanced_sampler(label_ids: Sequence[int], seed: int, power: float = 0.5) -> WeightedRandomSampler:
    """Draw utterances with probability ``count ** -power`` of their category, seeded."""
    counts = Counter(label_ids)
    weights = [counts[label] ** -power for label in label_ids]
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(weights, num_samples=len(weights), replacement=True, generator=generator)
