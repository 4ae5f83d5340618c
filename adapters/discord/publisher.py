"""Posting digests and alerts to Discord channels (forum channels get a new post)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from adapters.discord.limits import THREAD_NAME_MAX
from adapters.discord.render import DiscordMessage, render_alert, render_digest, thread_name
from bot.domain import Alert, ChannelRef, Digest
from bot.ports import DeliveryError

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Paper titles and queries are user text: never let them ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()


class DiscordPublisher:
    """Posts through discord.py, whose HTTP client waits out rate limits per route."""

    platform = PLATFORM

    def __init__(self, client: discord.Client, token: str) -> None:
        self.client = client
        self.token = token
        self._login = asyncio.Lock()
        self.logged_in = False

    async def send_digest(self, channel: ChannelRef, digest: Digest) -> str:
        """Post a digest; what does not fit one message follows it (in the post, on forums)."""
        return await self._post(channel, render_digest(digest), thread_name(digest))

    async def send_alert(self, channel: ChannelRef, alert: Alert) -> str:
        """Post an alert."""
        name = " ".join(alert.paper.title.split())[:THREAD_NAME_MAX] or alert.paper.id
        return await self._post(channel, render_alert(alert), name)

    async def login(self) -> None:
        """Log in over REST once (no gateway); `DiscordAdapter.stop()` closes the session."""
        await self._ensure_login()

    async def _ensure_login(self) -> None:
        # Posting needs only REST: `paperboy digest --send` logs in without a gateway.
        async with self._login:
            if self.client.http.token is None:
                await self.client.login(self.token)
            self.logged_in = True

    async def _post(self, ref: ChannelRef, messages: list[DiscordMessage], title: str) -> str:
        try:
            await self._ensure_login()
            channel = await self._channel(int(ref.channel))
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=title, content=messages[0].content or None,
                    embeds=messages[0].embeds, allowed_mentions=NO_MENTIONS,
                )
                target: Any = created.thread
                first_id = created.message.id
            else:
                target = channel
                first_id = (await channel.send(content=messages[0].content or None,
                                               embeds=messages[0].embeds,
                                               allowed_mentions=NO_MENTIONS)).id
        except (discord.DiscordException, OSError, ValueError) as exc:
            raise _delivery_error(exc) from None
        await self._continue(ref, target, messages, first_id)
        return str(first_id)

    async def _continue(self, ref: ChannelRef, target: Any, messages: list[DiscordMessage],
                        first_id: int) -> None:
        """Send the messages after the first; a failure is logged, never raised."""
        for part, message in enumerate(messages[1:], start=2):
            try:
                await target.send(content=message.content or None, embeds=message.embeds,
                                  allowed_mentions=NO_MENTIONS)
            except (discord.DiscordException, OSError, ValueError) as exc:
                # The post is out: failing it now would make the ledger post it again.
                log.error("Discord: %s: part %d of %d (a message after %s) failed (%s); the "
                          "rest is not posted, the post stays sent", ref.key, part,
                          len(messages), first_id, _delivery_error(exc))
                return

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        if not hasattr(channel, "send") and not isinstance(channel, discord.ForumChannel):
            raise DeliveryError(f"channel {channel_id} cannot receive messages", permanent=True)
        return channel


def _delivery_error(exc: Exception) -> DeliveryError:
    """Translate a discord.py (or network) failure; 403 and 404 mean the channel is gone."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return DeliveryError(f"{type(exc).__name__}: {exc.text or exc.status}", permanent=True)
    if isinstance(exc, discord.HTTPException):
        return DeliveryError(f"HTTP {exc.status}: {exc.text}")
    return DeliveryError(f"{type(exc).__name__}: {exc}")
