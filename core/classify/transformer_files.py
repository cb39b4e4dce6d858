"""A transformer model folder's files and its tokenizer: what both serving paths read.

:mod:`core.classify.kobert` (fp32 PyTorch) and :mod:`core.classify.onnx_runtime` (int8
ONNX) share these names and the tokenizer loader; keeping them here lets the PyTorch path
fall through to ONNX without the two modules importing each other.

Why our own tokenizer loading: ``kobert_transformers.KoBertTokenizer`` tokenises correctly
with transformers 4.57, but its ``save_vocabulary`` predates the ``filename_prefix``
argument, so ``save_pretrained`` fails and ``from_pretrained`` on the half-written folder
then crashes. We therefore build the tokenizer straight from its two files
(:func:`load_kobert_tokenizer`) and save it by copying them (:func:`save_kobert_tokenizer`);
the token ids are exactly those of the original class. torch and transformers are
imported only when a tokenizer is loaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from core.errors import ModelError

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


def require_torch() -> tuple[Any, Any]:
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
    require_torch()
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
