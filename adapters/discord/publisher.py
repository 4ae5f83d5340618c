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
            for message in messages[1:]:
                await target.send(content=message.content or None, embeds=message.embeds,
                                  allowed_mentions=NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc.text or exc.status}",
                                permanent=True) from None
        except discord.HTTPException as exc:
            raise DeliveryError(f"HTTP {exc.status}: {exc.text}") from None
        except (discord.DiscordException, OSError, ValueError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return str(first_id)

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        if not hasattr(channel, "send") and not isinstance(channel, discord.ForumChannel):
            raise DeliveryError(f"channel {channel_id} cannot receive messages", permanent=True)
        return channel
