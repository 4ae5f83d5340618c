"""Posting digests and alerts to Discord channels (forum channels get a new post)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord

from adapters.discord.limits import THREAD_NAME_MAX
from adapters.discord.render import DiscordMessage, render_alert, render_digest, thread_name
from bot.domain import Alert, ChannelRef, Digest
from bot.ports import DeliveryError

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Paper titles and queries are user text: never let them ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()
# What a post can fail with before it is out. discord.py lets aiohttp's errors
# (ServerDisconnectedError, ClientPayloadError) and timeouts through unwrapped.
SEND_ERRORS = (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError, ValueError,
               RuntimeError)  # RuntimeError: "Session is closed", a client swapped mid-post
# 400s that are about the channel, not the message (JSON error codes, Discord's
# opcodes-and-status-codes page): "Cannot send messages in a non-text channel" and
# "Thread is archived". Any other 400 (50035 Invalid Form Body, 50006 Cannot send an empty
# message, …) is Discord refusing this message itself.
CHANNEL_400_CODES = frozenset({50008, 50083})
MESSAGE_FAULT_STATUSES = frozenset({400, 413})  # Bad Request, Payload Too Large

NewClient = Callable[[], discord.Client]


class DiscordPublisher:
    """Posts through discord.py, whose HTTP client waits out rate limits per route.

    It owns the discord.py client: a client that was closed (or half-opened by a failed
    login) cannot log in again, so `renew()` swaps it for a fresh one from `new_client`.
    """

    platform = PLATFORM

    def __init__(self, new_client: NewClient, token: str) -> None:
        self._new_client = new_client
        self.client = new_client()
        self.token = token
        self._login = asyncio.Lock()
        self._used = False  # a login was attempted on this client: it must be closed
        self.logged_in = False
        self._closed = False  # paperboy is stopping: no new logins

    async def send_digest(self, channel: ChannelRef, digest: Digest) -> str:
        """Post a digest; what does not fit one message follows it (in the post, on forums)."""
        return await self._post(channel, render_digest(digest), thread_name(digest))

    async def send_alert(self, channel: ChannelRef, alert: Alert) -> str:
        """Post an alert."""
        name = " ".join(alert.paper.title.split())[:THREAD_NAME_MAX] or alert.paper.id
        return await self._post(channel, render_alert(alert), name)

    async def login(self) -> None:
        """Log in over REST once (no gateway); `close()` closes the session."""
        await self._ensure_login()

    async def renew(self) -> None:
        """Close the current client, if it was ever used, and start over with a fresh one."""
        async with self._login:
            await self._renew()

    async def close(self) -> None:
        """Close the client, if a login was ever attempted on it. Does not wait for a login
        in progress: closing the session aborts it."""
        self._closed = True
        await self._close()

    async def _ensure_login(self) -> None:
        # Posting needs only REST: `paperboy digest --send` logs in without a gateway.
        async with self._login:
            if self._closed:
                raise DeliveryError("paperboy is stopping; the post waits for the next start")
            if self.logged_in:
                return
            self._used = True
            try:
                await self.client.login(self.token)
            except BaseException:
                # A failed login leaves a half-open session behind and the client unable to
                # log in again: the next attempt starts from a fresh client.
                await self._renew()
                raise
            self.logged_in = True

    async def _renew(self) -> None:
        if self._used and not self._closed:
            await self._close()
            self.client = self._new_client()
            self._used = False

    async def _close(self) -> None:
        if self._used:
            with contextlib.suppress(Exception):
                # Shielded: a cancelled caller must not cancel discord.py's own close task,
                # which the next close() would then re-raise.
                await asyncio.shield(self.client.close())
        self.logged_in = False

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
        except SEND_ERRORS as exc:
            raise delivery_error(exc) from None
        await self._continue(ref, target, messages, first_id)
        return str(first_id)

    async def _continue(self, ref: ChannelRef, target: Any, messages: list[DiscordMessage],
                        first_id: int) -> None:
        """Send the messages after the first; a failure of any kind is logged, never raised."""
        for part, message in enumerate(messages[1:], start=2):
            try:
                await target.send(content=message.content or None, embeds=message.embeds,
                                  allowed_mentions=NO_MENTIONS)
            except Exception as exc:
                # The post is out: failing it now would make the ledger post it again.
                log.error("Discord: %s: part %d of %d (a message after %s) failed (%s); the "
                          "rest is not posted, the post stays sent", ref.key, part,
                          len(messages), first_id, describe(exc))
                return

    async def _channel(self, channel_id: int) -> Any:
        client = self.client  # read once: a retry may swap it meanwhile
        channel = client.get_channel(channel_id)
        if channel is None:
            channel = await client.fetch_channel(channel_id)
        if not hasattr(channel, "send") and not isinstance(channel, discord.ForumChannel):
            raise DeliveryError(f"channel {channel_id} cannot receive messages", permanent=True)
        return channel


def describe(exc: BaseException) -> str:
    """A discord.py (or network) failure in one line."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return f"{type(exc).__name__}: {exc.text or exc.status}"
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}: {exc.text}"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def delivery_error(exc: Exception) -> DeliveryError:
    """Translate a discord.py (or network) failure.

    403 and 404 mean the channel is gone (permanent); a 400 is Discord refusing this message
    (a message fault, not the channel's), except for the codes that are about the channel.
    """
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return DeliveryError(describe(exc), permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 400 and exc.code in CHANNEL_400_CODES:
            return DeliveryError(describe(exc), permanent=True)
        return DeliveryError(describe(exc), message_fault=exc.status in MESSAGE_FAULT_STATUSES)
    return DeliveryError(describe(exc))
