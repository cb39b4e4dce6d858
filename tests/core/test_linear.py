"""The embedded linear backend: train → folder → load → predict, and its failure modes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from core.classify.base import Classifier
from core.classify.embedded import default_model_dir, trained_default_model
from core.classify.linear import LinearClassifier
from core.classify.loader import load_answers, load_model
from core.dataset.records import Dataset, Example
from core.errors import ModelError
from training import linear
from training.default_model import ensure_default_model
from training.linear import ancestor_groups, train_linear

# Made-up utterances, clearly separable, so a correct model must get them right.
UTTERANCES = {
    "감정/우울감": ["요즘 너무 우울해", "우울해서 아무것도 못 하겠어", "기분이 우울하고 처져",
                 "계속 우울한 기분이 들어", "우울감이 심해졌어요", "우울해서 눈물이 나"],
    "증상/불면": ["잠이 안 와요", "밤새 잠을 못 잤어", "불면증 때문에 힘들어",
               "새벽까지 잠이 안 오네", "잠들기가 너무 어려워", "요즘 잠을 설쳐요"],
    "일반대화/인사": ["안녕하세요", "안녕 반가워", "좋은 아침이에요",
                  "버디야 안녕", "처음 뵙겠습니다 안녕하세요", "안녕 오랜만이야"],
}
ANSWERS = {"증상/불면": ["잠들기 전 따뜻한 차 한 잔 어떠세요?"]}


def tiny() -> Dataset:
    return Dataset([Example(t, c) for c, ts in UTTERANCES.items() for t in ts], dict(ANSWERS))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("linear")
    train_linear(tiny(), folder, seed=42, data_hash="abc")
    return folder


def test_folder_is_complete_and_pickle_free(model_dir: Path) -> None:
    names = {p.name for p in model_dir.iterdir()}
    assert {"buddy_model.json", "answers.json", "linear.json", "linear.safetensors"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib", ".pt", ".bin"))]
    manifest = json.loads((model_dir / "buddy_model.json").read_text("utf-8"))
    assert manifest["backend"] == "linear"
    assert manifest["model_id"].startswith("linear-") and len(manifest["model_id"]) == 19
    assert manifest["labels"] == sorted(UTTERANCES)
    assert load_answers(model_dir) == ANSWERS


def test_loaded_model_predicts_what_a_user_expects(model_dir: Path) -> None:
    model = load_model(model_dir)
    assert isinstance(model, Classifier)
    assert model.model_id == json.loads((model_dir / "buddy_model.json").read_text())["model_id"]
    preds = model.predict(["우울해요 요즘", "잠이 안 와서 힘들어", "안녕 버디"], top_k=3)
    assert [p.category for p in preds] == ["감정/우울감", "증상/불면", "일반대화/인사"]
    for p in preds:
        probs = [c for _, c in p.top_k]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
        assert p.confidence == p.top_k[0][1]


def test_reload_gives_identical_probabilities(model_dir: Path) -> None:
    a = LinearClassifier.load(model_dir).predict_proba(["잠을 못 자", "뭐라는지 모를 말"])
    b = load_model(model_dir).predict_proba(["잠을 못 자", "뭐라는지 모를 말"])
    np.testing.assert_array_equal(a, b)


def test_text_without_known_features_still_answers(model_dir: Path) -> None:
    (pred,) = load_model(model_dir).predict(["🙂"], top_k=1)
    assert pred.category in UTTERANCES and len(pred.top_k) == 1


def test_training_is_deterministic(tmp_path: Path, model_dir: Path) -> None:
    train_linear(tiny(), tmp_path, seed=42, data_hash="abc")
    first = json.loads((model_dir / "buddy_model.json").read_text())["model_id"]
    assert json.loads((tmp_path / "buddy_model.json").read_text())["model_id"] == first


def test_damaged_weights_raise_model_error(tmp_path: Path, model_dir: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "linear.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ModelError, match="buddy train"):
        load_model(broken)


def test_unknown_backend_names_the_folder(tmp_path: Path, model_dir: Path) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    manifest = json.loads((other / "buddy_model.json").read_text())
    manifest["backend"] = "gpt9"
    (other / "buddy_model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="gpt9") as err:
        load_model(other)
    assert str(other) in str(err.value)


def _write_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "part.jsonl", "w", encoding="utf-8") as fh:
        for c, ts in UTTERANCES.items():
            fh.write(json.dumps({"category": c, "utterances": ts, "answers": ANSWERS.get(c, [])},
                                ensure_ascii=False) + "\n")
    return folder


def test_embedded_default_trains_once_and_is_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, cache = _write_data(tmp_path / "data"), tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="training.default_model"):
        folder = ensure_default_model(data, cache)
    assert "first run only" in caplog.text
    assert folder == default_model_dir(data, cache) and folder.name.startswith("default-")
    assert load_model(folder).predict(["잠이 안 와"])[0].category == "증상/불면"
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [folder.name]  # no temp left

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached model must not be retrained")

    monkeypatch.setattr(linear, "train_linear", no_training)
    assert ensure_default_model(data, cache) == folder
    assert trained_default_model(data, cache) == folder  # what the core loads


def test_untrained_default_model_says_how_to_get_one(tmp_path: Path) -> None:
    data = _write_data(tmp_path / "data")
    with pytest.raises(ModelError, match="not trained yet") as err:
        trained_default_model(data, tmp_path / "cache")
    assert "buddy serve" in str(err.value) and "BUDDY_MODEL" in str(err.value)


def test_embedded_default_follows_data_and_repairs_damage(tmp_path: Path) -> None:
    data, cache = _write_data(tmp_path / "data"), tmp_path / "cache"
    first = ensure_default_model(data, cache)
    (first / "linear.json").write_text("{", encoding="utf-8")
    assert ensure_default_model(data, cache) == first
    assert load_model(first).predict(["안녕하세요"])[0].category == "일반대화/인사"
    with open(data / "part.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"text": "잠이 오지 않아", "category": "증상/불면"}\n')
    assert ensure_default_model(data, cache) != first


def test_ancestor_groups_follow_the_category_path() -> None:
    labels = ["감정/분노", "감정/우울감", "배경/학교", "배경/학교/결석", "모호함"]
    top = ancestor_groups(labels, 1).tolist()  # 감정 | 배경 | 모호함
    assert top[0] == top[1] and top[2] == top[3] and len(set(top)) == 3
    # two segments deep: 배경/학교/결석 joins its parent 배경/학교, shallower labels stand alone
    mid = ancestor_groups(labels, 2).tolist()
    assert mid[2] == mid[3] and len(set(mid)) == 4


def _siblings() -> Dataset:
    """Two 배경/학교 leaves, one with a single utterance, plus an unrelated category."""
    return Dataset([
        *(Example(t, "배경/학교/성적") for t in
          ["학교 성적이 떨어졌어", "학교 시험을 망쳤어", "학교 공부가 안 돼", "학교 숙제가 밀렸어"]),
        Example("학교 가기 싫어", "배경/학교/결석"),
        *(Example(t, "감정/분노") for t in
          ["너무 화가 나", "화가 치밀어", "분노가 차올라", "화나서 미치겠어", "짜증 나고 화나"]),
    ])


def test_sibling_categories_share_evidence(tmp_path: Path) -> None:
    # Ancestor sharing: a query about school moves probability from the unrelated category
    # to the other 배경/학교 leaf, compared with a flat model trained on the same data.
    query = ["학교 결석"]
    shared = train_linear(_siblings(), tmp_path / "p", seed=42).predict_proba(query)[0]
    flat_model = train_linear(_siblings(), tmp_path / "f", seed=42, parent_weights=[])
    flat = flat_model.predict_proba(query)[0]
    labels = list(flat_model.labels)
    assert shared.argmax() == flat.argmax() == labels.index("배경/학교/결석")
    assert shared[labels.index("배경/학교/성적")] > flat[labels.index("배경/학교/성적")]
    assert shared[labels.index("감정/분노")] < flat[labels.index("감정/분노")]


def test_bot_answers_teach_their_category(tmp_path: Path) -> None:
    data = tiny()
    data.answers = {"증상/불면": ["따뜻한 허브차와 족욕으로 긴장을 풀어 보세요"]}
    used = train_linear(data, tmp_path / "a", seed=42)
    unused = train_linear(data, tmp_path / "n", seed=42, answer_weight=0.0)
    query = ["허브차 족욕"]  # words that appear only in the answer
    assert used.predict(query)[0].category == "증상/불면"
    i = list(used.labels).index("증상/불면")
    assert used.predict_proba(query)[0][i] > unused.predict_proba(query)[0][i]


def test_folders_from_before_new_options_still_load(tmp_path: Path, model_dir: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(model_dir, old)
    config = json.loads((old / "linear.json").read_text("utf-8"))
    for key in ("answer_weight", "parent_weights", "tol"):
        del config["hyper"][key]
    (old / "linear.json").write_text(json.dumps(config, ensure_ascii=False), "utf-8")
    np.testing.assert_array_equal(
        LinearClassifier.load(old).predict_proba(["잠을 못 자"]),
        LinearClassifier.load(model_dir).predict_proba(["잠을 못 자"]),
    )


# ---- the fast feature path gives exactly what the plain one gave -------------------------

def _reference_char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """The original, obviously-correct ``char_wb`` n-grams (kept here as the yardstick)."""
    out: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(lo, hi + 1):
            out.extend(
                g for g in (padded[i : i + n] for i in range(len(padded) - n + 1)) if g.strip()
            )
    return out


@pytest.mark.parametrize("text", [
    "요즘 잠이 안 와요", "", "   ", "a", "ㅠㅠ 진짜\t너무…  힘들어!!", "\u3000가\u00a0나 다",
    "MiXeD Case 영어 English", "🙂🙂 이모지", "줄\n바꿈\r\n끝",
])
@pytest.mark.parametrize(("lo", "hi"), [(1, 4), (2, 5), (1, 1), (0, 3), (3, 3)])
def test_char_ngrams_are_the_same_list_in_the_same_order(text: str, lo: int, hi: int) -> None:
    from core.classify.features import char_ngrams

    assert char_ngrams(text, lo, hi) == _reference_char_ngrams(text, lo, hi)


def test_feature_rows_are_bit_identical_to_the_plain_computation(model_dir: Path) -> None:
    from collections import Counter

    model = load_model(model_dir)
    texts = [t for ts in UTTERANCES.values() for t in ts] + ["잠 잠 잠 안 와", "zzz 모르는말", ""]
    for view, analyzer, _ in model._space.views:
        for text in texts:
            terms = analyzer(text)
            counts = Counter(view.vocab[t] for t in terms if t in view.vocab)
            idx, val = view.row(terms)
            assert idx.tolist() == list(counts)  # first-occurrence order, as before
            if counts:
                tf = np.array(list(counts.values()), dtype=np.float32)
                ref = (1.0 + np.log(tf)) * view.idf[idx]
                assert (val == ref / np.linalg.norm(ref)).all()


def test_morph_inputs_are_what_prediction_analyses(model_dir: Path) -> None:
    from core import morph

    model = load_model(model_dir)
    text = "요즘 잠이 너무 안 와요 ZZZ"
    (key,) = model.morph_inputs(text)
    morph.morphemes(key)  # as the pipeline's batched prefetch does
    assert model.predicts_inline([text])
    assert not model.predicts_inline(["처음 보는 문장이라 아직 분석 안 됨 1234567"])
