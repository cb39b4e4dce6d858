"""The KoBERT fine-tuning loop, on one CPU, one GPU or several through ``accelerate``.

One process: ``buddy train --backend kobert ...``. Several GPUs: the same run under
``accelerate launch -m training.kobert ...`` (or ``torchrun -m``); ``accelerate`` shards
the batches, averages the gradients and gathers validation predictions, so this loop has no
distributed code of its own.

AdamW (no decay on biases and LayerNorm), linear warm-up then decay, gradient
accumulation, mixed precision on CUDA, early stopping on validation macro-F1, a checkpoint
after every epoch (see :mod:`training.kobert.checkpoint`), and a tqdm bar with ETA, loss,
learning rate and the last validation F1.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from core.dataset.records import Dataset
from training.kobert.args import KoBertArgs
from training.kobert.checkpoint import (
    BEST,
    TrainerState,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
)
from training.kobert.data import EncodedDataset, PadCollator, balanced_sampler, class_weights
from training.kobert.model import build_model

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"


@dataclass
class TrainResult:
    """What a finished run hands to :mod:`training.kobert.save`."""

    model: Any
    tokenizer: Any
    labels: list[str]
    state: TrainerState
    stopped_early: bool
    is_main_process: bool = True
    accelerator: Any = None

    def wait_for_everyone(self) -> None:
        """Let other GPUs' processes wait until the main one has written the folder."""
        if self.accelerator is not None:
            self.accelerator.wait_for_everyone()


def _precision(choice: str) -> str:
    if choice != "auto":
        return choice
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "no"


HEAD_PREFIXES = ("classifier.", "bert.pooler.")


def _param_groups(
    model: torch.nn.Module, weight_decay: float, lr: float, head_lr: float = 0.0
) -> list[dict[str, Any]]:
    """AdamW groups: decay or not (biases, LayerNorm), and the head at ``head_lr`` when set.

    Why a head rate: the classification layer starts from random weights while the encoder
    is pre-trained, so the head can move ten times faster without harming the encoder.
    """
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = name.endswith("bias") or "LayerNorm" in name
        is_head = bool(head_lr) and name.startswith(HEAD_PREFIXES)
        groups.setdefault((no_decay, is_head), []).append(param)
    return [
        {"params": params, "weight_decay": 0.0 if no_decay else weight_decay,
         "lr": head_lr if is_head else lr}
        for (no_decay, is_head), params in sorted(groups.items())
    ]


def _out_of_time(budget_min: float, started: float, epochs_run: int) -> bool:
    """True when one more epoch, as long as the mean so far, would pass the budget."""
    if budget_min <= 0 or epochs_run <= 0:
        return False
    elapsed = time.monotonic() - started
    return elapsed + elapsed / epochs_run > budget_min * 60


def _validate(model: Any, loader: DataLoader, accelerator: Any) -> dict[str, float]:
    """Accuracy and macro-F1 (over categories present in validation) on every process."""
    model.eval()
    preds: list[int] = []
    gold: list[int] = []
    with torch.inference_mode():
        for batch in loader:
            labels = batch.pop("labels")
            guess = model(**batch).logits.argmax(dim=-1)
            guess, labels = accelerator.gather_for_metrics((guess, labels))
            preds.extend(guess.tolist())
            gold.extend(labels.tolist())
    model.train()
    if not gold:
        return {"accuracy": 0.0, "macro_f1": 0.0}
    accuracy = sum(p == g for p, g in zip(preds, gold, strict=True)) / len(gold)
    macro = f1_score(gold, preds, labels=sorted(set(gold)), average="macro", zero_division=0)
    return {"accuracy": float(accuracy), "macro_f1": float(macro)}


def fine_tune(
    train: Dataset,
    val: Dataset | None,
    args: KoBertArgs,
    out: Path,
    keep_checkpoints: bool = False,
) -> TrainResult:
    """Fine-tune ``args.base`` on ``train``, stopping early on ``val``'s macro-F1."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import get_linear_schedule_with_warmup

    out = Path(out)
    ckpt_dir = out / CHECKPOINTS
    accelerator = Accelerator(
        mixed_precision=_precision(args.precision), gradient_accumulation_steps=args.grad_accum
    )
    set_seed(args.seed)
    val = val if val is not None and val.examples else None
    labels = sorted(set(train.categories) | set(val.categories if val else []))
    model, tokenizer = build_model(
        args.base, labels, args.freeze_embeddings, args.freeze_layers, args.pooling
    )

    train_data = EncodedDataset(train, tokenizer, labels, args.max_length)
    collate = PadCollator(int(tokenizer.pad_token_id))
    sampler = balanced_sampler(train_data.label_ids, args.seed) if args.balance == "sampler" else None
    train_loader = DataLoader(
        train_data, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler,
        collate_fn=collate,
    )
    val_loader = (
        DataLoader(
            EncodedDataset(val, tokenizer, labels, args.max_length),
            batch_size=args.eval_batch_size, collate_fn=collate,
        )
        if val
        else None
    )
    weight = class_weights(train_data.label_ids, len(labels)) if args.balance == "loss" else None
    optimizer = torch.optim.AdamW(
        _param_groups(model, args.weight_decay, args.lr, args.head_lr), lr=args.lr
    )
    model, optimizer, train_loader = accelerator.prepare(model, optimizer, train_loader)
    if val_loader is not None:
        val_loader = accelerator.prepare(val_loader)

    updates_per_epoch = math.ceil(len(train_loader) / args.grad_accum)
    total = args.epochs * updates_per_epoch
    if args.max_steps:
        total = min(total, args.max_steps)
    n_proc = accelerator.num_processes  # the prepared scheduler steps once per process
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(total * args.warmup_ratio) * n_proc, total * n_proc
    )
    scheduler = accelerator.prepare(scheduler)
    scaler = getattr(accelerator, "scaler", None)
    state = (
        load_checkpoint(ckpt_dir, accelerator.unwrap_model(model), optimizer, scheduler, scaler)
        if args.resume
        else TrainerState()
    )
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=weight.to(accelerator.device) if weight is not None else None
    )
    bar = tqdm(
        total=total, initial=min(state.global_step, total), unit="step", dynamic_ncols=True,
        disable=not (args.progress and accelerator.is_local_main_process),
    )
    stopped_early = False
    started = time.monotonic()
    last_f1 = state.history[-1].get("val_macro_f1") if state.history else None
    first_epoch = state.epochs_done
    try:
        for epoch in range(state.epochs_done, args.epochs):
            if args.max_steps and state.global_step >= args.max_steps:
                break
            epoch_started = time.monotonic()
            set_seed(args.seed + epoch)
            if sampler is not None:
                sampler.generator.manual_seed(args.seed + epoch)
            bar.set_description(f"epoch {epoch + 1}/{args.epochs}")
            model.train()
            losses: list[float] = []
            for batch in train_loader:
                gold = batch.pop("labels")
                with accelerator.accumulate(model):
                    loss = loss_fn(model(**batch).logits.float(), gold)
                    accelerator.backward(loss)
                    if accelerator.sync_gradients:
                        accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad()
                losses.append(loss.item())
                if accelerator.sync_gradients:
                    state.global_step += 1
                    bar.update(1)
                    postfix = {"loss": f"{sum(losses[-20:]) / len(losses[-20:]):.3f}",
                               "lr": f"{scheduler.get_last_lr()[0]:.1e}"}
                    if last_f1 is not None:
                        postfix["val_f1"] = f"{last_f1:.3f}"
                    bar.set_postfix(postfix)
                    if args.max_steps and state.global_step >= args.max_steps:
                        break
            record: dict[str, Any] = {
                "epoch": epoch + 1,
                "step": state.global_step,
                "train_loss": sum(losses) / max(1, len(losses)),
                "train_seconds": round(time.monotonic() - epoch_started, 1),
            }
            score = record["train_loss"] * -1.0  # without validation: the lowest loss wins
            if val_loader is not None:
                metrics = _validate(model, val_loader, accelerator)
                record.update({f"val_{k}": v for k, v in metrics.items()})
                score = last_f1 = metrics["macro_f1"]
            state.history.append(record)
            state.epochs_done = epoch + 1
            if score > state.best_score:
                state.best_score, state.best_epoch, state.bad_epochs = score, epoch + 1, 0
                if accelerator.is_main_process:
                    save_weights(accelerator.unwrap_model(model), ckpt_dir / BEST)
            else:
                state.bad_epochs += 1
            if accelerator.is_main_process:
                save_checkpoint(
                    ckpt_dir, accelerator.unwrap_model(model), optimizer, scheduler, scaler, state
                )
            accelerator.wait_for_everyone()
            log.info("epoch %d: %s", epoch + 1, record)
            if val_loader is not None and state.bad_epochs >= args.patience:
                stopped_early = True
                log.info("no better validation macro-F1 for %d epochs: stopping", args.patience)
                break
            if _out_of_time(args.time_budget_min, started, epoch + 1 - first_epoch):
                stopped_early = True
                log.info("another epoch would overrun %.0f minutes: stopping",
                         args.time_budget_min)
                break
    except KeyboardInterrupt:
        log.warning("interrupted; continue later with --resume (checkpoints in %s)", ckpt_dir)
        raise
    finally:
        bar.close()

    unwrapped = accelerator.unwrap_model(model)
    if (ckpt_dir / BEST).is_dir():
        load_weights(unwrapped, ckpt_dir / BEST)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process and not keep_checkpoints:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return TrainResult(
        unwrapped,
        tokenizer, labels, state, stopped_early, accelerator.is_main_process, accelerator,
    )
