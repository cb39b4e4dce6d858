"""The fast KoBERT path: export a model folder to int8 ONNX and serve the same answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import kobert_fixtures
import pytest

from core.errors import ModelError

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")



# Phrasings not in the fixture's training sentences, one per category.
UNSEEN = {
    "감정/우울감": "요새 계속 우울하네요",
    "증상/불면": "어젯밤에도 잠을 못 잤어요",
    "배경/직장": "회사 상사가 너무 힘들게 해요",
    "증상/식욕저하": "입맛이 없어서 밥을 못 먹겠어요",
}


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny KoBERT model folder whose head was trained until it is confident.

    Agreement between random logits would prove nothing, so the tiny BERT is fitted on
    the fixture sentences first (full batch, a few hundred milliseconds).
    """
    import torch

    from training.kobert.args import KoBertArgs
    from training.kobert.checkpoint import TrainerState
    from training.kobert.model import build_model
    from training.kobert.save import save_model_folder
    from training.kobert.train_loop import TrainResult

    base = kobert_fixtures.build_base(tmp_path_factory.mktemp("base"))
    labels = sorted(kobert_fixtures.TINY_DATA)
    model, tokenizer = build_model(str(base), labels)
    texts = [t for c in labels for t in kobert_fixtures.TINY_DATA[c]]
    target = torch.tensor([labels.index(c) for c in labels for _ in kobert_fixtures.TINY_DATA[c]])
    enc = tokenizer(texts, padding="longest", return_tensors="pt")
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(**enc).logits, target)
        loss.backward()
        opt.step()
    model.eval()
    result = TrainResult(model, tokenizer, labels, TrainerState(), stopped_early=False)
    out = tmp_path_factory.mktemp("model")
    save_model_folder(result, out, KoBertArgs(base=str(base)), kobert_fixtures.TINY_ANSWERS, "h" * 64)
    return out


@pytest.fixture(scope="module")
def exported_dir(trained_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from core.classify.onnx_runtime import export_onnx

    folder = tmp_path_factory.mktemp("exported") / "model"
    shutil.copytree(trained_dir, folder)
    export_onnx(folder)
    return folder


def _texts() -> list[str]:
    return [t for texts in kobert_fixtures.TINY_DATA.values() for t in texts] + list(UNSEEN.values())


@pytest.mark.slow
def test_export_writes_one_int8_model_and_serves_the_torch_answers(exported_dir):
    from core.classify.kobert import KoBertClassifier
    from core.classify.onnx_runtime import ONNX_FILE, ONNX_META, OnnxKoBertClassifier

    files = {p.name for p in exported_dir.iterdir()}
    assert {ONNX_FILE, ONNX_META} <= files
    assert not [f for f in files if f.endswith((".partial", ".pkl", ".pt", ".bin"))]
    int8_mb = (exported_dir / ONNX_FILE).stat().st_size
    assert int8_mb < (exported_dir / "model.safetensors").stat().st_size

    fast = OnnxKoBertClassifier.load(exported_dir)
    slow = KoBertClassifier.load(exported_dir)
    assert list(fast.labels) == list(slow.labels)
    assert fast.model_id.endswith("+int8") and fast.model_id.startswith(slow.model_id)

    texts = _texts()
    fast_preds = fast.predict(texts, top_k=3)
    slow_preds = slow.predict(texts, top_k=3)
    agree = sum(a.category == b.category for a, b in zip(fast_preds, slow_preds, strict=True))
    assert agree / len(texts) >= 0.95
    for a, b in zip(fast_preds, slow_preds, strict=True):
        assert abs(a.confidence - b.confidence) < 0.1
    # the served model really learned the categories, so the agreement above means something
    for cat, text in UNSEEN.items():
        assert fast.predict([text])[0].category == cat


def test_predictions_are_well_formed(exported_dir):
    from core.classify.onnx_runtime import OnnxKoBertClassifier

    model = OnnxKoBertClassifier.load(exported_dir)
    [p] = model.predict(["밤에 잠을 못 자요"], top_k=3)
    probs = [prob for _, prob in p.top_k]
    assert len(p.top_k) == 3 and probs == sorted(probs, reverse=True)
    assert (p.category, p.confidence) == p.top_k[0]
    assert all(0.0 < prob <= 1.0 for prob in probs)
    assert len(model.predict(["잠"], top_k=50)[0].top_k) == len(model.labels)
    assert model.predict([]) == []


def test_a_text_gets_the_same_answer_alone_or_in_a_mixed_batch(exported_dir):
    """Length-sorted sub-batches must hand each text back its own scores, in order.

    Dynamic int8 scales activations per batch, so scores move slightly with the company a
    text keeps; its answer must not.
    """
    import numpy as np

    from core.classify.onnx_runtime import OnnxKoBertClassifier

    model = OnnxKoBertClassifier.load(exported_dir)
    texts = _texts() + ["회사 일이 너무 많아서 밤에 잠도 못 자고 밥맛도 없고 계속 우울해요 " * 3]
    together = model.logits(texts)
    alone = np.stack([model.logits([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=0.15)
    assert (together.argmax(1) == alone.argmax(1)).all()


def test_fp32_export_matches_pytorch(trained_dir, tmp_path):
    """Without quantisation the graph is the same function: the export itself is exact."""
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification

    from core.classify.kobert import load_kobert_tokenizer
    from core.classify.onnx_runtime import OnnxKoBertClassifier, export_model, make_session

    model = AutoModelForSequenceClassification.from_pretrained(str(trained_dir)).eval()
    path = export_model(model, tmp_path / "fp32.onnx", quantize=False)
    tokenizer = load_kobert_tokenizer(trained_dir)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    onnx_model = OnnxKoBertClassifier(make_session(path), tokenizer, labels)
    texts = _texts()
    enc = tokenizer(texts, padding="longest", return_tensors="pt")
    with torch.inference_mode():
        expected = model(**enc).logits.numpy()
    assert np.allclose(onnx_model.logits(texts), expected, atol=1e-4)


def test_a_stale_export_is_refused_and_serving_falls_back_to_pytorch(exported_dir, tmp_path):
    """Retraining in place without re-exporting must never serve the old network."""
    from safetensors.torch import load_file, save_file

    from core.classify.kobert import KoBertClassifier, load_serving_classifier
    from core.classify.onnx_runtime import OnnxKoBertClassifier, export_is_current

    folder = tmp_path / "retrained"
    shutil.copytree(exported_dir, folder)
    weights = load_file(str(folder / "model.safetensors"))
    name = next(k for k in weights if k.startswith("classifier"))
    weights[name] = weights[name] + 1.0
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})

    assert export_is_current(exported_dir)
    assert not export_is_current(folder)
    with pytest.raises(ModelError, match="export_onnx"):
        OnnxKoBertClassifier.load(folder)
    assert isinstance(load_serving_classifier(folder), KoBertClassifier)
    assert isinstance(load_serving_classifier(exported_dir), OnnxKoBertClassifier)


def test_a_damaged_onnx_file_says_how_to_recover(exported_dir, tmp_path):
    from core.classify.onnx_runtime import ONNX_FILE, make_session

    bad = tmp_path / ONNX_FILE
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="Re-export"):
        make_session(bad)


def test_exporting_a_linear_folder_is_refused(tmp_path):
    from core.classify.model_folder import Manifest, write_manifest
    from core.classify.onnx_runtime import export_onnx

    write_manifest(tmp_path, Manifest(backend="linear", labels=["a", "b"]), {})
    with pytest.raises(ModelError, match="only transformer models"):
        export_onnx(tmp_path)


def test_the_model_loader_serves_the_int8_export_when_there_is_one(exported_dir, trained_dir):
    """What `buddy serve` gets for a KoBERT folder: ONNX when exported, PyTorch otherwise."""
    from core.classify.kobert import KoBertClassifier
    from core.classify.loader import load_model
    from core.classify.onnx_runtime import OnnxKoBertClassifier

    served = load_model(exported_dir)
    assert isinstance(served, OnnxKoBertClassifier)
    assert served.predict([UNSEEN["증상/불면"]])[0].category == "증상/불면"
    assert isinstance(load_model(trained_dir), KoBertClassifier)
    assert isinstance(KoBertClassifier.load(exported_dir, prefer_onnx=False), KoBertClassifier)


# --- the calibrated export (SmoothQuant + 8-bit block weights) ----------------------------
def _training_texts() -> list[str]:
    return [t for texts in kobert_fixtures.TINY_DATA.values() for t in texts]


@pytest.fixture(scope="module")
def calibrated_dir(trained_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `buddy train` leaves: the export calibrated on the training sentences."""
    from core.classify.onnx_runtime import export_onnx

    folder = tmp_path_factory.mktemp("calibrated") / "model"
    shutil.copytree(trained_dir, folder)
    export_onnx(folder, calibration_texts=_training_texts())
    return folder


def test_the_calibrated_export_answers_as_fp32_does_and_records_how_it_was_made(calibrated_dir):
    import json

    from core.classify.kobert import KoBertClassifier, load_serving_classifier
    from core.classify.onnx_runtime import EXPORT_FORMAT, ONNX_META, OnnxKoBertClassifier

    meta = json.loads((calibrated_dir / ONNX_META).read_text(encoding="utf-8"))
    assert meta["export_format"] == EXPORT_FORMAT and meta["scheme"] == "block8"
    assert meta["calibration_utterances"] == len(set(_training_texts()))
    assert "SmoothQuant" in meta["quantization"]

    served = load_serving_classifier(calibrated_dir)
    assert isinstance(served, OnnxKoBertClassifier)
    fp32 = KoBertClassifier.load(calibrated_dir, prefer_onnx=False)
    texts = _texts()
    for fast, slow in zip(served.predict(texts, 3), fp32.predict(texts, 3), strict=True):
        assert fast.category == slow.category
        assert fast.confidence == pytest.approx(slow.confidence, abs=0.05)


def test_an_export_of_the_older_format_is_refused_and_pytorch_serves(calibrated_dir, tmp_path):
    """A folder exported by an older Buddy (no export_format: the dynamic int8 of format 1)."""
    import json

    from core.classify.kobert import KoBertClassifier, load_serving_classifier
    from core.classify.onnx_runtime import ONNX_META, OnnxKoBertClassifier, export_is_current

    folder = tmp_path / "old"
    shutil.copytree(calibrated_dir, folder)
    meta = json.loads((folder / ONNX_META).read_text(encoding="utf-8"))
    del meta["export_format"]
    (folder / ONNX_META).write_text(json.dumps(meta), encoding="utf-8")

    assert not export_is_current(folder)
    with pytest.raises(ModelError, match="export format 1.*re-export"):
        OnnxKoBertClassifier.load(folder)
    assert isinstance(load_serving_classifier(folder), KoBertClassifier)


def test_smoothquant_scaling_computes_the_same_function_in_fp32(trained_dir):
    """The scaling only moves outliers between activations and weights; in fp32 nothing changes."""
    import copy

    import torch

    from core.classify.kobert import load_kobert_tokenizer
    from core.classify.onnx_runtime import calibration_batches
    from core.classify.pooling import load_sequence_classifier
    from core.classify.smoothing import input_maxima, smooth_encoder

    model = load_sequence_classifier(trained_dir).eval()
    tokenizer = load_kobert_tokenizer(trained_dir)
    scaled = copy.deepcopy(model)
    maxima = input_maxima(scaled, calibration_batches(tokenizer, _training_texts(), 64))
    assert smooth_encoder(scaled, maxima, alpha=0.8) == model.config.num_hidden_layers
    enc = tokenizer(_texts(), padding="longest", return_tensors="pt")
    with torch.inference_mode():
        assert torch.allclose(scaled(**enc).logits, model(**enc).logits, atol=1e-4)


def test_the_dynamic_scheme_still_exports_and_an_unknown_one_is_refused(trained_dir, tmp_path):
    import json

    from core.classify.kobert import KoBertClassifier
    from core.classify.onnx_runtime import ONNX_META, OnnxKoBertClassifier, export_onnx

    folder = tmp_path / "model"
    shutil.copytree(trained_dir, folder)
    export_onnx(folder, scheme="dynamic8", calibration_texts=_training_texts())
    assert json.loads((folder / ONNX_META).read_text(encoding="utf-8"))["scheme"] == "dynamic8"
    texts = _texts()
    fast = [p.category for p in OnnxKoBertClassifier.load(folder).predict(texts, 1)]
    slow = [p.category for p in KoBertClassifier.load(folder, prefer_onnx=False).predict(texts, 1)]
    assert sum(a == b for a, b in zip(fast, slow, strict=True)) / len(texts) >= 0.95
    with pytest.raises(ModelError, match="block8"):
        export_onnx(folder, scheme="int3")
