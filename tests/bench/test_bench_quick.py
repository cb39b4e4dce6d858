"""``buddy bench`` runs end to end and reports sane figures (never judged on speed here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _buddy(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True,
        timeout=timeout, env=env, check=False,
    )


def _json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.kobert
def test_inference_quick_reports_all_three_ways_and_their_agreement():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    result = _json(_buddy("bench", "inference", "--quick", "--json"))

    for key in ("seed_p50_ms", "baseline_p50_ms", "optimized_p50_ms",
                "baseline_throughput_msgs_per_s", "optimized_throughput_msgs_per_s"):
        assert result[key] > 0, key
    assert result["speedup"] == pytest.approx(
        result["baseline_p50_ms"] / result["optimized_p50_ms"], rel=0.02)
    assert 0.0 <= result["agreement"] <= 1.0
    assert result["agreement_n"] == 40
    assert result["model"]["layers"] == 2 and result["model"]["labels"] == 359
    assert result["reference"]["train_utterances"] > 0
    memory = result["memory_mb"]
    assert memory["rss_end"] > 0
    # The tiny model is mostly its embedding table, which the int8 export keeps fp32 (see
    # core/classify/onnx_quantize.py); on real models the file is smaller (e5: 163 vs 225 MB).
    assert 0 < memory["file_int8_onnx"] <= 1.1 * memory["file_fp32_safetensors"]
    assert 3 <= result["messages"]["tokens_p50"] <= 64


def test_serve_quick_logs_every_message_of_every_user():
    result = _json(_buddy("bench", "serve", "--quick", "--json", "--users", "4",
                          "--messages-per-user", "3"))

    assert result["messages_sent"] == 12 and result["replies"] == 12
    assert result["rows_logged"] == result["rows_expected"] == 24
    assert result["rows_by_role"] == {"bot": 12, "user": 12}
    assert result["every_message_logged"] is True
    assert result["unique_texts"] == 12
    assert 0 < result["latency_p50_ms"] <= result["latency_p99_ms"]
    assert result["throughput_msgs_per_s"] > 0
    assert sum(result["reply_kinds"].values()) == 12


def test_serve_reports_durable_beside_background_and_group_commit():
    result = _json(_buddy("bench", "serve", "--quick", "--json", "--users", "6",
                          "--messages-per-user", "2"))
    assert result["durable"] is True and result["background"]["durable"] is False
    for mode in (result, result["background"]):
        assert mode["rows_logged"] == mode["rows_expected"] == 24
    assert result["turns_journaled_before_reply"] == 12  # every reply waited for its fsync
    assert 1 <= result["journal_fsyncs"] <= 12
    assert result["turns_per_fsync"] == pytest.approx(12 / result["journal_fsyncs"], abs=0.1)


def test_http_quick_answers_over_real_http_and_logs_every_answer_once():
    result = _json(_buddy("bench", "http", "--quick", "--json", "--duration", "2"))
    assert result["connections"] >= 50
    assert result["replies"] > 0 and result["errors"] == {}
    assert result["rows_logged"] == result["rows_expected"] == 2 * result["replies"]
    assert result["every_answer_logged_once"] is True
    assert result["server_exit_code"] == 0
    assert 0 < result["latency_p50_ms"] <= result["latency_p99_ms"]


def test_serve_prints_a_readable_table_without_json():
    proc = _buddy("bench", "serve", "--quick", "--users", "2", "--messages-per-user", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rows logged" in proc.stdout and "latency p99 ms" in proc.stdout


@pytest.mark.kobert
def test_base_writes_a_kobert_layout_that_the_trainer_accepts(tmp_path: Path):
    """`buddy bench base`: what a user without monologg/kobert trains from (GPU rehearsal)."""
    pytest.importorskip("torch")
    pytest.importorskip("sentencepiece")
    from core.classify.kobert import load_kobert_tokenizer
    from training.kobert.model import resolve_base

    out = tmp_path / "base"
    info = _json(_buddy("bench", "base", "--tiny", "--out", str(out),
                        "--data", str(ROOT / "data" / "dataset")))

    assert resolve_base(str(out)) == out
    for name in ("config.json", "model.safetensors", "tokenizer_78b3253a26.model", "vocab.txt"):
        assert (out / name).is_file(), name
    vocab = (out / "vocab.txt").read_text(encoding="utf-8").split("\n")
    assert vocab[:5] == ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]  # KoBERT's order
    assert info["tokenizer_pieces"] <= info["vocab_size"]
    tokenizer = load_kobert_tokenizer(out)
    ids = tokenizer("요즘 잠을 못 자서 너무 힘들어요")["input_ids"]
    assert tokenizer.unk_token_id not in ids and len(ids) > 3


@pytest.mark.kobert
def test_base_can_be_pretrained_by_masked_lm_and_still_trains(tmp_path: Path):
    """`--mlm-seconds`: the encoder written back is a plain BERT the trainer loads."""
    pytest.importorskip("torch")
    pytest.importorskip("sentencepiece")
    from safetensors.numpy import load_file

    from training.kobert.model import build_model

    random_base, pretrained = tmp_path / "random", tmp_path / "mlm"
    for out, extra in ((random_base, []), (pretrained, ["--mlm-seconds", "3"])):
        info = _json(_buddy("bench", "base", "--tiny", "--out", str(out),
                            "--data", str(ROOT / "data" / "dataset"), *extra))
    assert info["mlm_steps"] > 0 and info["mlm_loss_last50"] > 0

    before = load_file(str(random_base / "model.safetensors"))
    after = load_file(str(pretrained / "model.safetensors"))
    key = next(k for k in before if k.endswith("word_embeddings.weight"))
    assert before[key].shape == after[key].shape
    assert (before[key] != after[key]).any(), "masked-LM steps must change the encoder"
    model, _ = build_model(str(pretrained), ["가", "나"])
    assert model.config.num_labels == 2
