"""KoBERT training end to end on a tiny stand-in for KoBERT (see tests/kobert_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from core.classify.kobert import KoBertClassifier  # noqa: E402
from core.classify.model_folder import read_answers, read_manifest  # noqa: E402
from core.errors import ConfigError, ModelError  # noqa: E402
from training.kobert import KoBertArgs, run_training  # noqa: E402
from training.kobert.model import build_model  # noqa: E402

pytestmark = pytest.mark.kobert


def tiny_args(base: Path, **kw: object) -> KoBertArgs:
    settings: dict[str, object] = {
        "base": str(base), "epochs": 6, "batch_size": 8, "lr": 3e-3, "val_size": 0.25,
        "patience": 10, "progress": False, "max_length": 32,
    }
    settings.update(kw)
    return KoBertArgs(**settings)  # type: ignore[arg-type]


def test_training_writes_a_model_folder_the_core_can_serve(tiny_base, tiny_data, tmp_path):
    out = run_training(tiny_data, tmp_path / "model", tiny_args(tiny_base), data_hash="d" * 64)

    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer_78b3253a26.model", "vocab.txt",
            "buddy_model.json", "answers.json", "training_args.json", "README.md"} <= names
    assert "checkpoints" not in names, "finished runs must not leave GBs of checkpoints"
    pickled = [p for p in out.rglob("*") if p.suffix in (".bin", ".pkl", ".pt", ".pickle")]
    assert pickled == []

    manifest = read_manifest(out)
    assert manifest.backend == "transformer"
    assert manifest.labels == sorted(tiny_data.categories)
    assert manifest.data_hash == "d" * 64
    assert read_answers(out)["증상/불면"] == tiny_data.answers["증상/불면"]
    assert KoBertArgs.from_json(out / "training_args.json") == tiny_args(tiny_base)

    history = json.loads((out / "training_history.json").read_text(encoding="utf-8"))
    assert [h["epoch"] for h in history] == list(range(1, 7))
    assert history[-1]["train_loss"] < history[0]["train_loss"] - 0.1, history
    card = (out / "README.md").read_text(encoding="utf-8")
    assert manifest.model_id in card and "Intended use" in card

    model = KoBertClassifier.load(out)
    texts = [e.text for e in tiny_data.examples]
    predictions = model.predict(texts, top_k=2)
    right = sum(p.category == e.category for p, e in zip(predictions, tiny_data.examples, strict=True))
    assert right / len(texts) > 0.5, "a few steps on separable data should beat chance (0.25)"


def test_resume_after_an_interruption_matches_an_uninterrupted_run(
    tiny_base, tiny_data, tmp_path, monkeypatch
):
    from training.kobert import train_loop

    real_save = train_loop.save_checkpoint

    def save_then_interrupt(*args: object, **kwargs: object) -> None:
        real_save(*args, **kwargs)
        raise KeyboardInterrupt  # Ctrl-C right after the first epoch's checkpoint

    interrupted = tmp_path / "interrupted"
    monkeypatch.setattr(train_loop, "save_checkpoint", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_training(tiny_data, interrupted, tiny_args(tiny_base, epochs=2))
    monkeypatch.undo()
    assert (interrupted / "checkpoints" / "last" / "optimizer.safetensors").is_file()
    assert not (interrupted / "buddy_model.json").exists()

    run_training(tiny_data, interrupted, tiny_args(tiny_base, epochs=2, resume=True))
    straight = run_training(tiny_data, tmp_path / "straight", tiny_args(tiny_base, epochs=2))

    resumed = json.loads((interrupted / "training_history.json").read_text(encoding="utf-8"))
    uninterrupted = json.loads((straight / "training_history.json").read_text(encoding="utf-8"))
    assert [h["step"] for h in resumed] == [h["step"] for h in uninterrupted]
    for a, b in zip(resumed, uninterrupted, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    assert read_manifest(interrupted).extra["epochs_run"] == 2


def test_resume_without_a_checkpoint_says_what_to_do(tiny_base, tiny_data, tmp_path):
    with pytest.raises(ConfigError, match="--resume"):
        run_training(tiny_data, tmp_path / "m", tiny_args(tiny_base, resume=True))


def test_sampler_and_gradient_accumulation_count_updates(tiny_base, tiny_data, tmp_path):
    args = tiny_args(tiny_base, balance="sampler", grad_accum=2, max_steps=2, val_size=0.0)
    out = run_training(tiny_data, tmp_path / "m", args)
    manifest = read_manifest(out)
    assert manifest.extra["updates"] == 2
    assert manifest.extra["n_val"] == 0


def test_unreachable_hub_model_explains_how_to_pass_a_local_folder(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelError) as err:
        build_model("monologg/kobert", ["a", "b"])
    message = str(err.value)
    assert "--base" in message and "monologg/kobert" in message and "download" in message


def test_base_folder_without_weights_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match="no weights"):
        build_model(str(tmp_path), ["a", "b"])


def test_arguments_reject_unknown_keys_and_choices(tmp_path):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"epochs": 2, "learning_rate": 1e-4}), encoding="utf-8")
    with pytest.raises(ConfigError, match="learning_rate"):
        KoBertArgs.from_json(path)
    with pytest.raises(ConfigError, match="balance"):
        KoBertArgs(balance="oversample")
    path.write_text(json.dumps({"epochs": 2}), encoding="utf-8")
    assert KoBertArgs.from_json(path, lr=1e-4).lr == 1e-4


def test_module_entry_point_used_by_accelerate_launch(tiny_base, tmp_path):
    from kobert_fixtures import TINY_ANSWERS, TINY_DATA

    from training.kobert.__main__ import main

    data = tmp_path / "tiny.jsonl"
    rows = [{"category": c, "utterances": u, "answers": TINY_ANSWERS[c]} for c, u in TINY_DATA.items()]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    main(["--data", str(data), "--out", str(out), "--base", str(tiny_base), "--epochs", "1",
          "--batch-size", "8", "--no-progress", "--val-size", "0.2"])
    manifest = read_manifest(out)
    assert manifest.extra["n_test"] == 8  # 20 % of 4 × 8 utterances, per category
    assert manifest.extra["sources"] == ["tiny.jsonl"]


def test_kobert_size_benchmark_reports_speed():
    from training.bench_kobert import steps_per_second

    result = steps_per_second(config="tiny", batch_size=2, seq_len=8, steps=1, warmup=0)
    assert result["steps_per_second"] > 0 and result["parameters"] > 0


def test_buddy_train_and_evaluate_with_the_kobert_backend(tiny_base, tmp_path):
    """The operator's two commands: train with a held-out part, then evaluate it again."""
    import typer
    from kobert_fixtures import TINY_ANSWERS, TINY_DATA
    from typer.testing import CliRunner

    from cli.train import register
    from training import report

    app = typer.Typer()
    register(app)
    data = tmp_path / "tiny.jsonl"
    rows = [{"category": c, "utterances": u, "answers": TINY_ANSWERS[c]} for c, u in TINY_DATA.items()]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    runner = CliRunner()
    done = runner.invoke(app, [
        "train", "--data", str(data), "--out", str(out), "--backend", "kobert",
        "--base", str(tiny_base), "--eval-split", "0.25", "--set", "epochs=2",
        "--set", "batch_size=8", "--set", "progress=false", "--set", "val_size=0.2",
    ])
    assert done.exit_code == 0, done.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("model_id", "n", "accuracy", "top3_accuracy", "macro_f1", "ece",
                "suggested_threshold", "reliability", "per_category", "confused_pairs"):
        assert key in metrics, key
    assert metrics["n"] == 8
    assert all((out / png).is_file() for png in report.PLOTS)
    assert "Top-3 accuracy" in (out / "README.md").read_text(encoding="utf-8")

    again = tmp_path / "eval"
    done = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(data),
                               "--split", "test", "--out", str(again), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["accuracy"] == metrics["accuracy"]
    assert (again / "report.md").is_file()
    assert all((again / png).is_file() for png in report.PLOTS)
