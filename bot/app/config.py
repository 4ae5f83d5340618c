"""Configuration: every environment variable paperboy reads, with its default and help."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.app.logs import FORMATS, LEVELS
from bot.delivery.calendar import parse_hhmm, parse_timezone


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


SIMILARITY_ENGINES = ("tfidf", "semantic")


class Settings(BaseSettings):
    """paperboy's settings, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

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
    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_BOT_TOKEN"),
        description="Slack bot token (xoxb-…) of a single-workspace install.",
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_APP_TOKEN"),
        description="Slack app-level token (xapp-…): with SLACK_BOT_TOKEN, runs in Socket Mode.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_SIGNING_SECRET"),
        description="Slack signing secret: HTTP mode at /slack/events (an app token wins).",
    )
    slack_client_id: str | None = Field(
        None,
        validation_alias=_env("SLACK_CLIENT_ID"),
        description="Slack app client id: with the secret, HTTP mode installs in many workspaces.",
    )
    slack_client_secret: SecretStr | None = Field(
        None,
        validation_alias=_env("SLACK_CLIENT_SECRET"),
        description="Slack app client secret, for the OAuth install flow.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=_env("SLACK_API_URL"),
        description="Base URL of the Slack Web API, used by every call (OAuth included).",
    )
    slack_admins_only: bool = Field(
        False,
        validation_alias=_env("PAPERBOY_SLACK_ADMINS_ONLY"),
        description="Only Slack workspace admins and owners may change digests and alerts.",
    )
    discord_token: SecretStr | None = Field(
        None,
        validation_alias=_env("DISCORD_TOKEN"),
        description="Discord bot token: starts the Discord adapter.",
    )
    discord_api_url: str = Field(
        "https://discord.com/api/v10",
        validation_alias=_env("DISCORD_API_URL"),
        description="Base URL of the Discord REST API (webhooks and interactions included).",
    )
    discord_gateway_url: str | None = Field(
        None,
        validation_alias=_env("DISCORD_GATEWAY_URL"),
        description="Discord gateway URL (default: the one the REST API names).",
    )
    http_host: str = Field(
        "0.0.0.0",
        validation_alias=_env("PAPERBOY_HTTP_HOST"),
        description="Address the HTTP server (/healthz, /metrics, Slack HTTP mode) listens on.",
    )
    http_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        validation_alias=_env("PAPERBOY_HTTP_PORT"),
        description=(
            "Port of the HTTP server with /healthz and /metrics (none: off; Slack HTTP mode "
            "serves them on its port, 3000 when unset)."
        ),
    )
    public_url: str | None = Field(
        None,
        validation_alias=_env("PAPERBOY_PUBLIC_URL"),
        description=(
            "Base URL at which readers reach paperboy's HTTP server, for the channels' feed "
            "URLs (e.g. https://paperboy.example.org; unset: http://<host>:<port>)."
        ),
    )
    similarity: str = Field(
        "tfidf",
        validation_alias=_env("PAPERBOY_SIMILARITY"),
        description=(
            "How `subscribe like` alerts score papers: tfidf (built in) or semantic "
            "(WordLlama embeddings: pip install 'paperboy-bot[semantic]')."
        ),
    )
    log_level: str = Field(
        "INFO",
        validation_alias=_env("PAPERBOY_LOG_LEVEL"),
        description="Log level: DEBUG, INFO, WARNING or ERROR (libraries log INFO and up).",
    )
    log_format: str = Field(
        "text",
        validation_alias=_env("PAPERBOY_LOG_FORMAT"),
        description="Log format: text (rich on a terminal, plain lines otherwise) or json.",
    )

    @field_validator("db")
    @classmethod
    def _check_db(cls, value: str) -> str:
        # SQLite takes "" as a private temporary file per connection: every write would vanish.
        if not value.strip():
            raise ValueError(
                "is empty, which would be a throwaway database; set it to a file's path, or "
                "unset it for paperboy.db"
            )
        return value

    @field_validator("similarity")
    @classmethod
    def _check_similarity(cls, value: str) -> str:
        if value.strip().lower() not in SIMILARITY_ENGINES:
            raise ValueError(f"must be one of {', '.join(SIMILARITY_ENGINES)}, not {value!r}")
        return value.strip().lower()

    @field_validator("public_url", mode="before")
    @classmethod
    def _check_public_url(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            if not value.startswith(("http://", "https://")):
                raise ValueError("must be an http:// or https:// URL")
            return value.rstrip("/")
        return value

    @field_validator("hf_url", "slack_api_url", "discord_api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_ws_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

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

    @field_validator("http_port", mode="before")
    @classmethod
    def _empty_port_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format")
    @classmethod
    def _check_format(cls, value: str) -> str:
        fmt = value.lower()
        if fmt not in FORMATS:
            raise ValueError(f"must be one of {', '.join(FORMATS)}")
        return fmt

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LEVELS:
            raise ValueError(f"must be one of {', '.join(LEVELS)}")
        return level


def env_vars() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for the README table and `paperboy config`."""
    rows = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        name = str(alias.choices[0])
        if isinstance(field.default, bool):
            default = "true" if field.default else "false"  # as the README and .env spell it
        else:
            default = "" if field.default is None else str(field.default)
        rows.append((name, default, field.description or ""))
    return rows
