"""Where discord.py connects: the one place that overrides its REST base and gateway URL.

discord.py has no public setting for either, so this module sets two internals —
`discord.http.Route.BASE` and `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` — and pins
the gateway URL that `AutoShardedClient` would otherwise take from `GET /gateway/bot`.
`tests/adapters/discord/test_endpoints.py` is the canary that fails if an upgrade moves them.
"""

from __future__ import annotations

from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route

DEFAULT_API_URL = "https://discord.com/api/v10"


def set_api_url(api_url: str) -> None:
    """Send every REST call (and webhook, and interaction callback) to `api_url`."""
    Route.BASE = api_url.rstrip("/")


def set_gateway_url(gateway_url: str) -> None:
    """Connect shards to `gateway_url` instead of Discord's gateway."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def pin_gateway(client: discord.Client, gateway_url: str) -> None:
    """Make `client` use `gateway_url` even where it asks the REST API for one."""
    http: HTTPClient = client.http
    original = http.get_bot_gateway

    async def get_bot_gateway() -> tuple[int, str, Any]:
        shards, _url, limits = await original()
        return shards, gateway_url, limits

    http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]
