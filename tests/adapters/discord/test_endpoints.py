"""Canary: the discord.py internals that DISCORD_API_URL and DISCORD_GATEWAY_URL rely on."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route

from adapters.discord import endpoints


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


def test_rest_base_is_read_from_route_base_on_every_route() -> None:
    endpoints.set_api_url("http://127.0.0.1:9/api/v10/")
    assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"


def test_webhooks_and_interaction_callbacks_use_the_same_route_class() -> None:
    from discord.webhook import async_ as webhook_module

    assert webhook_module.Route is Route


def test_gateway_default_is_a_class_attribute_used_by_connect() -> None:
    endpoints.set_gateway_url("ws://127.0.0.1:9/gateway")
    assert yarl.URL("ws://127.0.0.1:9/gateway") == DiscordWebSocket.DEFAULT_GATEWAY
    assert "DEFAULT_GATEWAY" in inspect.getsource(discord.AutoShardedClient.launch_shards)


def test_auto_sharded_client_takes_its_gateway_from_get_bot_gateway() -> None:
    source = inspect.getsource(discord.AutoShardedClient.launch_shards)
    assert "get_bot_gateway" in source
    assert inspect.iscoroutinefunction(HTTPClient.get_bot_gateway)


async def test_pinned_gateway_replaces_the_url_the_api_names() -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.none())

    async def from_api() -> tuple[int, str, Any]:
        return 2, "wss://gateway.discord.gg", {"total": 1000}

    client.http.get_bot_gateway = from_api  # type: ignore[method-assign]
    endpoints.pin_gateway(client, "ws://127.0.0.1:9/gateway")
    assert await client.http.get_bot_gateway() == (2, "ws://127.0.0.1:9/gateway", {"total": 1000})


def test_discord_py_is_the_major_version_these_internals_were_checked_on() -> None:
    assert discord.version_info.major == 2 and discord.version_info.minor >= 7
