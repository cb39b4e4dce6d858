"""``buddy bench inference``: how fast a KoBERT-sized classifier answers one message.

Three ways to run the same network on the same real-length utterances, timed side by side
(interleaved message by message, so load from other processes hits all of them alike):

- **seed** — fp32 eager PyTorch, one message at a time, padded to 512 tokens, under
  ``no_grad``: what the original Flask app did;
- **baseline** — a strong plain baseline: fp32 eager PyTorch under ``inference_mode``, one
  message at a time, padded only to its own length (:class:`KoBertClassifier`);
- **optimized** — Buddy's serving path: the int8 ONNX export
  (:mod:`core.classify.onnx_quantize`) run by ONNX Runtime (:class:`OnnxKoBertClassifier`),
  with messages that arrive together micro-batched by :func:`core.inference.classifier_worker`.

Without ``--model`` the network is KoBERT's shape (vocabulary 8,002, hidden 768, 12 layers,
12 heads, 359 labels) with random encoder weights. Top-1 agreement between random logits
would mean nothing, so the classifier head (pooler + output layer) is first trained on the
frozen encoder's [CLS] vectors of our own dataset (``data/dataset``) until its predictions
are confident, then agreement is measured on held-out utterances. KoBERT's SentencePiece
vocabulary cannot be downloaded, so utterances are split into characters (a WordPiece
vocabulary of every character in the dataset, padded with unused entries to 8,002).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import config_json
from bench.kobert_shaped import (
    KOBERT_SHAPE,
    TINY_SHAPE,
    build_bench_model,
    load_split,
    seed_predict,
)
from bench.measure import ms_summary, percentile, rss_mb

log = logging.getLogger(__name__)

CONFIDENT = 0.30  # Buddy's default confidence threshold (Settings.confidence_threshold)


@dataclass
class InferenceBenchConfig:
    """What to measure; ``quick()`` is the seconds-long variant the tests run."""

    data_dir: Path
    model_dir: Path | None = None
    shape: str = "kobert"              # "kobert" or "tiny" (ignored with model_dir)
    latency_messages: int = 50         # baseline and optimized, one at a time each
    seed_messages: int = 12            # the 512-padded seed path is slow: fewer
    agreement_messages: int = 300      # held-out utterances for top-1 agreement
    concurrency: int = 32              # messages arriving together
    rounds: int = 3                    # concurrent rounds per method
    head_epochs: int = 300
    train_per_category: int = 6
    threads: int | None = None         # None: every core (2 here)
    candidates: bool = True            # also time torch dynamic int8 for comparison
    seed: int = 0

    @classmethod
    def quick(cls, data_dir: Path) -> InferenceBenchConfig:
        return cls(data_dir=data_dir, shape="tiny", latency_messages=6, seed_messages=2,
                   agreement_messages=40, concurrency=8, rounds=1, head_epochs=150,
                   train_per_category=4, candidates=False)


# --- timing ------------------------------------------------------------------------------
def _timed_interleaved(fns: dict[str, Callable[[str], Any]], texts: Sequence[str],
                       warmup: int = 2) -> dict[str, list[float]]:
    """Time each function on each text, alternating the order so contention is shared."""
    for name, fn in fns.items():
        for t in texts[:warmup]:
            fn(t)
        log.debug("warmed up %s", name)
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for i, text in enumerate(texts):
        for name in names if i % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            fns[name](text)
            times[name].append(time.perf_counter() - started)
    return times


async def _concurrent_round(classifier: Any, texts: Sequence[str]) -> tuple[float, list[float]]:
    """All ``texts`` arrive at once through the micro-batching runner; wall time + latencies."""
    from core.inference import classifier_worker

    runner = classifier_worker(classifier, max_batch=len(texts))
    lat: list[float] = []

    async def one(text: str) -> None:
        t0 = time.perf_counter()
        await runner.submit(text)
        lat.append(time.perf_counter() - t0)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(t) for t in texts))
        return time.perf_counter() - started, lat
    finally:
        await runner.aclose()


def _sequential_round(classifier: Any, texts: Sequence[str]) -> float:
    """A plain server: the same burst answered one message at a time."""
    started = time.perf_counter()
    for t in texts:
        classifier.predict([t], 1)
    return time.perf_counter() - started


def _top1(classifier: Any, texts: Sequence[str]) -> list[str]:
    return [p.category for p in classifier.predict(list(texts), 1)]


# --- the benchmark -------------------------------------------------------------------------
def run_inference_bench(cfg: InferenceBenchConfig) -> dict[str, Any]:
    """Run every measurement and return the figures as a JSON-ready dict."""
    import onnxruntime
    import torch
    import transformers

    from core.classify.kobert import KoBertClassifier, load_kobert_tokenizer
    from core.classify.model_folder import read_manifest
    from core.classify.onnx_runtime import (
        ONNX_FILE,
        OnnxKoBertClassifier,
        calibration_batches,
        export_is_current,
        export_model,
        export_onnx,
        make_session,
    )
    from core.classify.pooling import load_sequence_classifier

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    load_start = os.getloadavg()
    rss_start = rss_mb()
    train, held = load_split(cfg.data_dir, cfg.seed, cfg.train_per_category)
    tmp = tempfile.TemporaryDirectory(prefix="buddy-bench-")
    try:
        if cfg.model_dir is None:
            folder = Path(tmp.name) / "kobert-shaped"
            shape = KOBERT_SHAPE if cfg.shape == "kobert" else TINY_SHAPE
            reference = build_bench_model(folder, shape, train,
                                          [t for t, _ in train + held], cfg.head_epochs, cfg.seed)
            t0 = time.perf_counter()
            export_onnx(folder, calibration_texts=[t for t, _ in train])
            export_s = time.perf_counter() - t0
            onnx_path = folder / ONNX_FILE
        else:
            folder = Path(cfg.model_dir)
            reference = {"method": f"the trained model in {folder}"}
            t0 = time.perf_counter()
            if export_is_current(folder):
                onnx_path = folder / ONNX_FILE
            else:
                # The folder's export is missing, stale or of an older format: export into
                # a temporary folder, calibrated on this benchmark's own training utterances.
                model = load_sequence_classifier(folder)
                batches = calibration_batches(
                    load_kobert_tokenizer(folder), [t for t, _ in train],
                    int(read_manifest(folder).extra.get("max_length", 64)))
                onnx_path = export_model(model, Path(tmp.name) / ONNX_FILE, calibration=batches)
                del model
            export_s = time.perf_counter() - t0
        manifest = read_manifest(folder)
        max_length = int(manifest.extra.get("max_length", 64))
        tokenizer = load_kobert_tokenizer(folder)
        torch_model = load_sequence_classifier(folder).eval()
        baseline = KoBertClassifier(torch_model, tokenizer, manifest.labels, max_length=max_length)
        rss_baseline = rss_mb()
        optimized = OnnxKoBertClassifier(make_session(onnx_path, cfg.threads), tokenizer,
                                         manifest.labels, max_length=max_length)
        rss_optimized = rss_mb()

        # Held-out utterances; with --model they are just real-length test sentences.
        texts = [t for t, _ in held]
        gold = [c for _, c in held]
        latency_texts = texts[: cfg.latency_messages]
        agree_texts = texts[: cfg.agreement_messages]
        token_lengths = [len(x) for x in tokenizer(agree_texts, truncation=True,
                                                   max_length=max_length)["input_ids"]]

        fns: dict[str, Callable[[str], Any]] = {
            "baseline": lambda t: baseline.predict([t], 1),
            "optimized": lambda t: optimized.predict([t], 1),
        }
        torch_int8 = None
        if cfg.candidates:
            torch_int8 = KoBertClassifier(
                torch.ao.quantization.quantize_dynamic(copy.deepcopy(torch_model),
                                                       {torch.nn.Linear}, dtype=torch.qint8),
                tokenizer, manifest.labels, max_length=max_length)
            fns["torch_dynamic_int8"] = lambda t: torch_int8.predict([t], 1)
        log.info("timing %d messages one at a time", len(latency_texts))
        times = _timed_interleaved(fns, latency_texts)
        seed_fn = seed_predict(torch_model, tokenizer)
        seed_times = _timed_interleaved(
            {"seed": seed_fn, "baseline": fns["baseline"]}, latency_texts[: cfg.seed_messages],
            warmup=1)

        log.info("agreement on %d held-out utterances", len(agree_texts))
        ref_top1 = _top1(baseline, agree_texts)
        opt_top1 = _top1(optimized, agree_texts)
        agreement = sum(a == b for a, b in zip(ref_top1, opt_top1, strict=True)) / len(agree_texts)
        ref_preds = baseline.predict(agree_texts, 1)
        # Where the reference itself is unsure, a near-tie can flip; Buddy answers from the
        # category only above its confidence threshold (0.30), so report agreement there too.
        sure = [i for i, p in enumerate(ref_preds) if p.confidence >= CONFIDENT]
        agreement_sure = (sum(ref_top1[i] == opt_top1[i] for i in sure) / len(sure)
                          if sure else float("nan"))
        if cfg.model_dir is None:
            reference.update({
                "heldout_accuracy": round(sum(p == g for p, g in zip(
                    ref_top1, gold, strict=False)) / len(agree_texts), 4),
                "heldout_mean_confidence": round(statistics.fmean(
                    p.confidence for p in ref_preds), 4),
                "heldout_distinct_predictions": len(set(ref_top1)),
                "categories_trained": len({c for _, c in train}),
            })

        log.info("bursts of %d concurrent messages", cfg.concurrency)
        base_seq, base_batched, opt_wall, opt_lat = [], [], [], []
        for r in range(cfg.rounds):
            burst = [texts[(r * cfg.concurrency + i) % len(texts)] for i in range(cfg.concurrency)]
            base_seq.append(_sequential_round(baseline, burst))
            wall, lat = asyncio.run(_concurrent_round(optimized, burst))
            opt_wall.append(wall)
            opt_lat += lat
            base_batched.append(asyncio.run(_concurrent_round(baseline, burst))[0])

        candidates: dict[str, Any] = {"onnx_int8": {
            **ms_summary(times["optimized"]), "agreement": round(agreement, 4)}}
        if torch_int8 is not None:
            cand_top1 = _top1(torch_int8, agree_texts)
            candidates["torch_dynamic_int8"] = {
                **ms_summary(times["torch_dynamic_int8"]),
                "agreement": round(sum(a == b for a, b in zip(ref_top1, cand_top1, strict=True))
                                   / len(agree_texts), 4)}

        n_burst = cfg.concurrency * cfg.rounds
        base = ms_summary(times["baseline"])
        opt = ms_summary(times["optimized"])
        seed = ms_summary(seed_times["seed"])
        weights = folder / "model.safetensors"
        return {
            "benchmark": "inference",
            "quick": cfg.shape == "tiny" and cfg.model_dir is None,
            "model": {"source": str(cfg.model_dir) if cfg.model_dir else f"random-{cfg.shape}",
                      "labels": len(manifest.labels), "max_length": max_length,
                      "hidden": int(torch_model.config.hidden_size),
                      "layers": int(torch_model.config.num_hidden_layers),
                      "vocab": int(torch_model.config.vocab_size)},
            "seed_p50_ms": seed["p50_ms"],
            "baseline_p50_ms": base["p50_ms"],
            "optimized_p50_ms": opt["p50_ms"],
            "speedup": round(base["p50_ms"] / opt["p50_ms"], 2),
            "speedup_over_seed": round(seed["p50_ms"] / opt["p50_ms"], 2),
            "seed_p90_ms": seed["p90_ms"],
            "baseline_p90_ms": base["p90_ms"],
            "optimized_p90_ms": opt["p90_ms"],
            "baseline_p50_ms_beside_seed": ms_summary(seed_times["baseline"])["p50_ms"],
            "concurrency": cfg.concurrency,
            "baseline_throughput_msgs_per_s": round(n_burst / sum(base_seq), 1),
            "baseline_batched_throughput_msgs_per_s": round(n_burst / sum(base_batched), 1),
            "optimized_throughput_msgs_per_s": round(n_burst / sum(opt_wall), 1),
            "optimized_burst_latency_p50_ms": round(percentile(opt_lat, 0.5) * 1000, 2),
            "optimized_burst_latency_p99_ms": round(percentile(opt_lat, 0.99) * 1000, 2),
            "agreement": round(agreement, 4),
            "agreement_n": len(agree_texts),
            "agreement_reference_confident": round(agreement_sure, 4),
            "agreement_reference_confident_n": len(sure),
            "agreement_confidence_threshold": CONFIDENT,
            "reference": reference,
            "candidates": candidates,
            "optimized_path": "ONNX Runtime CPU, model.int8.onnx (SmoothQuant-scaled encoder, "
                              "8-bit block weights with int8 compute (MatMulNBits), "
                              "pooler+classifier fp32, ORT_ENABLE_ALL fusions), "
                              "length-sorted micro-batches via classifier_worker",
            "messages": {"latency": len(latency_texts), "seed": len(seed_times["seed"]),
                         "tokens_p50": percentile(token_lengths, 0.5),
                         "tokens_min": min(token_lengths), "tokens_max": max(token_lengths)},
            "memory_mb": {
                "rss_start": rss_start, "rss_after_torch_fp32": rss_baseline,
                "rss_after_onnx_int8": rss_optimized, "rss_end": rss_mb(),
                "onnx_int8_delta": round(rss_optimized - rss_baseline, 1),
                "file_fp32_safetensors": round(weights.stat().st_size / 1e6, 1),
                "file_int8_onnx": round(onnx_path.stat().st_size / 1e6, 1),
            },
            "export_seconds": round(export_s, 1),
            "environment": {
                "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                "ort_threads": cfg.threads or min(os.cpu_count() or 1, 8),
                "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
                "transformers": transformers.__version__, "python": platform.python_version(),
                "loadavg_start": [round(x, 2) for x in load_start],
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            },
            "config": config_json(cfg),
        }
    finally:
        tmp.cleanup()
