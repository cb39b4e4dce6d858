"""Every setting Buddy reads, in one place, from the environment and ``.env``.

Nothing else in the project reads ``os.environ``. Each field's description is the
documentation that README and ``.env.example`` repeat.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError, MissingResourceError
from core.resources import data_path

REPO_ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN_MIN_CHARS = 24


def _packaged_dataset() -> Path:
    """The dataset installed with Buddy (package ``data``); in an old editable install that
    predates the package, the checkout's folder. A missing one is reported when it is read."""
    try:
        return data_path("dataset")
    except MissingResourceError:
        return REPO_ROOT / "data" / "dataset"


_PLACEHOLDERS = {"changeme", "change-me", "your-token-here", "xxx", "secret", "placeholder", "todo"}


class Settings(BaseSettings):
    """Buddy's configuration. Names are the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- storage and models ---------------------------------------------------------
    var_dir: Path = Field(
        REPO_ROOT / "var",
        alias="BUDDY_VAR_DIR",
        description="Runtime folder: SQLite log, cached default model, generated secret.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy async URL of the conversation log. Empty: SQLite under "
        "BUDDY_VAR_DIR. PostgreSQL: postgresql+asyncpg://user:pass@host/db",
    )
    buddy_model: Path | None = Field(
        None,
        description="A model folder written by `buddy train`. Empty: the embedded default, "
        "trained from BUDDY_DATA_DIR on first run.",
    )
    data_dir: Path = Field(
        default_factory=_packaged_dataset,
        alias="BUDDY_DATA_DIR",
        description="Our own dataset the embedded default is trained from.",
    )
    confidence_threshold: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description="Below this classifier confidence Buddy answers with a reflective "
        "fallback instead of a category answer.",
    )
    # --- privacy ----------------------------------------------------------------------
    pseudonym_secret: SecretStr | None = Field(
        None,
        description="HMAC key that turns platform user ids into pseudonymous references. "
        "Empty: one is generated once and kept in BUDDY_VAR_DIR/pseudonym.key.",
    )
    retention_days: int = Field(
        90, ge=0, le=36_500,
        description="Delete conversations older than this many days (0 keeps all).",
    )
    conversation_idle_minutes: int = Field(
        30, ge=1, description="A new conversation starts after this much silence."
    )
    # --- safety -----------------------------------------------------------------------
    safety_mode_turns: int = Field(
        5, ge=1, description="Turns after a crisis reply that stay in gentle safety mode."
    )
    safety_mode_minutes: int = Field(
        60, ge=1, description="Minutes after a crisis reply that stay in safety mode."
    )
    safety_learned: bool = Field(
        True,
        description="Add the learned crisis model to the rules: catches more unanticipated "
        "phrasing (sealed sets: 0.34 -> 0.57, 0.63 -> 0.77 recall) for ~0.1 ms a message.",
    )
    alert_telegram_token: SecretStr | None = Field(
        None, description="Bot token used for operator crisis alerts (default TELEGRAM_TOKEN)."
    )
    alert_telegram_chat_id: str | None = Field(
        None, description="Telegram chat that receives operator crisis alerts."
    )
    alert_discord_webhook_url: SecretStr | None = Field(
        None, description="Discord channel webhook URL for operator crisis alerts."
    )
    alert_webhook_url: SecretStr | None = Field(
        None, description="Any HTTPS endpoint that receives crisis alerts as JSON."
    )
    # --- human handoff (docs/HANDOFF.md) ----------------------------------------------
    operators: str = Field(
        "",
        description="Operators who may take a conversation: name:token,name2:token2 (tokens "
        "at least 24 characters). ADMIN_TOKEN also works, as the operator named admin.",
    )
    handoff_key: SecretStr | None = Field(
        None,
        description="Key that encrypts users' platform addresses while a person may need to "
        "write to them: base64 of 32 bytes (`buddy handoff keygen`). Empty: handoff is off.",
    )
    operator_hours: str = Field(
        "always",
        description="When operators are on duty, e.g. 'Mon-Fri 09:00-18:00' or 'always'; "
        "outside them a request for a person is answered honestly, with hotlines.",
    )
    operator_timezone: str = Field(
        "Asia/Seoul", description="Operators' time zone: OPERATOR_HOURS and /admin times."
    )
    handoff_idle_minutes: int = Field(
        15, ge=1, description="A held conversation with no operator activity this long is "
        "handed back to Buddy, with a notice to the user.",
    )
    operator_telegram_ids: str = Field(
        "", description="Operators' own Telegram accounts for the operators' group "
        "(ALERT_TELEGRAM_CHAT_ID): name:account_id,name2:account_id; names from OPERATORS.",
    )
    # --- adapters ---------------------------------------------------------------------
    web_host: str = Field("127.0.0.1", description="Web chat / API bind address.")
    web_port: int = Field(8000, ge=0, le=65535, description="Web port; 0 picks a free one.")
    admin_token: SecretStr | None = Field(
        None,
        description="Token for the /admin dashboard, at least 24 random characters. "
        "Empty: the dashboard is off.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IPs or networks (CIDR) of your reverse proxies; only "
        "their X-Forwarded-For / X-Forwarded-Proto are believed. Empty: none.",
    )
    telegram_token: SecretStr | None = Field(None, description="Telegram bot token.")
    telegram_base_url: str | None = Field(
        None, description="Self-hosted Bot API server, e.g. http://localhost:8081/bot"
    )
    telegram_webhook_url: str | None = Field(
        None, description="Public HTTPS URL for webhook mode. Empty: long polling."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram must send with webhook updates."
    )
    discord_token: SecretStr | None = Field(None, description="Discord bot token.")
    discord_channel_ids: str = Field(
        "", description="Comma-separated channel ids where Buddy answers every message."
    )
    flood_limit_per_minute: int = Field(
        20, ge=1, description="Messages per user per minute before a friendly slow-down notice."
    )
    log_level: str = Field("INFO", description="Python logging level for Buddy's own logs.")

    @field_validator(
        "telegram_token",
        "discord_token",
        "admin_token",
        "pseudonym_secret",
        "telegram_webhook_secret",
        "alert_telegram_token",
        mode="after",
    )
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None, info) -> SecretStr | None:  # noqa: ANN001
        """Refuse a copied ``.env.example`` placeholder instead of failing later, obscurely."""
        if value is None:
            return None
        raw = value.get_secret_value().strip()
        if not raw:
            return None
        if raw.lower() in _PLACEHOLDERS:
            raise ValueError(
                f"{info.field_name.upper()} is still the placeholder {raw!r}: put the real "
                "value in .env or leave it empty."
            )
        return SecretStr(raw)

    @field_validator("admin_token", mode="after")
    @classmethod
    def _admin_token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        """A short token can be guessed through the login form; refuse it at start."""
        if value is not None and len(value.get_secret_value()) < ADMIN_TOKEN_MIN_CHARS:
            raise ValueError(
                f"ADMIN_TOKEN is {len(value.get_secret_value())} characters; it needs at least "
                f"{ADMIN_TOKEN_MIN_CHARS}. Make one with: python -c \"import secrets; "
                "print(secrets.token_urlsafe(32))\" and put it in .env as ADMIN_TOKEN=..."
            )
        return value

    @field_validator("handoff_key", mode="after")
    @classmethod
    def _handoff_key_is_a_key(cls, value: SecretStr | None) -> SecretStr | None:
        from core.handoff.crypto import decode_key

        if value is not None and value.get_secret_value().strip():
            _as_value_error(decode_key, value.get_secret_value())
            return value
        return None

    @field_validator("operator_timezone", mode="after")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        from core.handoff.hours import zone

        _as_value_error(zone, value)
        return value

    @field_validator("operator_hours", mode="after")
    @classmethod
    def _hours_readable(cls, value: str) -> str:
        from core.handoff.hours import parse_hours

        _as_value_error(parse_hours, value)
        return value

    @model_validator(mode="after")
    def _operators_readable(self) -> Settings:
        """Malformed, short or shared operator tokens stop the start, naming the entry."""
        _as_value_error(self.operator_tokens)
        return self

    @model_validator(mode="after")
    def _operator_accounts_readable(self) -> Settings:
        """OPERATOR_TELEGRAM_IDS must name operators of OPERATORS, one account each."""
        _as_value_error(self.operator_telegram_accounts)
        return self

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        """uvicorn would silently treat a typo as a literal name that never matches."""
        entries = [e.strip() for e in value.split(",") if e.strip()]
        for entry in entries:
            if entry == "*":
                raise ValueError("TRUSTED_PROXIES must name your proxies, not '*' (anyone "
                                 "could then claim any client address).")
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES entry {entry!r} is not an IP address or "
                                 "network, e.g. 10.0.0.5 or 10.0.0.0/24.") from None
        return ",".join(entries)

    @field_validator("buddy_model", mode="before")
    @classmethod
    def _empty_model_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    # --- derived values -------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the default SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'buddy.db').as_posix()}"

    @property
    def trusted_proxy_list(self) -> list[str]:
        """TRUSTED_PROXIES as uvicorn's ``forwarded_allow_ips`` list (empty: trust none)."""
        return [e for e in self.trusted_proxies.split(",") if e]

    @property
    def discord_channels(self) -> frozenset[int]:
        try:
            return frozenset(int(x) for x in self.discord_channel_ids.split(",") if x.strip())
        except ValueError as exc:
            raise ConfigError(
                "DISCORD_CHANNEL_IDS must be comma-separated numeric channel ids."
            ) from exc

    def operator_tokens(self) -> dict[str, str]:
        """``{operator name: token}``: OPERATORS plus ``admin`` for ADMIN_TOKEN."""
        from core.handoff.operators import parse_operators

        admin = self.admin_token.get_secret_value() if self.admin_token else None
        return parse_operators(self.operators, admin)

    def operator_telegram_accounts(self) -> dict[int, str]:
        """``{Telegram account id: operator name}`` from OPERATOR_TELEGRAM_IDS."""
        from core.handoff.operators import parse_operator_accounts

        return parse_operator_accounts(self.operator_telegram_ids, self.operator_tokens())

    def pseudonym_key(self) -> bytes:
        """The HMAC key; generated once into ``var_dir`` when none is configured.

        Losing this file means old and new references of the same user no longer match,
        so it is created with owner-only permissions and never overwritten.
        """
        if self.pseudonym_secret is not None:
            return self.pseudonym_secret.get_secret_value().encode("utf-8")
        path = self.var_dir / "pseudonym.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "x", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="ascii").strip().encode("ascii")


def _as_value_error(check, *args: object) -> object:  # noqa: ANN001
    """Run a ``core`` check inside a validator: pydantic reports ValueErrors, not ours."""
    try:
        return check(*args)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into a ConfigError a person can act on."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        # from None: pydantic's own error repeats every input (tokens too), and a chained
        # traceback would carry it into logs
        raise ConfigError(f"Invalid settings ({problems}). Check .env or the environment.") from None
