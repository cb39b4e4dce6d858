"""The fast serving path of transformer models (KoBERT, e5, ...): the fine-tuned model as int8 ONNX, run by ONNX Runtime.

Why: fp32 eager PyTorch spends ~25 ms of one CPU thread on one short message. The same
network exported to ONNX with its weight matrices in 8 bits and int8 arithmetic runs ~3x
faster and keeps top-1 agreement with the fp32 model at 0.99 (fine-tuned e5; checked by
``buddy bench inference``). Agreement needs two things (measurements in docs/TRANSFORMER.md
§6): activation outliers moved into the weights before export (SmoothQuant,
:mod:`core.classify.smoothing`, calibrated on training utterances) and activations quantised
per token and 64-channel block rather than per matrix (:mod:`core.classify.onnx_quantize`).
ONNX Runtime releases the GIL while it computes, so the event loop keeps serving while a
batch runs.

Files, beside the transformer model folder's own (see :mod:`core.classify.kobert`):

- ``model.int8.onnx`` — the quantised graph with its weights inside (protobuf, no pickle);
- ``model.int8.json`` — how and from what it was exported: the export format (bumped when
  the export changes, so an older one is refused) and the fingerprint of
  ``model.safetensors``, so a folder retrained in place never serves a stale export (the
  loader falls back to PyTorch and says how to re-export).

:func:`export_onnx` writes both; :func:`core.classify.kobert.load_serving_classifier` picks
the fastest up-to-date backend for a transformer folder. onnxruntime, onnx and torch are imported only when used.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.classify.base import ClassifierBase, Prediction
from core.classify.model_folder import read_manifest
from core.classify.onnx_quantize import DEFAULT_SCHEME, SCHEMES, describe, quantize_graph
from core.classify.pooling import load_sequence_classifier
from core.classify.smoothing import DEFAULT_ALPHA, input_maxima, smooth_encoder
from core.classify.transformer_files import (
    BACKENDS,
    DEFAULT_MAX_LENGTH,
    INSTALL_HINT,
    WEIGHTS_FILE,
    load_kobert_tokenizer,
)
from core.errors import ModelError

log = logging.getLogger(__name__)

ONNX_FILE = "model.int8.onnx"
ONNX_META = "model.int8.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17
# Bumped whenever the export changes what is served; an older export is refused (PyTorch
# serves, with the command to re-export). 1: dynamic int8; 2: SmoothQuant + block int8.
EXPORT_FORMAT = 2
CALIBRATION_UTTERANCES = 300
# Padding a micro-batch to its longest text wastes work on short ones: texts are sorted by
# length and a new sub-batch starts once padding would exceed this share of real tokens.
MAX_PADDING_OVERHEAD = 0.25
MIN_SUB_BATCH = 8


def _require_ort() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ModelError(f"The fast KoBERT path needs onnxruntime. {INSTALL_HINT}") from exc
    return onnxruntime


def weights_fingerprint(folder: Path) -> str:
    """Size plus the first and last MiB of ``model.safetensors``: cheap, and changes on retrain."""
    path = Path(folder) / WEIGHTS_FILE
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(size - (1 << 20))
            digest.update(fh.read())
    return digest.hexdigest()[:16]


# --- export -------------------------------------------------------------------------------
def export_model(
    model: Any,
    out_path: Path,
    *,
    quantize: bool = True,
    scheme: str = DEFAULT_SCHEME,
    calibration: Iterable[Mapping[str, Any]] | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> Path:
    """Export a transformers sequence classifier to ONNX at ``out_path``, int8 unless told not.

    ``calibration`` (tokenizer outputs, one text each, from *training* utterances) turns on
    the SmoothQuant scaling of :mod:`core.classify.smoothing`, applied to a copy of the
    model; without it the weights are quantised as they are (lower agreement with fp32,
    logged). The fp32 graph goes through a temporary folder; only the final file lands at
    ``out_path`` (written under a temporary name, then renamed, so a crash never leaves a
    half-written model that a server would try to load).
    """
    import torch

    if quantize and scheme not in SCHEMES:
        raise ModelError(f"Unknown ONNX quantisation scheme {scheme!r}; use one of {SCHEMES}.")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    if quantize and calibration is not None:
        model = copy.deepcopy(model)
        layers = smooth_encoder(model, input_maxima(model, calibration), alpha)
        log.info("SmoothQuant (alpha %.2f) applied to %d encoder layers", alpha, layers)
    elif quantize:
        log.warning("no calibration utterances: quantising without SmoothQuant scaling "
                    "(agreement with fp32 will be lower)")
    sample = torch.tensor([[2, 5, 6, 7, 3]], dtype=torch.long)
    args = (sample, torch.ones_like(sample), torch.zeros_like(sample))
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes["logits"] = {0: "batch"}
    with tempfile.TemporaryDirectory(prefix="buddy-onnx-") as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        with torch.inference_mode(), warnings.catch_warnings():
            # The TorchScript exporter is deprecated but exports BERT reliably; its tracer
            # warnings are about Python constants that are fixed for this architecture.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, args, str(fp32), input_names=list(INPUT_NAMES), output_names=["logits"],
                dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False,
            )
        staged = out_path.with_name(out_path.name + ".partial")
        if quantize:
            quantize_graph(fp32, staged, scheme)
        else:
            fp32.replace(staged)
        staged.replace(out_path)
    return out_path


def calibration_batches(tokenizer: Any, texts: Sequence[str], max_length: int,
                        limit: int = CALIBRATION_UTTERANCES, seed: int = 0) -> list[dict[str, Any]]:
    """Up to ``limit`` of ``texts`` (a seeded sample), tokenised one per batch (no padding)."""
    texts = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(texts) > limit:
        rng = np.random.default_rng(seed)
        texts = [texts[i] for i in sorted(rng.choice(len(texts), limit, replace=False))]
    return [dict(tokenizer([t], truncation=True, max_length=max_length, return_tensors="pt"))
            for t in texts]


def export_onnx(
    folder: Path,
    *,
    quantize: bool = True,
    scheme: str = DEFAULT_SCHEME,
    calibration_texts: Sequence[str] | None = None,
) -> Path:
    """Write ``model.int8.onnx`` (+ ``model.int8.json``) into a trained transformer model folder.

    Called after ``buddy train --backend transformer`` with utterances of the training part
    as ``calibration_texts`` (never test ones); safe to run again (it replaces the old
    export). Raises :class:`ModelError` when the folder cannot be read.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.backend not in BACKENDS:
        raise ModelError(
            f"{folder} holds a '{manifest.backend}' model; only transformer models are exported.")
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelError(f"{folder} has no {WEIGHTS_FILE}. Retrain with `buddy train --backend kobert`.")
    try:
        model = load_sequence_classifier(folder)
    except ImportError as exc:  # pragma: no cover
        raise ModelError(f"Exporting needs torch and transformers. {INSTALL_HINT}") from exc
    except Exception as exc:
        raise ModelError(f"{folder / WEIGHTS_FILE} cannot be loaded for export ({exc}).") from exc
    batches = None
    if quantize and calibration_texts:
        max_length = int(manifest.extra.get("max_length", DEFAULT_MAX_LENGTH))
        batches = calibration_batches(load_kobert_tokenizer(folder), calibration_texts, max_length)
    path = export_model(model, folder / ONNX_FILE, quantize=quantize, scheme=scheme,
                        calibration=batches)
    ort = _require_ort()
    meta = {
        "export_format": EXPORT_FORMAT,
        "source_fingerprint": weights_fingerprint(folder),
        "scheme": scheme if quantize else "fp32",
        "quantization": describe(scheme, bool(batches)) if quantize else "none (fp32)",
        "smoothquant_alpha": DEFAULT_ALPHA if batches else None,
        "calibration_utterances": len(batches or []),
        "opset": OPSET,
        "onnxruntime": ort.__version__,
        "inputs": list(INPUT_NAMES),
    }
    (folder / ONNX_META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    log.info("exported %s (%.0f MB)", path, path.stat().st_size / 1e6)
    return path


def export_problem(folder: Path) -> str | None:
    """Why ``model.int8.onnx`` must not be served (missing, older format, other weights), or None."""
    folder = Path(folder)
    if not (folder / ONNX_FILE).is_file() or not (folder / ONNX_META).is_file():
        return f"{folder} has no {ONNX_FILE} with its {ONNX_META}"
    try:
        meta = json.loads((folder / ONNX_META).read_text(encoding="utf-8"))
        fingerprint = weights_fingerprint(folder)
    except (OSError, ValueError) as exc:
        return f"{folder / ONNX_META} cannot be read ({exc})"
    version = meta.get("export_format", 1)
    if version != EXPORT_FORMAT:
        return (f"{folder / ONNX_FILE} is export format {version}, this Buddy serves format "
                f"{EXPORT_FORMAT} (more faithful to the trained model)")
    if meta.get("source_fingerprint") != fingerprint:
        return f"{folder / ONNX_FILE} was exported from other weights than {WEIGHTS_FILE}"
    return None


def export_is_current(folder: Path) -> bool:
    """True when ``model.int8.onnx`` exists, is this version's format and matches the weights."""
    return export_problem(folder) is None


# --- serving ------------------------------------------------------------------------------
def make_session(path: Path, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session with full graph optimisation (attention/GELU fusion)."""
    ort = _require_ort()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelError(
            f"{path} cannot be loaded by ONNX Runtime ({exc}). Re-export it with "
            "`core.classify.onnx_runtime.export_onnx(folder)` or delete it to serve with PyTorch."
        ) from exc


def _sub_batches(lengths: Sequence[int], max_batch: int) -> list[list[int]]:
    """Indices grouped so each group's padding stays small: sorted, then cut greedily."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups: list[list[int]] = []
    current: list[int] = []
    real = 0
    for i in order:
        n = lengths[i]  # ascending, so n is the new longest
        if current and (
            len(current) >= max_batch
            or (len(current) >= MIN_SUB_BATCH
                and (len(current) + 1) * n > (1 + MAX_PADDING_OVERHEAD) * (real + n))
        ):
            groups.append(current)
            current, real = [], 0
        current.append(i)
        real += n
    if current:
        groups.append(current)
    return groups


class OnnxKoBertClassifier(ClassifierBase):
    """A transformer model folder served from its int8 ONNX export, behind :class:`Classifier`."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        labels: Sequence[str],
        model_id: str = "kobert-onnx-int8",
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = 32,
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._labels = list(labels)
        self._model_id = model_id
        self._inputs = [i.name for i in session.get_inputs()]
        self.max_length = max_length
        self.batch_size = batch_size

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def labels(self) -> Sequence[str]:
        return self._labels

    @classmethod
    def load(cls, folder: Path, threads: int | None = None) -> OnnxKoBertClassifier:
        """Load the folder's ONNX export; refuses a missing or stale one with the fix."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest.backend not in BACKENDS:
            raise ModelError(f"{folder} holds a '{manifest.backend}' model, not a transformer one.")
        if not (folder / ONNX_FILE).is_file():
            raise ModelError(f"{folder} has no {ONNX_FILE}; create it with export_onnx({folder}).")
        problem = export_problem(folder) if (folder / WEIGHTS_FILE).is_file() else None
        if problem:
            raise ModelError(f"{problem}; re-export it with "
                             "core.classify.onnx_runtime.export_onnx(folder, calibration_texts=...) "
                             "or retrain with `buddy train --backend transformer`.")
        tokenizer = load_kobert_tokenizer(folder)
        session = make_session(folder / ONNX_FILE, threads)
        out = session.get_outputs()[0].shape
        if isinstance(out[-1], int) and out[-1] != len(manifest.labels):
            raise ModelError(
                f"{folder / ONNX_FILE} has {out[-1]} outputs but the manifest lists "
                f"{len(manifest.labels)} categories; re-export after training."
            )
        max_length = int(manifest.extra.get("max_length", DEFAULT_MAX_LENGTH))
        base_id = manifest.model_id or f"kobert-{weights_fingerprint(folder)[:12]}"
        log.info("loaded int8 ONNX transformer %s (%d labels) from %s", base_id,
                 len(manifest.labels), folder)
        return cls(session, tokenizer, manifest.labels, model_id=f"{base_id}+int8",
                   max_length=max_length)

    def _encode(self, texts: list[str]) -> list[list[int]]:
        enc = self._tokenizer(texts, truncation=True, max_length=self.max_length, padding=False)
        return [list(ids) for ids in enc["input_ids"]]

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores, one row per text (in order); used by benchmarks and checks."""
        texts = list(texts)
        ids = self._encode(texts)
        pad = getattr(self._tokenizer, "pad_token_id", None)
        pad = 0 if pad is None else int(pad)
        out = np.empty((len(texts), len(self._labels)), dtype=np.float32)
        for group in _sub_batches([len(x) for x in ids], self.batch_size):
            width = max(len(ids[i]) for i in group)
            input_ids = np.full((len(group), width), pad, dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, i in enumerate(group):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids)}
            (scores,) = self._session.run(["logits"], {k: feed[k] for k in self._inputs})
            out[group] = scores
        return out

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        """Classify ``texts``; batches are cut by length so short texts are not padded long."""
        texts = list(texts)
        if not texts:
            return []
        k = max(1, min(top_k, len(self._labels)))
        scores = self.logits(texts)
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        out = []
        for row, idxs in zip(probs, top, strict=True):
            pairs = tuple((self._labels[i], float(row[i])) for i in idxs)
            out.append(Prediction(pairs[0][0], pairs[0][1], pairs))
        return out


def load_current_export(folder: Path, threads: int | None = None) -> OnnxKoBertClassifier | None:
    """The folder's int8 ONNX classifier, or None when PyTorch must serve instead.

    None when there is no export, when it is stale (weights retrained since), when
    onnxruntime is not installed or cannot read the file; each case but the first is logged
    with what to do, so a slow server is never a silent mystery.
    """
    folder = Path(folder)
    if not (folder / ONNX_FILE).is_file():
        log.info("%s has no %s; serving fp32 PyTorch (export_onnx makes it several times "
                 "faster)", folder, ONNX_FILE)
        return None
    try:
        return OnnxKoBertClassifier.load(folder, threads=threads)
    except ModelError as exc:
        log.warning("serving with PyTorch instead of ONNX: %s", exc)
        return None
