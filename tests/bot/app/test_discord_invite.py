"""`discord_application_id` when Discord answers 500: discord.py's own retries (their waits
injected), then a ConnectionError the CLI turns into one line; `paperboy discord-invite`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import discord.http
import pytest
from aiohttp import web

from bot.app import wiring
from bot.app.config import Settings
from tests.bot.app.cli_run import cli_env, paperboy, serving
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import TOKEN
from tests.fakes.hf_server import HFServer

discord_fake = discord_fixture.discord_fake


@pytest.fixture
async def discord_down() -> AsyncIterator[tuple[str, list[str]]]:
    """A Discord API answering every request 500; its URL and the paths asked."""
    asked: list[str] = []

    async def down(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(status=500, text="500: Internal Server Error")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", down)
    async with serving(app) as url:
        yield f"{url}/api/v10", asked


async def test_a_discord_answering_500_is_a_connection_error_after_its_retries(
    discord_down: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    api, asked = discord_down
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float, result: object = None) -> object:
        waits.append(seconds)
        return await real_sleep(0, result)

    monkeypatch.setattr(discord.http.asyncio, "sleep", sleep)  # discord.py's retry waits
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)  # restored after
    monkeypatch.setenv("PAPERBOY_DB", ":memory:")
    monkeypatch.setenv("DISCORD_TOKEN", "fake-bot-token")
    monkeypatch.setenv("DISCORD_API_URL", api)
    app = wiring.build_app(Settings(_env_file=None))
    try:
        with pytest.raises(ConnectionError) as caught:
            await wiring.discord_application_id(app)
    finally:
        await app.aclose()

    assert str(caught.value).startswith(
        f"cannot ask Discord ({api}) for the application id: HTTP 500: "
    )
    assert asked == ["/api/v10/users/@me"] * 5  # discord.py tries a 500 five times,
    assert [w for w in waits if w in (1, 3, 5, 7, 9)] == [1, 3, 5, 7, 9]  # 25 s, not waited


async def test_the_invite_command_prints_the_link_and_no_library_info(
    tmp_path: Path, hf_server: HFServer, discord_fake: DiscordFake
) -> None:
    """At PAPERBOY_LOG_LEVEL=INFO, discord.py's "logging in using static token" is no news:
    stdout has the link, stderr nothing."""
    env = cli_env(tmp_path, hf_server) | {
        "PAPERBOY_LOG_LEVEL": "INFO",
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": discord_fake.api_base,
    }
    result = await paperboy(["discord-invite"], env, tmp_path)
    assert result.code == 0, result.err
    assert result.out.startswith("https://discord.com/oauth2/authorize?client_id=")
    assert result.out.count("\n") == 1
    assert "static token" not in result.err and result.err == "", result.err
