"""Configuration: every environment variable paperboy reads, with its default and help."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.schedule import parse_hhmm, parse_timezone


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """paperboy's settings, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    db: str = Field(
        "paperboy.db",
        validation_alias=_env("PAPERBOY_DB"),
        description="Path of the SQLite database file.",
    )
    hf_url: str = Field(
        "https://huggingface.co",
        validation_alias=_env("PAPERBOY_HF_URL"),
        description="Base URL of the Hugging Face API (override to use a proxy or a test server).",
    )
    hf_token: SecretStr | None = Field(
        None,
        validation_alias=_env("HF_TOKEN"),
        description="Hugging Face read token, sent as a bearer token for higher rate limits.",
    )
    poll_minutes: int = Field(
        30,
        ge=1,
        le=1440,
        validation_alias=_env("PAPERBOY_POLL_MINUTES"),
        description="Minutes between polls of the Daily Papers feed.",
    )
    digest_time: str = Field(
        "09:00",
        validation_alias=_env("PAPERBOY_DIGEST_TIME"),
        description="Default digest time (HH:MM) for channels that turn digests on without one.",
    )
    timezone: str = Field(
        "UTC",
        validation_alias=_env("PAPERBOY_TIMEZONE"),
        description="Default IANA time zone for new channels' digests, e.g. Europe/Paris.",
    )
    console_digest: bool = Field(
        True,
        validation_alias=_env("PAPERBOY_CONSOLE_DIGEST"),
        description="Turn the daily digest on for the console channel when it is first used.",
    )
    log_level: str = Field(
        "INFO",
        validation_alias=_env("PAPERBOY_LOG_LEVEL"),
        description="Log level: DEBUG, INFO, WARNING or ERROR.",
    )

    @field_validator("hf_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("digest_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level


def env_vars() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for the README table and `paperboy config`."""
    rows = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        name = str(alias.choices[0])
        default = "" if field.default is None else str(field.default)
        rows.append((name, default, field.description or ""))
    return rows
