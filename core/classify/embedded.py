"""Where the embedded default model lives, and finding it there: the core only loads it.

Buddy ships its own dataset instead of weights, so a fresh clone answers without any
download: the first start trains the linear model (seconds) into
``cache_dir/default-<hash12>``, keyed by the dataset's bytes, and every later start loads
it. Editing the dataset changes the hash, so a stale model is never served.

Training it is :func:`training.default_model.ensure_default_model`'s job, called by the
entry points (``buddy serve``, ``buddy chat``, ``buddy ask``, the benchmarks) before the
core starts; ``core`` never imports ``training``. The folder appears by an atomic rename,
so a reader here never sees half a model.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.classify.loader import load_model
from core.dataset.formats import data_hash
from core.errors import ModelError
from core.resources import require_dataset

log = logging.getLogger(__name__)


def default_model_dir(data_dir: Path, cache_dir: Path) -> Path:
    """Where the model for the current dataset lives (whether or not it exists yet)."""
    return Path(cache_dir) / f"default-{data_hash([Path(data_dir)])[:12]}"


def usable(folder: Path) -> bool:
    """True when ``folder`` holds a complete, loadable model (a damaged one is retrained)."""
    if not folder.is_dir():
        return False
    try:
        load_model(folder)
    except ModelError as exc:
        log.warning("cached default model %s is unusable (%s); retraining", folder, exc)
        return False
    return True


def trained_default_model(data_dir: Path, cache_dir: Path) -> Path:
    """The embedded default model's folder; :class:`ModelError` with the fix when it has
    not been trained for this dataset yet, :class:`~core.errors.MissingResourceError` when
    the dataset itself is missing."""
    folder = default_model_dir(require_dataset(Path(data_dir)), cache_dir)
    if not folder.is_dir():
        raise ModelError(
            f"the embedded default model for the dataset in {data_dir} is not trained yet "
            f"(expected {folder}). Start Buddy with `buddy serve`, `buddy chat` or `buddy ask`, "
            "which train it on first run, or set BUDDY_MODEL to a folder from `buddy train`."
        )
    return folder
