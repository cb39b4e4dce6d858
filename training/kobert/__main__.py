"""``python -m training.kobert`` — the KoBERT trainer without the rest of the CLI.

Its reason to exist is several GPUs: ``accelerate launch -m training.kobert --data D
--out O`` (or ``torchrun --nproc-per-node N -m training.kobert ...``) starts one process per
GPU, each running this module. Options mirror :class:`KoBertArgs`; ``--config FILE`` reads
them from JSON first.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import fields
from pathlib import Path

from training.kobert.args import KoBertArgs


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.kobert", description=__doc__)
    p.add_argument("--data", required=True, type=Path, help="training data file or folder")
    p.add_argument("--out", required=True, type=Path, help="model folder to write")
    p.add_argument("--config", type=Path, help="JSON file of training arguments")
    p.add_argument("--test-size", type=float, default=0.2, help="share held out for testing")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep OUT/checkpoints")
    for f in fields(KoBertArgs):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                           help=f.metadata.get("help"))
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            p.add_argument(flag, type=kind, default=None, help=f.metadata.get("help"))
    return p


def main(argv: list[str] | None = None) -> None:
    from core.dataset.formats import data_files, data_hash, load_dataset
    from training.kobert import run_training
    from training.split import stratified_split

    ns = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    overrides = {f.name: getattr(ns, f.name) for f in fields(KoBertArgs)}
    if ns.config:
        args = KoBertArgs.from_json(ns.config, **overrides)
    else:
        args = KoBertArgs(**{k: v for k, v in overrides.items() if v is not None})
    dataset = load_dataset(ns.data).deduplicated()
    split = stratified_split(dataset, test_size=ns.test_size, seed=args.seed)
    summary = {
        "sources": [p.name for p in data_files(ns.data)],
        "n_test": len(split.test.examples),
        "split": f"stratified, test {ns.test_size}, seed {args.seed}",
    }
    run_training(split.train, ns.out, args, data_hash([ns.data]), summary, ns.keep_checkpoints)


if __name__ == "__main__":
    main()
