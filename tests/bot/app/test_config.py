"""Settings: the documented variable names, and only those."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.app.config import Settings
from bot.delivery.calendar import parse_timezone


def test_unprefixed_names_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("HTTP_PORT", "9999")
    monkeypatch.delenv("PAPERBOY_TIMEZONE", raising=False)
    monkeypatch.delenv("PAPERBOY_HTTP_PORT", raising=False)
    settings = Settings(_env_file=None)
    assert (settings.timezone, settings.http_port) == ("UTC", None)


def test_documented_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOY_TIMEZONE", "asia/tokyo")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    settings = Settings(_env_file=None)
    # Read (not the default UTC), in any case: the zone it names is Tokyo's.
    assert settings.timezone.lower() == "asia/tokyo"
    assert parse_timezone(settings.timezone) == ZoneInfo("Asia/Tokyo")
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"
    assert "xoxb-1" not in repr(settings)


@pytest.mark.parametrize(
    "name, value",
    [
        ("PAPERBOY_HF_URL", "ftp://x"),
        ("DISCORD_GATEWAY_URL", "http://x"),
        ("PAPERBOY_DIGEST_TIME", "25:00"),
        ("PAPERBOY_POLL_MINUTES", "0"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_database_path_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PAPERBOY_DB", value)
    with pytest.raises(ValidationError, match="PAPERBOY_DB\n  Value error, is empty"):
        Settings(_env_file=None)


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "Mars/Base"])
def test_zones_that_are_not_real_iana_places_are_refused(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("PAPERBOY_TIMEZONE", zone)
    with pytest.raises(
        ValidationError, match="PAPERBOY_TIMEZONE\n  Value error, unknown time zone"
    ):
        Settings(_env_file=None)
