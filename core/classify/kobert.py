"""The transformer backend: a fine-tuned BERT-family encoder served from a model folder.

One backend for any BERT-family base with its own tokenizer — KoBERT, multilingual-e5
(``buddy base e5``) or a hub model. A model folder (written by ``buddy train --backend
transformer``; ``kobert`` is the older name and its folders still load) holds, beside the
manifest and ``answers.json`` of :mod:`core.classify.model_folder`:

- ``config.json`` and ``model.safetensors`` — the encoder plus its classification head;
- the base's tokenizer files: ``tokenizer_78b3253a26.model`` (SentencePiece) and
  ``vocab.txt`` for KoBERT, ``tokenizer.json`` + ``tokenizer_config.json`` for the others.

torch and transformers are imported only when a model is loaded, so the core (and the
embedded default classifier) keeps working on a machine without them.

The folder's file names and the tokenizer loader live in
:mod:`core.classify.transformer_files`, shared with the int8 ONNX path
(:mod:`core.classify.onnx_runtime`), which :meth:`KoBertClassifier.load` prefers when its
export is current.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.classify.base import Classifier, ClassifierBase, Prediction
from core.classify.model_folder import read_manifest
from core.classify.onnx_runtime import OnnxKoBertClassifier, load_current_export
from core.classify.pooling import load_sequence_classifier
from core.classify.transformer_files import (  # re-exported: training and tests use them here
    BACKEND,
    BACKENDS,
    CONFIG_FILE,
    DEFAULT_MAX_LENGTH,
    INSTALL_HINT,
    SPM_FILE,
    TOKENIZER_CONFIG,
    VOCAB_FILE,
    WEIGHTS_FILE,
    has_kobert_tokenizer,
    load_kobert_tokenizer,
    require_torch,
    save_kobert_tokenizer,
)
from core.errors import ModelError

__all__ = [
    "BACKEND", "BACKENDS", "CONFIG_FILE", "DEFAULT_MAX_LENGTH", "INSTALL_HINT", "SPM_FILE",
    "TOKENIZER_CONFIG", "VOCAB_FILE", "WEIGHTS_FILE", "KoBertClassifier",
    "has_kobert_tokenizer", "load_kobert_tokenizer", "load_serving_classifier",
    "save_kobert_tokenizer",
]

log = logging.getLogger(__name__)

def _fingerprint(folder: Path) -> str:
    """A short hash of the weights file's size and head, cheap enough for a 400 MB file."""
    path = folder / WEIGHTS_FILE
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:12]


class KoBertClassifier(ClassifierBase):
    """A fine-tuned BERT sequence classifier behind the :class:`Classifier` protocol.

    Build it with :meth:`load`; the constructor takes already-built parts so training can
    wrap a model in memory (for validation) without a round trip through the disk.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        labels: Sequence[str],
        model_id: str = "kobert",
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = 32,
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._labels = list(labels)
        self._model_id = model_id
        self.max_length = max_length
        self.batch_size = batch_size

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def labels(self) -> Sequence[str]:
        return self._labels

    @classmethod
    def load(
        cls, folder: Path, device: str | None = None, prefer_onnx: bool = True
    ) -> KoBertClassifier | OnnxKoBertClassifier:
        """Load a KoBERT model folder, refusing a damaged or foreign one with the fix.

        On CPU, a current ``model.int8.onnx`` export in the folder is served instead of the
        fp32 weights (same answers, several times faster); ``prefer_onnx=False`` forces
        PyTorch.
        """
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest.backend not in BACKENDS:
            raise ModelError(
                f"{folder} holds a '{manifest.backend}' model, not a transformer one; "
                "load it through core.classify.loader.load_model instead."
            )
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            if not (folder / name).is_file():
                raise ModelError(
                    f"{folder} is incomplete: {name} is missing. "
                    "Retrain with `buddy train --backend transformer`."
                )
        torch, transformers = require_torch()
        try:
            config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
        except Exception as exc:
            raise ModelError(f"{folder / CONFIG_FILE} is damaged ({exc}). Retrain.") from exc
        id2label = getattr(config, "id2label", {}) or {}
        config_labels = [id2label.get(i, id2label.get(str(i))) for i in range(config.num_labels)]
        if config_labels != list(manifest.labels):
            raise ModelError(
                f"{folder}: the classification head has {config.num_labels} outputs whose labels "
                f"do not match the {len(manifest.labels)} categories in the manifest; the folder "
                "mixes files from different trainings. Retrain with `buddy train`."
            )
        # --- fast serving path (core/classify/onnx_runtime.py, `buddy bench inference`) ---
        if prefer_onnx and device in (None, "cpu"):
            fast = load_current_export(folder)
            if fast is not None:
                return fast
        # --- end of the fast serving path ---
        tokenizer = load_kobert_tokenizer(folder)
        try:
            model = load_sequence_classifier(folder)
        except Exception as exc:
            raise ModelError(
                f"{folder / WEIGHTS_FILE} cannot be loaded ({type(exc).__name__}: {exc}). "
                "The file is damaged or belongs to another model; retrain or copy it again."
            ) from exc
        if device:
            model.to(device)
        model.eval()
        max_length = int(manifest.extra.get("max_length", DEFAULT_MAX_LENGTH))
        model_id = manifest.model_id or f"kobert-{_fingerprint(folder)}"
        log.info("loaded transformer model %s (%d labels) from %s", model_id, len(manifest.labels), folder)
        return cls(model, tokenizer, manifest.labels, model_id=model_id, max_length=max_length)

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        """Classify ``texts`` in batches, each padded only to its own longest text."""
        torch, _ = require_torch()
        texts = list(texts)
        if not texts:
            return []
        k = max(1, min(top_k, len(self._labels)))
        device = next(self._model.parameters()).device
        out: list[Prediction] = []
        was_training = self._model.training
        self._model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), self.batch_size):
                    chunk = texts[start : start + self.batch_size]
                    enc = self._tokenizer(
                        chunk,
                        padding="longest",
                        truncation=True,
                        max_length=self.max_length,
                        return_tensors="pt",
                    )
                    enc = {name: t.to(device) for name, t in enc.items()}
                    probs = self._model(**enc).logits.float().softmax(dim=-1)
                    values, indices = probs.topk(k, dim=-1)
                    for vals, idxs in zip(values.tolist(), indices.tolist(), strict=True):
                        pairs = tuple((self._labels[i], float(v)) for v, i in zip(vals, idxs, strict=True))
                        out.append(Prediction(pairs[0][0], pairs[0][1], pairs))
        finally:
            if was_training:
                self._model.train()
        return out


def load_serving_classifier(folder: Path, threads: int | None = None) -> Classifier:
    """The fastest faithful classifier for a transformer folder: int8 ONNX when its export is
    current and onnxruntime is installed, else fp32 PyTorch.
    """
    fast = load_current_export(folder, threads)
    if fast is not None:
        return fast
    return KoBertClassifier.load(Path(folder), prefer_onnx=False)
