"""A KoBERT-style base folder with random weights, for when ``monologg/kobert`` is out of reach.

``buddy train --backend kobert --base DIR`` needs a pre-trained encoder, and this workplace
(like many training machines) cannot download one. To still exercise the whole training
path — and to get a *really trained* KoBERT-shaped classifier whose int8 serving path can
be compared with fp32 (``buddy bench inference --model DIR``) — this writes a folder laid out
exactly like KoBERT's: ``tokenizer_78b3253a26.model`` (a SentencePiece unigram model trained
on the given sentences), ``vocab.txt`` in KoBERT's order (``[UNK] [PAD] [CLS] [SEP] [MASK]``
first, so ``[PAD]`` is 1), ``config.json`` and ``model.safetensors`` with random weights.

The tests build their tiny base with it; on a GPU, ``buddy bench base --out B`` then
``buddy train --backend kobert --base B`` trains a KoBERT-sized network from scratch. Such
a model has seen only the training data (no pre-training), so its accuracy says nothing
about KoBERT's; its margins are real, which is what the agreement check needs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.classify.transformer_files import load_kobert_tokenizer

SPECIAL_TOKENS = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]  # KoBERT's order: [PAD] is 1
SENTENCEPIECE_FILE = "tokenizer_78b3253a26.model"  # the name KoBERT's tokenizer looks for

KOBERT_ENCODER: dict[str, int] = {
    "vocab_size": 8002, "hidden_size": 768, "num_hidden_layers": 12,
    "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
}


def train_sentencepiece(folder: Path, sentences: Sequence[str], vocab_size: int) -> list[str]:
    """Train a unigram SentencePiece model into ``folder``; return KoBERT-ordered vocab."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="buddy-spm-") as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(s for s in sentences if s.strip()), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "sp"),
            vocab_size=vocab_size - len(SPECIAL_TOKENS) + 3,  # <unk> <s> </s> are replaced
            model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
            minloglevel=2,
        )
        (folder / SENTENCEPIECE_FILE).write_bytes((Path(tmp) / "sp.model").read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(folder / SENTENCEPIECE_FILE))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = SPECIAL_TOKENS + [p for p in pieces if p not in ("<unk>", "<s>", "</s>")]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return vocab


def write_base(
    folder: Path,
    sentences: Sequence[str],
    encoder: dict[str, int] | None = None,
    initializer_range: float = 0.02,
    seed: int = 0,
) -> dict[str, Any]:
    """Write the base folder; ``encoder`` overrides :data:`KOBERT_ENCODER` fields.

    The vocabulary is trained to fill ``vocab_size`` where the sentences allow it; the
    encoder keeps ``vocab_size`` rows either way (KoBERT's 8,002 by default), as a real
    base may have more rows than its tokenizer uses.
    """
    import torch
    from transformers import BertConfig, BertModel

    shape = {**KOBERT_ENCODER, **(encoder or {})}
    folder.mkdir(parents=True, exist_ok=True)
    vocab = train_sentencepiece(folder, sentences, shape["vocab_size"])
    shape["vocab_size"] = max(shape["vocab_size"], len(vocab))
    config = BertConfig(**shape, pad_token_id=1, initializer_range=initializer_range)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(str(folder), safe_serialization=True)
    return {"folder": str(folder), "tokenizer_pieces": len(vocab), **shape,
            "initializer_range": initializer_range, "sentences": len(sentences)}


def mlm_pretrain(
    folder: Path,
    sentences: Sequence[str],
    seconds: float,
    batch_size: int = 128,
    lr: float = 1e-4,
    max_length: int = 64,
    seed: int = 0,
    device: str | None = None,
) -> dict[str, Any]:
    """Pre-train the base in ``folder`` by masked-language modelling for about ``seconds``.

    Why: from random weights a KoBERT-sized network does not learn the 359 categories at
    all (the loss stays at ln 359), so a short MLM phase on the same Korean text gives the
    encoder something to fine-tune — a rehearsal of what ``monologg/kobert``'s
    pre-training gives for real, on a few thousand sentences instead of a corpus. The
    encoder (without the MLM head) is written back over ``model.safetensors``.
    """
    import random
    import time

    import torch
    from transformers import BertForMaskedLM, DataCollatorForLanguageModeling

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = load_kobert_tokenizer(folder)
    model = BertForMaskedLM.from_pretrained(str(folder), local_files_only=True).to(device)
    model.train()
    texts = [s for s in sentences if s.strip()]
    collate = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = 200
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else None
    started, steps, losses = time.perf_counter(), 0, []
    while time.perf_counter() - started < seconds:
        batch = rng.sample(texts, min(batch_size, len(texts)))
        enc = tokenizer(batch, truncation=True, max_length=max_length)
        inputs = collate([{"input_ids": ids} for ids in enc["input_ids"]])
        inputs = {k: v.to(device) for k, v in inputs.items()}
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (steps + 1) / warmup)
        if amp is not None:
            with amp:
                loss = model(**inputs).loss
        else:
            loss = model(**inputs).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps += 1
        losses.append(float(loss))
    model.bert.save_pretrained(str(folder), safe_serialization=True)
    head = losses[:50] or [float("nan")]
    tail = losses[-50:] or [float("nan")]
    return {"mlm_steps": steps, "mlm_seconds": round(time.perf_counter() - started, 1),
            "mlm_loss_first50": round(sum(head) / len(head), 3),
            "mlm_loss_last50": round(sum(tail) / len(tail), 3), "device": device}
