"""How fast KoBERT-sized fine-tuning runs here, with random weights (speed, not accuracy).

The real KoBERT weights cannot be downloaded on every machine, but the speed of a training
step depends only on the architecture: vocabulary 8,002, hidden 768, 12 layers, 12 heads,
intermediate 3,072, and a 359-way head. ``python -m training.bench_kobert`` prints steps
per second (AdamW update included) for a batch of ``batch_size`` × ``seq_len`` tokens, and
utterances per second for inference, so an operator can estimate an epoch's time.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

KOBERT_SIZE: dict[str, int] = {
    "vocab_size": 8002,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "num_labels": 359,
}
TINY_SIZE: dict[str, int] = {
    **KOBERT_SIZE, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "intermediate_size": 64,
}
CONFIGS = {"kobert-size": KOBERT_SIZE, "tiny": TINY_SIZE}


def _build(config: str, device: str) -> Any:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification(BertConfig(**CONFIGS[config])).to(device)


def steps_per_second(
    config: str = "kobert-size", batch_size: int = 16, seq_len: int = 64, steps: int = 5,
    warmup: int = 1, device: str | None = None,
) -> dict[str, Any]:
    """Time ``steps`` training steps (forward, backward, AdamW) after ``warmup`` untimed ones."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = _build(config, device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    vocab, labels = CONFIGS[config]["vocab_size"], CONFIGS[config]["num_labels"]
    ids = torch.randint(5, vocab, (batch_size, seq_len), device=device)
    mask = torch.ones_like(ids)
    gold = torch.randint(0, labels, (batch_size,), device=device)

    def step() -> None:
        loss = model(input_ids=ids, attention_mask=mask, labels=gold).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(warmup):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    return {
        "config": config, "device": device, "threads": torch.get_num_threads(),
        "batch_size": batch_size, "seq_len": seq_len, "steps": steps,
        "seconds": round(elapsed, 3), "steps_per_second": round(steps / elapsed, 4),
        "utterances_per_second": round(steps * batch_size / elapsed, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def inference_per_second(
    config: str = "kobert-size", batch_size: int = 32, seq_len: int = 32, batches: int = 5,
    device: str | None = None,
) -> dict[str, Any]:
    """Utterances classified per second under ``torch.inference_mode``."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = _build(config, device).eval()
    ids = torch.randint(5, CONFIGS[config]["vocab_size"], (batch_size, seq_len), device=device)
    with torch.inference_mode():
        model(input_ids=ids)
        start = time.perf_counter()
        for _ in range(batches):
            model(input_ids=ids).logits.softmax(-1)
        elapsed = time.perf_counter() - start
    return {"config": config, "device": device, "batch_size": batch_size, "seq_len": seq_len,
            "utterances_per_second": round(batches * batch_size / elapsed, 1)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m training.bench_kobert", description=__doc__)
    p.add_argument("--config", choices=sorted(CONFIGS), default="kobert-size")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--inference", action="store_true", help="also time inference")
    ns = p.parse_args(argv)
    result = {"train": steps_per_second(ns.config, ns.batch_size, ns.seq_len, ns.steps,
                                        device=ns.device)}
    if ns.inference:
        result["inference"] = inference_per_second(ns.config, device=ns.device)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
