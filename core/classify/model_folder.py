"""The on-disk model folder every backend reads and writes. No pickle anywhere.

A model folder holds:

- ``buddy_model.json`` — the manifest: ``format`` ("buddy-model"), ``format_version`` (1),
  ``backend`` ("linear" | "kobert" | ...), ``labels`` (sorted category list), ``created``
  (ISO time), ``data_hash`` (sha256 of the training data), ``model_id``, free ``extra``;
- ``answers.json`` — ``{category: [answer, ...]}`` from the training data, so
  ``buddy ask --model DIR`` answers from the data the model was trained on;
- the backend's own files (safetensors weights, JSON vocabularies, tokenizer files);
- optionally ``metrics.json``, ``report.md`` and a model card ``README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.errors import ModelError, ModelNotFoundError

MANIFEST = "buddy_model.json"
ANSWERS = "answers.json"
FORMAT = "buddy-model"
FORMAT_VERSION = 1


@dataclass
class Manifest:
    """What ``buddy_model.json`` says about a model folder."""

    backend: str
    labels: list[str]
    data_hash: str = ""
    model_id: str = ""
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "backend": self.backend,
            "model_id": self.model_id,
            "labels": self.labels,
            "data_hash": self.data_hash,
            "created": self.created,
            "extra": self.extra,
        }


def write_manifest(folder: Path, manifest: Manifest, answers: dict[str, list[str]]) -> None:
    """Write the manifest and the answers next to the backend's files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (folder / ANSWERS).write_text(
        json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )


def read_manifest(folder: Path) -> Manifest:
    """Read and validate a folder's manifest, refusing anything Buddy cannot serve."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"모델 폴더가 없습니다: {folder}. Train one with `buddy train --data PATH --out {folder}`"
            " or unset BUDDY_MODEL to use the embedded default."
        )
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelError(
            f"{folder} is not a Buddy model folder ({MANIFEST} is missing). "
            "Point BUDDY_MODEL / --model at a folder written by `buddy train`."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} is damaged ({exc}). Retrain with `buddy train`.") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path} is not a Buddy model manifest. Retrain with `buddy train`.")
    if data.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path} has format version {data.get('format_version')}, this Buddy reads "
            f"{FORMAT_VERSION}. Retrain the model with this version of Buddy."
        )
    labels = data.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise ModelError(f"{path} has no label list. Retrain with `buddy train`.")
    return Manifest(
        backend=str(data.get("backend", "")),
        labels=labels,
        data_hash=str(data.get("data_hash", "")),
        model_id=str(data.get("model_id", "")),
        created=str(data.get("created", "")),
        extra=dict(data.get("extra") or {}),
    )


def read_answers(folder: Path) -> dict[str, list[str]]:
    """Read ``answers.json``; a missing file means no answers (the book falls back)."""
    path = Path(folder) / ANSWERS
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} is damaged ({exc}). Retrain with `buddy train`.") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} must map categories to lists of answers.")
    return {str(k): [str(a) for a in v] for k, v in data.items() if isinstance(v, list)}
