"""Shared by the fault tests: one tiny trained model folder, and the Bot API stand-in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.dataset.records import Dataset
from training.linear import train_linear

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "bot"))  # telegram_stub lives with the bot tests


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-category linear model folder (trained once for the whole fault suite)."""
    folder = tmp_path_factory.mktemp("model")
    pairs = [(t, "증상/불면") for t in ("잠이 안 와요", "밤새 잠을 못 잤어요", "불면증이 심해요")]
    pairs += [(t, "감정/외로움") for t in ("너무 외로워요", "혼자인 것 같아요", "친구가 없어요")]
    # Character n-grams only, no calibration: trains in a blink without loading Kiwi.
    train_linear(Dataset.from_pairs(pairs), folder, morph=False, calibration_folds=0)
    return folder
