"""KoBERT fine-tuning: data, model, loop, checkpoints and the model-folder writer.

:func:`run_training` is the one entry point ``buddy train --backend kobert`` calls;
``python -m training.kobert`` (and ``accelerate launch -m training.kobert`` on several
GPUs) runs the same from the command line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.dataset.records import Dataset
from training.kobert.args import KoBertArgs

__all__ = ["KoBertArgs", "run_training"]

log = logging.getLogger(__name__)


def run_training(
    dataset: Dataset,
    out: Path,
    args: KoBertArgs | None = None,
    data_hash: str = "",
    data_summary: dict[str, Any] | None = None,
    keep_checkpoints: bool = False,
) -> Path:
    """Hold out ``args.val_size`` for early stopping, fine-tune, write the model folder.

    ``dataset`` is the training part only: the caller keeps its test part away from here.
    """
    from training.kobert.save import save_model_folder
    from training.kobert.train_loop import train_kobert
    from training.split import stratified_split

    args = args or KoBertArgs()
    if args.val_size > 0:
        split = stratified_split(dataset, test_size=args.val_size, seed=args.seed)
        train, val = split.train, split.test
    else:
        train, val = dataset, None
    summary = {"n_train": len(train.examples), "n_val": len(val.examples) if val else 0}
    summary.update(data_summary or {})
    result = train_kobert(train, val, args, Path(out), keep_checkpoints=keep_checkpoints)
    if result.is_main_process:
        save_model_folder(result, Path(out), args, dataset.answers, data_hash, summary)
    return Path(out)
