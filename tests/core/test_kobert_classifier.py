"""Serving a KoBERT model folder through the core: loading, predicting, refusing bad folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kobert_fixtures
import pytest

from core.classify.model_folder import MANIFEST, read_manifest
from core.errors import ModelError

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained but complete KoBERT model folder (random tiny weights)."""
    pytest.importorskip("torch")
    from training.kobert.args import KoBertArgs
    from training.kobert.checkpoint import TrainerState
    from training.kobert.model import build_model
    from training.kobert.save import save_model_folder
    from training.kobert.train_loop import TrainResult

    base = kobert_fixtures.build_base(tmp_path_factory.mktemp("base"))
    labels = sorted(kobert_fixtures.TINY_DATA)
    model, tokenizer = build_model(str(base), labels)
    result = TrainResult(model, tokenizer, labels, TrainerState(), stopped_early=False)
    out = tmp_path_factory.mktemp("model")
    save_model_folder(result, out, KoBertArgs(base=str(base)), kobert_fixtures.TINY_ANSWERS, "h" * 64)
    return out


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_the_loader_serves_a_kobert_folder(model_dir):
    from core.classify.kobert import KoBertClassifier
    from core.classify.loader import load_model

    model = load_model(model_dir)
    assert isinstance(model, KoBertClassifier)
    assert model.model_id == read_manifest(model_dir).model_id  # "<base name>-<weights hash>"
    assert list(model.labels) == sorted(kobert_fixtures.TINY_DATA)

    [p] = model.predict(["밤에 잠을 못 자요"], top_k=3)
    probs = [prob for _, prob in p.top_k]
    assert len(p.top_k) == 3
    assert probs == sorted(probs, reverse=True)
    assert (p.category, p.confidence) == p.top_k[0]
    assert all(0.0 < prob <= 1.0 for prob in probs) and sum(probs) <= 1.0 + 1e-6
    assert {c for c, _ in p.top_k} <= set(model.labels)
    assert len(model.predict(["잠"], top_k=50)[0].top_k) == len(model.labels)
    assert model.predict([]) == []


def test_a_text_gets_the_same_answer_alone_or_beside_a_long_one(model_dir):
    from core.classify.kobert import KoBertClassifier

    model = KoBertClassifier.load(model_dir)
    short = "우울해요"
    [alone] = model.predict([short], top_k=4)
    together = model.predict([short, "회사 일이 너무 많아서 야근이 계속돼서 정말 지쳤어요 " * 3], top_k=4)
    assert together[0].category == alone.category
    for (c1, p1), (c2, p2) in zip(alone.top_k, together[0].top_k, strict=True):
        assert c1 == c2 and p1 == pytest.approx(p2, abs=1e-5)


def test_damaged_weights_are_refused_with_what_to_do(model_dir, tmp_path):
    from core.classify.loader import load_model

    broken = _copy(model_dir, tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelError, match="damaged|retrain|Retrain") as err:
        load_model(broken)
    assert str(broken) in str(err.value)


def test_missing_tokenizer_is_refused(model_dir, tmp_path):
    from core.classify.kobert import KoBertClassifier

    broken = _copy(model_dir, tmp_path / "no-tokenizer")
    for name in ("vocab.txt", "tokenizer_78b3253a26.model", "tokenizer_config.json"):
        (broken / name).unlink()
    with pytest.raises(ModelError, match="tokenizer"):
        KoBertClassifier.load(broken)


def test_labels_that_do_not_match_the_head_are_refused(model_dir, tmp_path):
    from core.classify.kobert import KoBertClassifier

    mixed = _copy(model_dir, tmp_path / "mixed")
    manifest = json.loads((mixed / MANIFEST).read_text(encoding="utf-8"))
    manifest["labels"] = manifest["labels"][:-1] + ["기타/다른모델"]
    (mixed / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="different trainings"):
        KoBertClassifier.load(mixed)


def test_a_folder_of_another_backend_is_refused(model_dir, tmp_path):
    from core.classify.kobert import KoBertClassifier

    other = _copy(model_dir, tmp_path / "other")
    manifest = json.loads((other / MANIFEST).read_text(encoding="utf-8"))
    manifest["backend"] = "linear"
    (other / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match="not a transformer one"):
        KoBertClassifier.load(other)


def test_the_core_imports_without_torch_and_says_how_to_install_it(tmp_path):
    (tmp_path / MANIFEST).write_text(
        json.dumps({"format": "buddy-model", "format_version": 1, "backend": "kobert",
                    "labels": ["a"]}), encoding="utf-8")
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    script = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if torch were not installed\n"
        "import core.classify.kobert as k\n"
        "from core.errors import ModelError\n"
        "try:\n"
        f"    k.KoBertClassifier.load({str(tmp_path)!r})\n"
        "except ModelError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=True, timeout=120)
    assert "pip install" in done.stdout and "kobert" in done.stdout
