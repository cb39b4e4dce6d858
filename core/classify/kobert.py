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

Why our own tokenizer loading: ``kobert_transformers.KoBertTokenizer`` tokenises correctly
with transformers 4.57, but its ``save_vocabulary`` predates the ``filename_prefix``
argument, so ``save_pretrained`` fails and ``from_pretrained`` on the half-written folder
then crashes. We therefore build the tokenizer straight from its two files
(:func:`load_kobert_tokenizer`) and save it by copying them (:func:`save_kobert_tokenizer`);
the token ids are exactly those of the original class.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.classify.base import ClassifierBase, Prediction
from core.classify.model_folder import read_manifest
from core.classify.pooling import load_sequence_classifier
from core.errors import ModelError

if TYPE_CHECKING:
    from core.classify.onnx_runtime import OnnxKoBertClassifier

log = logging.getLogger(__name__)

BACKEND = "transformer"
# Folders written before the backend was generalised say "kobert"; both load the same way.
BACKENDS = ("transformer", "kobert")
SPM_FILE = "tokenizer_78b3253a26.model"
VOCAB_FILE = "vocab.txt"
TOKENIZER_CONFIG = "tokenizer_config.json"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
DEFAULT_MAX_LENGTH = 64
INSTALL_HINT = "Install the KoBERT extra first: pip install 'buddy-counsel[kobert]'."


def _require_torch() -> tuple[Any, Any]:
    """Import torch and transformers, or say how to install them."""
    try:
        import torch
        import transformers
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ModelError(f"The KoBERT backend needs torch and transformers. {INSTALL_HINT}") from exc
    return torch, transformers


def has_kobert_tokenizer(folder: Path) -> bool:
    """True when ``folder`` holds KoBERT's SentencePiece model and vocabulary."""
    folder = Path(folder)
    return (folder / SPM_FILE).is_file() and (folder / VOCAB_FILE).is_file()


def load_kobert_tokenizer(folder: Path) -> Any:
    """Load the tokenizer stored in ``folder``, never touching the network.

    KoBERT's own files (SentencePiece + vocab.txt) go through kobert_transformers'
    ``KoBertTokenizer``; any other BERT tokenizer (for a different ``--base``) through
    ``AutoTokenizer`` with ``local_files_only``.
    """
    folder = Path(folder)
    _require_torch()
    try:
        if has_kobert_tokenizer(folder):
            try:
                from kobert_transformers.tokenization_kobert import KoBertTokenizer
            except ImportError as exc:
                raise ModelError(f"Reading {folder} needs kobert-transformers. {INSTALL_HINT}") from exc
            return KoBertTokenizer(
                vocab_file=str(folder / SPM_FILE), vocab_txt=str(folder / VOCAB_FILE)
            )
        if (folder / TOKENIZER_CONFIG).is_file() or (folder / "tokenizer.json").is_file():
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except ModelError:
        raise
    except Exception as exc:  # sentencepiece and transformers raise many kinds
        raise ModelError(
            f"The tokenizer files in {folder} cannot be read ({exc}). Copy them again from "
            "the base model or retrain with `buddy train --backend transformer`."
        ) from exc
    raise ModelError(
        f"{folder} has no tokenizer: expected {SPM_FILE} and {VOCAB_FILE} (KoBERT) or "
        f"{TOKENIZER_CONFIG}. Copy them from the base model folder or retrain."
    )


def save_kobert_tokenizer(tokenizer: Any, folder: Path) -> list[Path]:
    """Write ``tokenizer``'s files into ``folder`` (see the module docstring for why)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spm_src = getattr(tokenizer, "vocab_file", None)
    vocab_src = getattr(tokenizer, "vocab_txt", None)
    if spm_src and vocab_src:
        written = []
        for src, name in ((spm_src, SPM_FILE), (vocab_src, VOCAB_FILE)):
            dst = folder / name
            if Path(src).resolve() != dst.resolve():
                shutil.copyfile(src, dst)
            written.append(dst)
        config = {
            "tokenizer_class": "KoBertTokenizer",
            "do_lower_case": bool(getattr(tokenizer, "do_lower_case", False)),
            "model_max_length": 512,
            "note": "Load with core.classify.kobert.load_kobert_tokenizer(folder).",
        }
        path = folder / TOKENIZER_CONFIG
        path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        return [*written, path]
    return [Path(p) for p in tokenizer.save_pretrained(str(folder))]


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
        torch, transformers = _require_torch()
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
            from core.classify.onnx_runtime import load_current_export

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
        torch, _ = _require_torch()
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
