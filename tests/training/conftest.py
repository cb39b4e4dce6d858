"""Fixtures for the training tests; the builders live in ``tests/kobert_fixtures.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from kobert_fixtures import build_base, tiny_dataset

from core.dataset.records import Dataset


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KoBERT-style base folder with a 2-layer, 64-wide random BERT."""
    pytest.importorskip("torch")
    return build_base(tmp_path_factory.mktemp("kobert-base"))


@pytest.fixture()
def tiny_data() -> Dataset:
    """Four clearly separable categories, eight utterances each, with answers."""
    return tiny_dataset()
