"""A KoBERT-shaped classifier folder for ``buddy bench inference``, and the seed's way to run it.

KoBERT's own weights and SentencePiece vocabulary cannot be downloaded, so the benchmark
builds the same network shape with random encoder weights, a character-level WordPiece
vocabulary of our dataset, and a classifier head trained on the frozen encoder's [CLS]
vectors until its predictions are confident — top-1 agreement between random logits would
mean nothing. Kept apart from the timing code: this is the model, not the measurement.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

KOBERT_SHAPE: dict[str, int] = {
    "vocab_size": 8002, "hidden_size": 768, "num_hidden_layers": 12,
    "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
    "num_labels": 359,
}
TINY_SHAPE: dict[str, int] = {
    **KOBERT_SHAPE, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "intermediate_size": 64,
}
SPECIAL_TOKENS = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]  # KoBERT's order: [PAD] is 1
SEED_PAD_LENGTH = 512

def load_split(
    data_dir: Path, seed: int, train_per_category: int = 6
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Our dataset split per category: a few utterances train the head, the rest are held out.

    Few, because the frozen encoder's forward pass over them is the slow part.
    """
    from core.dataset.formats import load_dataset
    from core.text import normalize

    ds = load_dataset(Path(data_dir)).deduplicated()
    by_cat: dict[str, list[str]] = {}
    for ex in ds.examples:
        text = normalize(ex.text)
        if text:
            by_cat.setdefault(ex.category, []).append(text)
    rng = random.Random(seed)
    train, held = [], []
    for cat in sorted(by_cat):
        texts = by_cat[cat][:]
        rng.shuffle(texts)
        cut = min(train_per_category, len(texts) // 2)
        train += [(t, cat) for t in texts[:cut]]
        held += [(t, cat) for t in texts[cut:]]
    rng.shuffle(held)
    return train, held


# --- a KoBERT-shaped model folder with a trained head ------------------------------------
def _char_tokenizer(folder: Path, texts: Sequence[str], vocab_size: int) -> Any:
    """A WordPiece tokenizer whose pieces are single characters, saved into ``folder``."""
    from transformers import BertTokenizerFast

    chars = sorted({c for t in texts for c in t if not c.isspace()})
    vocab = SPECIAL_TOKENS + chars + [f"##{c}" for c in chars]
    if len(vocab) > vocab_size:
        raise ValueError(f"{len(vocab)} characters do not fit a {vocab_size}-entry vocabulary")
    vocab += [f"[unused{i}]" for i in range(vocab_size - len(vocab))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # do_lower_case would NFD-split Hangul syllables into jamo: keep text as it is.
    tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False,
                            strip_accents=False, tokenize_chinese_chars=False)
    tok.save_pretrained(str(folder))
    return tok


def _cls_vectors(model: Any, tokenizer: Any, texts: Sequence[str], batch: int = 32) -> Any:
    """The frozen encoder's last-layer [CLS] vectors (batched by length: it is the slow part)."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), model.config.hidden_size)
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            enc = tokenizer([texts[i] for i in idx], padding="longest", truncation=True,
                            max_length=64, return_tensors="pt")
            hidden = model.bert(**enc).last_hidden_state[:, 0]
            out[idx] = hidden
    return out


def train_head(model: Any, tokenizer: Any, train: Sequence[tuple[str, str]],
               labels: Sequence[str], epochs: int, seed: int) -> dict[str, Any]:
    """Fit pooler + classifier on frozen [CLS] vectors; returns what was done, for the report."""
    import torch

    torch.manual_seed(seed)
    index = {c: i for i, c in enumerate(labels)}
    feats = _cls_vectors(model, tokenizer, [t for t, _ in train])
    target = torch.tensor([index[c] for _, c in train])
    # A random encoder's [CLS] vectors differ little between texts: train on standardised
    # vectors, then fold the standardisation into the pooler so the model stays a plain BERT.
    mu, sd = feats.mean(0), feats.std(0).clamp_min(1e-6)
    z = (feats - mu) / sd
    pooler, classifier = model.bert.pooler.dense, model.classifier
    params = [*pooler.parameters(), *classifier.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    started = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(classifier(torch.tanh(pooler(z))), target)
        loss.backward()
        opt.step()
    with torch.no_grad():
        pooler.weight.div_(sd)
        pooler.bias.sub_(pooler.weight @ mu)
        logits = classifier(torch.tanh(pooler(feats)))
        train_acc = float((logits.argmax(-1) == target).float().mean())
    return {
        "method": "encoder frozen (random KoBERT-shaped weights); pooler + 359-way classifier "
                  "trained on standardised [CLS] vectors (standardisation folded into the "
                  f"pooler afterwards) with Adam (lr 1e-3, full batch, {epochs} epochs) on the [CLS] vectors "
                  f"of {len(train)} utterances of our dataset, character-level WordPiece tokens",
        "train_utterances": len(train),
        "train_accuracy": round(train_acc, 4),
        "final_loss": round(loss.item(), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def build_bench_model(folder: Path, shape: dict[str, int], train: Sequence[tuple[str, str]],
                      all_texts: Sequence[str], epochs: int, seed: int) -> dict[str, Any]:
    """Write a complete KoBERT model folder (manifest, config, safetensors, tokenizer)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from core.classify.model_folder import Manifest, write_manifest

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _char_tokenizer(folder, all_texts, shape["vocab_size"])
    real = sorted({c for _, c in train})
    spare = [f"미사용/{i:03d}" for i in range(shape["num_labels"] - len(real))]
    labels = sorted(real + spare)
    config = BertConfig(**shape, pad_token_id=1,
                        id2label=dict(enumerate(labels)),
                        label2id={c: i for i, c in enumerate(labels)})
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    info = train_head(model, tokenizer, train, labels, epochs, seed)
    model.eval().save_pretrained(str(folder), safe_serialization=True)
    write_manifest(folder, Manifest(backend="kobert", labels=labels, model_id="bench-kobert",
                                    extra={"max_length": 64}), {})
    return info


# --- the seed Flask app's way to run it ----------------------------------------------------
def seed_predict(model: Any, tokenizer: Any) -> Callable[[str], int]:
    """The seed Flask app's way: fp32, no_grad, every message padded to 512 tokens."""
    import torch

    def run(text: str) -> int:
        enc = tokenizer([text], padding="max_length", truncation=True,
                        max_length=SEED_PAD_LENGTH, return_tensors="pt")
        with torch.no_grad():
            return int(model(**enc).logits.argmax(-1)[0])

    return run
