"""The embedded default model: trained from ``data/dataset/`` on first use, then cached.

Buddy ships its own dataset instead of weights, so a fresh clone answers without any
download: the first start trains the linear model (seconds) into
``cache_dir/default-<hash12>``, keyed by the dataset's bytes, and every later start loads
it. Editing the dataset changes the hash, so a stale model is never served.

Concurrency: two processes (say ``buddy serve`` and ``buddy ask``) may start together.
Training happens in a private temporary folder that is renamed into place at the end; an
exclusive ``fcntl`` lock on ``default-<hash12>.lock`` makes the second process wait and
then reuse the first one's result instead of training twice. Where ``fcntl`` does not
exist (Windows) the rename race is tolerated: the loser discards its copy.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from core.classify.model_folder import read_manifest
from core.dataset.formats import data_hash, load_dataset
from core.errors import ModelError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (a no-op without fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _usable(folder: Path) -> bool:
    """True when ``folder`` holds a complete, loadable model (a damaged one is retrained)."""
    if not folder.is_dir():
        return False
    try:
        from core.classify.loader import load_model

        read_manifest(folder)
        load_model(folder)
    except ModelError as exc:
        log.warning("cached default model %s is unusable (%s); retraining", folder, exc)
        return False
    return True


def default_model_dir(data_dir: Path, cache_dir: Path) -> Path:
    """Where the model for the current dataset lives (whether or not it exists yet)."""
    return Path(cache_dir) / f"default-{data_hash([Path(data_dir)])[:12]}"


def ensure_default_model(data_dir: Path, cache_dir: Path) -> Path:
    """Return a folder holding the embedded default model, training it if needed.

    Raises :class:`~core.errors.DataFormatError` when the dataset is broken and
    :class:`ModelError` when the cache folder cannot be written.
    """
    from core.classify.linear import train_linear

    data_dir, cache_dir = Path(data_dir), Path(cache_dir)
    target = default_model_dir(data_dir, cache_dir)
    if target.is_dir() and _usable(target):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the model cache {cache_dir} ({exc}); "
                         "set BUDDY_CACHE_DIR to a writable folder.") from exc
    with _exclusive(cache_dir / f"{target.name}.lock"):
        if target.is_dir() and _usable(target):  # another process trained it meanwhile
            return target
        log.info("training the embedded default model… (first run only)")
        started = time.perf_counter()
        digest = data_hash([data_dir])
        dataset = load_dataset(data_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
        try:
            train_linear(dataset, tmp, data_hash=digest)
            if target.exists():
                shutil.rmtree(target)  # damaged leftovers
            try:
                tmp.rename(target)
            except OSError:
                if not _usable(target):  # lost a race to a lock-less process: fine if it won
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("embedded default model ready in %.1f s: %s",
                 time.perf_counter() - started, target)
    return target
