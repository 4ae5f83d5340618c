"""The platforms as a list: which are configured and why not, publishers before the core."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.adapter import ConsolePlatform
from adapters.discord.adapter import DiscordAdapter
from adapters.slack.adapter import SlackAdapter
from bot.app.config import Settings
from bot.app.platforms import CommandDesk, ConfigError, platform_serves_http, slack_config
from bot.app.wiring import build_app
from bot.commands.handlers import Handlers
from bot.commands.table import COMMANDS, find, parse
from bot.domain import ChannelRef, Invocation


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.model_validate({"PAPERBOY_DB": str(tmp_path / "p.db"), **env})


async def test_without_tokens_the_console_is_the_platform(tmp_path: Path) -> None:
    app = build_app(_settings(tmp_path), console=Console(file=io.StringIO()))
    try:
        assert [p.name for p in app.platforms] == ["console"]
        assert isinstance(app.platforms[0], ConsolePlatform) and app.console_active
        assert set(app.not_configured) == {"slack", "discord"}
        assert "SLACK_BOT_TOKEN" in app.not_configured["slack"]
        assert app.core.publishers == {"console": app.platforms[0].publisher}
    finally:
        await app.aclose()


async def test_configured_platforms_replace_the_console(tmp_path: Path) -> None:
    app = build_app(
        _settings(
            tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1", DISCORD_TOKEN="d.t.x"
        ),
        console=Console(file=io.StringIO()),
    )
    try:
        slack, discord = app.platforms
        assert isinstance(slack, SlackAdapter) and isinstance(discord, DiscordAdapter)
        assert app.not_configured == {} and not app.console_active
        # The core was built with the publishers the platforms already had.
        assert app.core.publishers == {"slack": slack.publisher, "discord": discord.publisher}
    finally:
        await app.aclose()


async def test_the_desk_passes_commands_on_once_the_handlers_exist(handlers: Handlers) -> None:
    inv = Invocation(ChannelRef("discord", "1", "2"), "U1")
    desk = CommandDesk()
    with pytest.raises(RuntimeError, match="before paperboy was wired"):
        await desk.handle("help", inv)
    desk.handlers = handlers
    assert (await desk.handle("help", inv)).ok
    assert desk.suggest(find(("digest", "on")) or COMMANDS[0], "timezone", inv, "paris")


def test_settings_that_cannot_work_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build_app(_settings(tmp_path, SLACK_CLIENT_ID="1.2"), console=Console(file=io.StringIO()))


def test_discord_channel_kinds_survive_a_restart(tmp_path: Path) -> None:
    from bot.app.platforms import StoredChannelKinds
    from storage.store import Store
    from tests.helpers import at

    ref = ChannelRef("discord", "1", "42")
    store = Store(tmp_path / "k.db")
    kinds = StoredChannelKinds(store, lambda: at("2026-11-25 10:00"))
    assert kinds.get(ref) is None
    kinds.set(ref, "forum")
    store.close()
    again = Store(tmp_path / "k.db")
    assert StoredChannelKinds(again, lambda: at("2026-11-25 11:00")).get(ref) == "forum"
    again.close()


async def test_the_desk_times_every_command_by_its_table_name(handlers: Handlers) -> None:
    seen: list[tuple[str, float]] = []
    ticks = iter([10.0, 10.5, 20.0, 20.25])
    desk = CommandDesk(observe=lambda name, seconds: seen.append((name, seconds)))
    desk.monotonic = lambda: next(ticks)
    desk.handlers = handlers
    inv = Invocation(ChannelRef("discord", "1", "2"), "U1")
    await desk.run(parse("digest show"), inv)  # Discord hands it over parsed
    await desk.handle("no such command", inv)
    assert seen == [("digest show", 0.5), ("unknown", 0.25)]


async def test_the_console_greeting_is_no_command_anyone_timed(tmp_path: Path) -> None:
    app = build_app(_settings(tmp_path), console=Console(file=io.StringIO()))
    try:
        console = app.platforms[0]
        assert isinstance(console, ConsolePlatform)
        await console.greeting()  # asks `digest show` for the next digest's time
        scraped = app.metrics.exposition()[0].decode()
        assert 'paperboy_command_seconds_count{command="digest show"}' not in scraped
    finally:
        await app.aclose()


SOCKET_MODE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
HTTP_MODE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    "env, port, serves",
    [
        ({}, None, False),
        (SOCKET_MODE, None, False),
        (HTTP_MODE, 3000, True),
        ({**HTTP_MODE, "PAPERBOY_HTTP_PORT": "8080"}, 8080, True),
    ],
    ids=["console", "socket mode", "http mode", "http mode on the set port"],
)
def test_slack_http_mode_serves_health_on_its_port_3000_unless_one_is_set(
    tmp_path: Path, env: dict[str, str], port: int | None, serves: bool
) -> None:
    settings = _settings(tmp_path, **env)
    assert platform_serves_http(settings) is serves
    if port is not None:
        assert slack_config(settings).http_port == port


def test_an_empty_http_port_turns_the_server_off(tmp_path: Path) -> None:
    assert _settings(tmp_path, PAPERBOY_HTTP_PORT="").http_port is None
    assert _settings(tmp_path, PAPERBOY_HTTP_PORT="9100").http_port == 9100
