"""The Discord adapter: an auto-sharded discord.py client with the `/papers` command group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from adapters.discord import endpoints
from adapters.discord.commands import PapersCommands, Run, Suggest
from adapters.discord.publisher import DiscordPublisher

log = logging.getLogger(__name__)

# What the bot needs in a channel: see it, post, embed links, post in threads and forum posts.
PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, send_messages_in_threads=True,
)
SCOPES = ("bot", "applications.commands")


@dataclass(frozen=True)
class DiscordConfig:
    """The Discord part of paperboy's settings."""

    token: str
    api_url: str = endpoints.DEFAULT_API_URL
    gateway_url: str | None = None
    guild_ready_timeout: float = 2.0


class PaperboyClient(discord.AutoShardedClient):
    """discord.py's auto-sharded client with paperboy's command tree, synced on start."""

    def __init__(self, commands: PapersCommands, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and permission caches; no message content needed
        super().__init__(intents=intents, **options)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(commands.group())
        # discord.py runs setup_hook on every login(), and posting alone logs in too
        # (`paperboy digest --send`): only DiscordAdapter.start() turns syncing on.
        self.sync_on_login = False
        self.commands_synced = False

    async def setup_hook(self) -> None:
        """Sync the application commands on login, when the adapter was started."""
        if self.sync_on_login:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Overwrite the global commands with the tree (Discord limits creates per day)."""
        synced = await self.tree.sync()
        self.commands_synced = True
        log.info("Discord: synced %d application command(s)", len(synced))

    async def on_ready(self) -> None:
        """Log the connection."""
        log.info("Discord: connected as %s in %d server(s) over %s shard(s)", self.user,
                 len(self.guilds), self.shard_count)


class DiscordAdapter:
    """Owns the Discord client: connects it in the background, posts through it, closes it."""

    def __init__(self, config: DiscordConfig, run: Run, suggest: Suggest) -> None:
        self.config = config
        endpoints.set_api_url(config.api_url)
        if config.gateway_url:
            endpoints.set_gateway_url(config.gateway_url)
        self.commands = PapersCommands(run, suggest)
        self.client = PaperboyClient(self.commands,
                                     guild_ready_timeout=config.guild_ready_timeout)
        if config.gateway_url:
            endpoints.pin_gateway(self.client, config.gateway_url)
        self.publisher = DiscordPublisher(self.client, config.token)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in, sync commands and connect the shards in the background."""
        self.client.sync_on_login = True
        self._task = asyncio.create_task(self._run(), name="discord")

    async def _run(self) -> None:
        try:
            # client.start() is login() + connect(); logging in through the publisher shares
            # one session with posts that may have logged in already.
            await self.publisher.login()
            if not self.client.commands_synced:  # logged in before start(): sync now
                await self.client.sync_commands()
            await self.client.connect()
        except discord.LoginFailure:
            log.error("Discord: the token was refused (DISCORD_TOKEN); Discord is off, the "
                      "rest of paperboy keeps running")
        except Exception:
            log.exception("Discord: the connection failed; Discord is off, the rest of "
                          "paperboy keeps running")

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        """Wait until every shard is connected (for tests and start-up logs)."""
        await asyncio.wait_for(self.client.wait_until_ready(), timeout)

    async def stop(self) -> None:
        """Disconnect, if the client ever logged in (posting alone logs in too)."""
        if self._task is not None or self.publisher.logged_in:
            await self.client.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds paperboy to a server with exactly the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)
