"""Buddy installed from a wheel carries the files it needs, and a missing one fails loudly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import core
from core.errors import MissingResourceError
from core.resources import data_path, require
from training.default_model import ensure_default_model

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("core", "bot", "training", "cli", "migrations", "bench", "data")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Build a wheel from a copy of the tree (so no build/ lands in the checkout)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        shutil.copytree(ROOT / name, tree / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(tree)],
        check=True, capture_output=True, env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    (wheel,) = out.glob("buddy_counsel-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_the_wheel_carries_the_data_the_bot_reads(wheel_names: set[str]) -> None:
    for path in sorted((ROOT / "data").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.relative_to(ROOT).as_posix() in wheel_names, path
    assert "data/__init__.py" in wheel_names
    for model_file in ("crisis_model.json", "crisis_ngram.safetensors", "crisis_e5.safetensors"):
        assert f"core/safety/models/{model_file}" in wheel_names
    assert "core/resources.py" in wheel_names


def test_the_packaged_dataset_is_found_through_importlib_resources() -> None:
    assert data_path("dataset") == ROOT / "data" / "dataset"
    assert sorted(p.name for p in require("data", "dataset").glob("*.jsonl"))


def test_a_missing_resource_names_itself_and_the_fix() -> None:
    with pytest.raises(MissingResourceError) as err:
        require("data", "crisis", "no-such-file.txt", what="a crisis test set")
    message = str(err.value)
    assert "data/crisis/no-such-file.txt (a crisis test set)" in message
    assert "pip install" in message
    with pytest.raises(MissingResourceError, match="not installed"):
        require("buddy_package_that_is_not_there", "x")


def test_a_missing_dataset_stops_first_run_training_with_the_setting_to_fix(
    tmp_path: Path,
) -> None:
    with pytest.raises(MissingResourceError, match="BUDDY_DATA_DIR"):
        ensure_default_model(tmp_path / "nowhere", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()  # nothing half-trained left behind


def test_an_install_without_the_dataset_says_so_instead_of_going_quiet(tmp_path: Path) -> None:
    """An installation whose ``data`` package lost its files (a broken wheel, a stripped
    image): the first start stops with the resource's name and the fix."""
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "data" / "__init__.py").write_text("", encoding="utf-8")
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "from core.config import Settings\n"
            "from training.default_model import ensure_default_model\n"
            "s = Settings(_env_file=None, BUDDY_VAR_DIR=sys.argv[3])\n"
            "ensure_default_model(s.data_dir, s.var_dir / 'models')\n")
    done = subprocess.run([sys.executable, "-c", code, str(site), str(ROOT), str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0
    assert "MissingResourceError" in done.stderr
    assert "data/dataset" in done.stderr and "missing from this installation" in done.stderr
    assert "pip install" in done.stderr


def test_the_public_surface_loads_lazily() -> None:
    code = ("import sys, core; assert 'core.pipeline' not in sys.modules; "
            "from core import Buddy, IncomingMessage, Settings, assess; "
            "assert 'core.pipeline' in sys.modules; print(Buddy.__name__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "Buddy"
    assert sorted(core.__all__) == sorted(core._EXPORTS)
