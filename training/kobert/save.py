"""Write a finished transformer run (KoBERT, e5, ...) as a Buddy model folder, with its card.

Folder contents: ``model.safetensors`` + ``config.json`` (``save_pretrained`` with
safetensors), the tokenizer files, ``buddy_model.json`` (backend "transformer"),
``answers.json``, ``training_args.json``, ``training_history.json`` and ``README.md``,
the model card. :func:`write_model_card` can be called again after ``buddy evaluate``
has written ``metrics.json``, so the card always shows the latest figures.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.classify.kobert import BACKEND, WEIGHTS_FILE, save_kobert_tokenizer
from core.classify.model_folder import Manifest, read_manifest, write_manifest
from training.kobert.args import ARGS_FILE, KoBertArgs
from training.split import SPLIT_FILE

if TYPE_CHECKING:
    from training.kobert.train_loop import TrainResult

log = logging.getLogger(__name__)

HISTORY_FILE = "training_history.json"
CARD_FILE = "README.md"
METRICS_FILE = "metrics.json"


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model_folder(
    result: TrainResult,
    out: Path,
    args: KoBertArgs,
    answers: dict[str, list[str]],
    data_hash: str = "",
    data_summary: dict[str, Any] | None = None,
) -> Path:
    """Write ``result`` into ``out`` and return the folder.

    ``data_summary`` (utterance counts, sources, split) goes into the manifest's ``extra``
    and the model card; it must not contain utterances.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = result.model
    model.config.id2label = dict(enumerate(result.labels))
    model.config.label2id = {label: i for i, label in enumerate(result.labels)}
    model.save_pretrained(str(out), safe_serialization=True)
    save_kobert_tokenizer(result.tokenizer, out)
    args.save(out)
    (out / HISTORY_FILE).write_text(json.dumps(result.state.history, indent=1), encoding="utf-8")
    extra: dict[str, Any] = {
        "base": args.base,
        "max_length": args.max_length,
        "pooling": getattr(model.config, "pooling", None) or "cls",
        "epochs_run": result.state.epochs_done,
        "best_epoch": result.state.best_epoch,
        "stopped_early": result.stopped_early,
        "updates": result.state.global_step,
    }
    best = next((h for h in result.state.history if h["epoch"] == result.state.best_epoch), {})
    if "val_macro_f1" in best:
        extra["best_val_macro_f1"] = round(best["val_macro_f1"], 4)
    extra.update(data_summary or {})
    kept = {c: list(a) for c, a in answers.items() if c in set(result.labels)}
    manifest = Manifest(
        backend=BACKEND,
        labels=list(result.labels),
        data_hash=data_hash,
        model_id=f"{_base_name(args.base)}-{_file_hash(out / WEIGHTS_FILE)[:12]}",
        extra=extra,
    )
    write_manifest(out, manifest, kept)
    write_model_card(out)
    log.info("saved transformer model %s to %s", manifest.model_id, out)
    return out


def _base_name(base: str) -> str:
    """A short name for model ids: ``monologg/kobert`` → ``kobert``, ``/x/e5-base`` → ``e5-base``."""
    name = Path(str(base).rstrip("/")).name.lower()
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:32] or "transformer"


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_model_card(folder: Path) -> Path:
    """(Re)write ``README.md`` from the folder's manifest, arguments, history and metrics."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    args = _read_json(folder / ARGS_FILE) or {}
    history = _read_json(folder / HISTORY_FILE) or []
    metrics = _read_json(folder / METRICS_FILE) or {}
    split = _read_json(folder / SPLIT_FILE) or {}
    extra = dict(manifest.extra)
    if split and "split" not in extra:
        extra["split"] = (
            f"stratified by category, test share {split.get('test_size')}, seed "
            f"{split.get('seed')}; evaluate with `buddy evaluate --split test`"
        )
        extra.setdefault("n_test", split.get("n_test"))
    lines = [
        f"# Buddy transformer classifier `{manifest.model_id}`",
        "",
        "A BERT-family encoder fine-tuned to put a Korean utterance into one of "
        f"{len(manifest.labels)} wellness-conversation categories, so that Buddy (버디) can "
        "answer it with a reply written for that category.",
        "",
        "## Data",
        "",
        f"- Categories: {len(manifest.labels)}",
    ]
    for key, label in (
        ("sources", "Sources"),
        ("n_train", "Training utterances"),
        ("n_val", "Validation utterances (early stopping)"),
        ("n_test", "Held-out test utterances"),
        ("split", "Split"),
    ):
        if key in extra:
            lines.append(f"- {label}: {extra[key]}")
    lines += [
        f"- Data hash (sha256): `{manifest.data_hash or 'unknown'}`",
        f"- Trained: {manifest.created or datetime.now(timezone.utc).isoformat()}",
        "",
        "## Training",
        "",
        f"- Base model: `{extra.get('base', args.get('base', '?'))}`",
        f"- Sentence vector for the head: {extra.get('pooling', 'cls')} pooling",
        f"- Epochs run: {extra.get('epochs_run', '?')} (best: {extra.get('best_epoch', '?')}"
        f"{', stopped early' if extra.get('stopped_early') else ''}), updates: "
        f"{extra.get('updates', '?')}",
        "- Settings: see `training_args.json`; retrain with "
        "`buddy train --backend transformer --config training_args.json --data DATA --out DIR`.",
    ]
    if history:
        lines += ["", "| epoch | train loss | val accuracy | val macro-F1 |", "|---|---|---|---|"]
        for h in history:
            lines.append(
                f"| {h.get('epoch')} | {_fmt(h.get('train_loss', ''))} | "
                f"{_fmt(h.get('val_accuracy', '–'))} | {_fmt(h.get('val_macro_f1', '–'))} |"
            )
    lines += ["", "## Figures", ""]
    if metrics:
        for key, label in (
            ("accuracy", "Accuracy"),
            ("top3_accuracy", "Top-3 accuracy"),
            ("macro_f1", "Macro-F1"),
            ("ece", "Expected calibration error"),
            ("suggested_threshold", "Suggested fallback threshold"),
        ):
            value = _lookup(metrics, key)
            if value is not None:
                lines.append(f"- {label}: {_fmt(value)}")
        lines.append("- Details and plots: `report.md`, `metrics.json`.")
    else:
        lines.append(
            "Not evaluated yet: run `buddy evaluate --model THIS_FOLDER --data TEST_DATA`."
        )
    lines += [
        "",
        "## Intended use and limits",
        "",
        "- Intended for choosing a supportive, pre-written reply in a Korean wellness chat. "
        "It is not a diagnosis and not a substitute for a counsellor or clinician.",
        "- It is **not** a crisis detector: Buddy's separate safety layer must see every "
        "message. A classifier misses many crisis messages phrased unlike its data.",
        "- Utterances unlike the training data (other domains, long texts, other languages) "
        "get confident-looking but meaningless categories; keep the fallback threshold on.",
        "- The weights derive from the training data; check that data's licence before "
        "sharing this folder (the AI Hub wellness data may not be redistributed).",
        "",
        f"Serve it with `BUDDY_MODEL={folder.name}` or try it with "
        f"`buddy ask --model {folder.name} \"요즘 잠을 못 자요\"`.",
        "",
    ]
    path = folder / CARD_FILE
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _lookup(metrics: dict[str, Any], key: str) -> Any:
    """Find ``key`` at the top level or one level down (``{"overall": {...}}`` layouts)."""
    if key in metrics:
        return metrics[key]
    for value in metrics.values():
        if isinstance(value, dict) and key in value:
            return value[key]
    return None


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("ignoring unreadable %s", path)
        return None
