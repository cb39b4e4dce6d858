"""A missing or damaged model folder at start: one clear message, the folder, the fix.

``buddy ask`` and ``buddy serve`` run as real subprocesses; what is checked is what the
person at the terminal sees: exit code 2, no traceback, the folder named, and what to do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_helpers import buddy_env

from core.classify.model_folder import MANIFEST

HANG_GUARD_S = 120.0  # only against a hang, not a speed promise
FIXES = ("buddy train", "BUDDY_MODEL", "--model")  # at least one of these must be offered


def _garbage_manifest(folder: Path) -> None:
    (folder / MANIFEST).write_text("{ this is not json", encoding="utf-8")


def _truncated_weights(folder: Path) -> None:
    weights = folder / "linear.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _unknown_backend(folder: Path) -> None:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    data["backend"] = "quantum-bert"
    (folder / MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def _labels_missing(folder: Path) -> None:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    del data["labels"]
    (folder / MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def _weights_deleted(folder: Path) -> None:
    (folder / "linear.safetensors").unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "manifest is garbage": _garbage_manifest,
    "weights file truncated": _truncated_weights,
    "manifest names an unknown backend": _unknown_backend,
    "manifest has no labels": _labels_missing,
    "weights file missing": _weights_deleted,
}


def run_buddy(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=tmp_path, capture_output=True,
        text=True, timeout=HANG_GUARD_S, env=buddy_env(tmp_path / "var", **env), check=False)


def assert_clear_failure(result: subprocess.CompletedProcess[str], folder: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert folder in result.stderr
    assert any(fix in result.stderr for fix in FIXES), result.stderr


@pytest.fixture
def damaged(model_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    folder = tmp_path / "damaged-model"
    shutil.copytree(model_dir, folder)
    DAMAGE[request.param](folder)
    return folder


def test_ask_with_a_missing_model_folder(tmp_path: Path) -> None:
    result = run_buddy(["ask", "--model", "/no/such/dir", "잠이 안 와요"], tmp_path)
    assert_clear_failure(result, "/no/such/dir")
    assert result.stdout == ""  # no half answer


@pytest.mark.parametrize("damaged", list(DAMAGE), indirect=True)
def test_ask_with_a_damaged_model_folder(damaged: Path, tmp_path: Path) -> None:
    result = run_buddy(["ask", "--model", str(damaged), "잠이 안 와요"], tmp_path)
    assert_clear_failure(result, str(damaged))
    assert result.stdout == ""


def test_serve_with_a_missing_model_folder_stops_with_the_fix(tmp_path: Path) -> None:
    result = run_buddy(["serve"], tmp_path, BUDDY_MODEL="/no/such/dir", WEB_PORT="0",
                       WEB_HOST="127.0.0.1")
    assert_clear_failure(result, "/no/such/dir")
    assert "Web chat: on" not in result.stdout  # it never started serving


@pytest.mark.parametrize("damaged", ["weights file truncated"], indirect=True)
def test_serve_with_a_damaged_model_folder_stops_with_the_fix(damaged: Path, tmp_path: Path
                                                              ) -> None:
    result = run_buddy(["serve"], tmp_path, BUDDY_MODEL=str(damaged), WEB_PORT="0",
                       WEB_HOST="127.0.0.1")
    assert_clear_failure(result, str(damaged))
    assert "Web chat: on" not in result.stdout
