"""The `discord_fake` fixture (a started DiscordFake with one guild) and `patch_discord`.

Guild 1000 "Paper Readers": text channels 2000 "papers" and 2001 "random", forum channel 2002
"paper-forum"; member 3000 has Manage Channels (16) plus view/send, member 3001 only basic
permissions. Bot token "fake-bot-token", application id 4000 (also the bot user id).
Use it from a test module with `from tests.fakes import discord_fixture` then
`discord_fake = discord_fixture.discord_fake` (an imported name that test arguments shadow is
F811). `patch_discord(fake)` points discord.py's REST and gateway at the fake for the fake's
own tests; the product has its own override module. `started(fake, bot)` runs a discord.py
client against the fake; `raw(fake, method, path)` is a plain HTTP call to its REST API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from multidict import CIMultiDictProxy

from tests.fakes.discord_api import DiscordFake, Message
from tests.fakes.discord_records import BASIC_MEMBER, FORUM, MANAGE_CHANNELS, TEXT

GUILD = 1000
PAPERS, RANDOM, FORUM_CHANNEL = 2000, 2001, 2002
MANAGER, MEMBER = 3000, 3001
TOKEN = "fake-bot-token"
APP_ID = 4000
MANAGER_PERMISSIONS = BASIC_MEMBER | MANAGE_CHANNELS
ClientT = TypeVar("ClientT", bound=discord.Client)


def configure(fake: DiscordFake) -> DiscordFake:
    """Give a fake the standard guild (see the module docstring)."""
    fake.add_guild(
        GUILD,
        "Paper Readers",
        channels={
            PAPERS: {"name": "papers", "type": TEXT},
            RANDOM: {"name": "random", "type": TEXT},
            FORUM_CHANNEL: {"name": "paper-forum", "type": FORUM},
        },
        members={MANAGER: MANAGER_PERMISSIONS, MEMBER: BASIC_MEMBER},
    )
    return fake


@contextmanager
def patch_discord(fake: DiscordFake) -> Iterator[None]:
    """Point `Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY` at the fake; restore after."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@asynccontextmanager
async def started(fake: DiscordFake, bot: ClientT) -> AsyncIterator[ClientT]:
    """`bot` (a discord.py client) logged in and READY against `fake`; closed after."""
    with patch_discord(fake):
        task: asyncio.Task[None] | None = None
        try:
            await bot.login(TOKEN)
            task = asyncio.create_task(bot.connect())
            await asyncio.wait_for(bot.wait_until_ready(), 5)
            yield bot
        finally:
            await bot.close()
            if task is not None:
                await asyncio.wait_for(task, 5)


async def raw(
    fake: DiscordFake, method: str, path: str, body: Any = None, token: str | None = TOKEN
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    """A plain HTTP call to the fake's REST API (no discord.py rate-limit handling)."""
    headers = {"Authorization": f"Bot {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, fake.api_base + path, json=body, headers=headers) as resp,
    ):
        data = await resp.json(content_type=None) if resp.status != 204 else None
        return resp.status, data, resp.headers


@pytest.fixture
async def discord_fake() -> AsyncIterator[DiscordFake]:
    """A started DiscordFake with the standard guild; real clock."""
    async with DiscordFake(token=TOKEN, application_id=APP_ID) as fake:
        yield configure(fake)


class ForbiddenAfterFirstPost(list[Message]):
    """A stand-in for the fake's message log: the first message stored makes its channel (or
    forum) answer 403, so a post is cut short after its first message."""

    def __init__(self, fake: DiscordFake) -> None:
        super().__init__(fake.world.messages)
        self.fake = fake

    def append(self, message: Message) -> None:
        super().append(message)
        self.fake.forbid(message.parent_id or message.channel_id)
