"""Training the embedded default model into the cache on first run (see
:mod:`core.classify.embedded` for where it lives and why).

Called by the entry points before the core starts, so ``core`` never imports ``training``.

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

from core.classify.embedded import default_model_dir, usable
from core.dataset.formats import data_hash, load_dataset
from core.errors import ModelError
from core.resources import require_dataset
from training import linear

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (a no-op without fcntl)."""
    try:
        import fcntl  # POSIX only: absent on Windows, where the rename race is tolerated
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_default_model(data_dir: Path, cache_dir: Path) -> Path:
    """Return a folder holding the embedded default model, training it if needed.

    Raises :class:`~core.errors.MissingResourceError` when the dataset folder is missing,
    :class:`~core.errors.DataFormatError` when it is broken and :class:`ModelError` when the
    cache folder cannot be written.
    """
    data_dir, cache_dir = require_dataset(Path(data_dir)), Path(cache_dir)
    target = default_model_dir(data_dir, cache_dir)
    if target.is_dir() and usable(target):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the model cache {cache_dir} ({exc}); "
                         "set BUDDY_VAR_DIR to a writable folder (the cache is its models/).") from exc
    with _exclusive(cache_dir / f"{target.name}.lock"):
        if target.is_dir() and usable(target):  # another process trained it meanwhile
            return target
        log.info("training the embedded default model… (first run only)")
        started = time.perf_counter()
        digest = data_hash([data_dir])
        dataset = load_dataset(data_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
        try:
            linear.train_linear(dataset, tmp, data_hash=digest)
            if target.exists():
                shutil.rmtree(target)  # damaged leftovers
            try:
                tmp.rename(target)
            except OSError:
                if not usable(target):  # lost a race to a lock-less process: fine if it won
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("embedded default model ready in %.1f s: %s",
                 time.perf_counter() - started, target)
    return target
