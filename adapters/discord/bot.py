"""The discord.py client of paperboy's gateway connection: auto-sharded, with the `/papers`
command group and the clicks on paperboy's buttons and selects; and the permissions it asks
for when it is added to a server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import PapersCommands
from adapters.discord.interactions import Clicks, PaperControl

log = logging.getLogger(__name__)

# What the bot needs in a channel: see it, post, embed links, start a compact digest's thread
# from its first message, post in threads and forum posts (docs/reference/discord.md §8, §14).
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    create_public_threads=True,
    send_messages_in_threads=True,
)
SCOPES = ("bot", "applications.commands")


class PaperboyClient(discord.AutoShardedClient):
    """discord.py's auto-sharded client with paperboy's command tree and controls."""

    def __init__(
        self,
        commands: PapersCommands,
        on_ready: Callable[[], None] | None = None,
        *,
        clicks: Clicks | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and permission caches; no message content needed
        super().__init__(intents=intents, **options)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(commands.group())
        self.clicks = clicks if clicks is not None else Clicks(commands.run)
        self._on_ready = on_ready

    async def setup_hook(self) -> None:
        """Answer clicks on paperboy's buttons and selects, also on messages posted before
        this process started (their custom_ids carry everything)."""
        self.add_dynamic_items(PaperControl)

    async def sync_commands(self) -> None:
        """Overwrite the global commands with the tree (Discord limits creates per day)."""
        synced = await self.tree.sync()
        log.info("Discord: synced %d application command(s)", len(synced))

    async def on_ready(self) -> None:
        """Log the connection."""
        log.info(
            "Discord: connected as %s in %d server(s) over %s shard(s)",
            self.user,
            len(self.guilds),
            self.shard_count,
        )
        if self._on_ready is not None:
            self._on_ready()


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds paperboy to a server with exactly the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)
