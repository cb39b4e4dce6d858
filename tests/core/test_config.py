"""Settings: documented everywhere, placeholders refused, secrets generated once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.config import Settings, load_settings
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add((field.alias or name).upper())
    return names


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _env_names() <= example, _env_names() - example
    missing = {n for n in _env_names() if f"`{n}`" not in readme}
    assert not missing, f"README lacks {missing}"


def test_env_example_values_load_cleanly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.telegram_token is None and s.web_port == 8000


def test_placeholder_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "changeme")
    with pytest.raises(ConfigError, match="TELEGRAM_TOKEN"):
        load_settings()


def test_generated_pseudonym_key_is_stable_and_private(tmp_path: Path) -> None:
    s = load_settings(BUDDY_VAR_DIR=tmp_path / "v")
    first = s.pseudonym_key()
    assert first == load_settings(BUDDY_VAR_DIR=tmp_path / "v").pseudonym_key()
    assert len(first) >= 32
    assert (tmp_path / "v" / "pseudonym.key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    s = load_settings(BUDDY_VAR_DIR=tmp_path)
    assert s.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/buddy.db"


def test_an_invalid_setting_never_carries_the_secrets_into_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong value is named; tokens set beside it appear nowhere in the error or its chain
    (a logged traceback would otherwise print pydantic's echo of every input)."""
    import traceback

    secret = "987654:VERY-SECRET-TOKEN-do-not-log"
    monkeypatch.setenv("TELEGRAM_TOKEN", secret)
    # checked across settings, so pydantic's own message would quote all of them
    monkeypatch.setenv("OPERATORS", "kim:" + "k" * 30)
    monkeypatch.setenv("OPERATOR_TELEGRAM_IDS", "kim:not-a-number")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    shown = "".join(traceback.format_exception(caught.value))
    assert "OPERATOR_TELEGRAM_IDS" in shown
    # pydantic shortens long inputs in the middle: no piece of the token may show
    assert not any(secret[i:i + 8] in shown for i in range(len(secret) - 7))
