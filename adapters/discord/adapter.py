"""The Discord adapter: connects the auto-sharded client (`adapters.discord.bot`) in the
background with backoff, posts through its publisher, and says how it is."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

import aiohttp
import discord

from adapters.discord import endpoints
from adapters.discord.bot import PERMISSIONS, PaperboyClient, invite_url
from adapters.discord.channel_kinds import ChannelKinds
from adapters.discord.commands import PapersCommands, Run, Suggest
from adapters.discord.errors import refused_login, refused_request, retry_after
from adapters.discord.interactions import Clicks
from adapters.discord.publisher import DiscordPublisher, describe
from bot.ports import Health

__all__ = ["PERMISSIONS", "DiscordAdapter", "DiscordConfig", "PaperboyClient", "invite_url"]

log = logging.getLogger(__name__)

# A failed login or connection is retried after 2, 4, 8 … seconds, at most this far apart.
RETRY_INITIAL_SECONDS = 2.0
RETRY_MAX_SECONDS = 300.0
# How long a connection attempt may take to become ready before the backoff takes over.
CONNECT_TIMEOUT_SECONDS = 60.0
# How long the connection waits for the first command sync before it goes ahead without it
# (a long 429 must not keep the bot offline; the sync finishes in the background).
SYNC_WAIT_SECONDS = 10.0
# What a network or Discord outage looks like: one error line, no traceback, then a retry.
TRANSIENT_ERRORS = (
    OSError,
    aiohttp.ClientError,
    TimeoutError,
    discord.HTTPException,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DiscordConfig:
    """The Discord part of paperboy's settings."""

    token: str
    api_url: str = endpoints.DEFAULT_API_URL
    gateway_url: str | None = None
    guild_ready_timeout: float = 2.0


class DiscordAdapter:
    """Owns the Discord client: connects it in the background, posts through it, closes it.

    Only a refused token is final. A failed login or connection is retried with exponential
    backoff until `stop()`, and a failed command sync neither blocks nor ends the connection.
    """

    name = "discord"
    retry_initial = RETRY_INITIAL_SECONDS
    retry_max = RETRY_MAX_SECONDS
    sync_wait = SYNC_WAIT_SECONDS
    connect_timeout = CONNECT_TIMEOUT_SECONDS

    def __init__(
        self,
        config: DiscordConfig,
        run: Run,
        suggest: Suggest,
        *,
        sleep: Sleep = asyncio.sleep,
        kinds: ChannelKinds | None = None,
    ) -> None:
        self.config = config
        endpoints.set_api_url(config.api_url)
        if config.gateway_url:
            endpoints.set_gateway_url(config.gateway_url)
        self.commands = PapersCommands(run, suggest)
        self.clicks = Clicks(run)
        self._ready = asyncio.Event()
        self.publisher = DiscordPublisher(self._new_client, config.token, kinds=kinds)
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._synced = False
        # What health() says while not connected: why the last attempt failed, or that the
        # token was refused.
        self._trouble: str | None = None

    @property
    def client(self) -> PaperboyClient:
        """The current discord.py client (replaced after a failed login or connection)."""
        return cast(PaperboyClient, self.publisher.client)

    @property
    def commands_synced(self) -> bool:
        """Whether the application commands were synced since start()."""
        return self._synced

    def _new_client(self) -> PaperboyClient:
        self._ready.clear()
        client = PaperboyClient(
            self.commands,
            on_ready=self._ready.set,
            clicks=self.clicks,
            guild_ready_timeout=self.config.guild_ready_timeout,
        )
        if self.config.gateway_url:
            endpoints.pin_gateway(client, self.config.gateway_url)
        return client

    async def start(self) -> None:
        """Log in, sync commands and connect the shards in the background."""
        self._task = asyncio.create_task(self._run(), name="discord")

    async def _run(self) -> None:
        delay = self.retry_initial
        while True:
            error: Exception | None = None
            try:
                await self._connect()
                failure = "the gateway connection ended"
            except Exception as exc:
                if refused_login(exc):
                    self._trouble = "token refused (DISCORD_TOKEN)"
                    log.error(
                        "Discord: the token was refused (DISCORD_TOKEN); Discord is off, "
                        "the rest of paperboy keeps running"
                    )
                    return
                failure = describe(exc)
                error = None if isinstance(exc, TRANSIENT_ERRORS) else exc
            if self._ready.is_set():  # it was up: a new outage starts the backoff over
                delay = self.retry_initial
            self._trouble = failure
            log.error(
                "Discord: could not connect (%s); retrying in %g s, the rest of "
                "paperboy keeps running",
                failure,
                delay,
                exc_info=error,
            )
            await self.publisher.renew()
            await self._sleep(delay)
            delay = min(delay * 2, self.retry_max)

    async def _connect(self) -> None:
        """One attempt: log in (posting may have already), sync the commands, connect."""
        # client.start() is login() + connect(); logging in through the publisher shares one
        # session with posts that may have logged in already.
        await self.publisher.login()
        client = self.client
        syncing: asyncio.Task[None] | None = None
        try:
            if not self._synced:
                syncing = asyncio.create_task(self._sync(client), name="discord-sync")
                await asyncio.wait({syncing}, timeout=self.sync_wait)
            await self._connect_until_closed(client)
        finally:
            if syncing is not None and not syncing.done():
                syncing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await syncing

    async def _connect_until_closed(self, client: PaperboyClient) -> None:
        """Run the gateway connection; give up (for the backoff) if it is not ready in time.

        discord.py retries an unreachable gateway every 5 s forever, a traceback each time;
        bounding the wait for READY lets paperboy's own backoff take over instead.
        """
        connecting = asyncio.create_task(client.connect(), name="discord-connect")
        ready = asyncio.create_task(self._ready.wait())
        try:
            done, _ = await asyncio.wait(
                {connecting, ready},
                timeout=self.connect_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if connecting in done:
                connecting.result()
                return
            if ready not in done:
                raise TimeoutError(f"no gateway connection within {self.connect_timeout:g} s")
            await connecting
        finally:
            for task in (connecting, ready):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _sync(self, client: PaperboyClient) -> None:
        """Sync the commands, retrying with backoff; a refusal of the commands is final."""
        delay = self.retry_initial
        while True:
            try:
                await client.sync_commands()
            except Exception as exc:
                if refused_request(exc):
                    log.error(
                        "Discord: Discord refused the /papers commands (%s); they are not updated",
                        describe(exc),
                    )
                    return
                wait = max(delay, retry_after(exc))
                log.error(
                    "Discord: could not sync the /papers commands (%s); connecting "
                    "anyway, retrying the sync in %g s",
                    describe(exc),
                    wait,
                    exc_info=not isinstance(exc, TRANSIENT_ERRORS),
                )
            else:
                self._synced = True
                return
            await self._sleep(wait)
            delay = min(delay * 2, self.retry_max)

    async def health(self) -> Health:
        """Connected: ready, with every shard's gateway connection open."""
        if self.publisher.refused is not None:  # a post may learn it first: final until restart
            return Health(False, "token refused (DISCORD_TOKEN)")
        if self._task is None:
            return Health(False, "not started")
        if self._task.done():  # only a refused token (or stop) ends the connecting
            refused = not self._task.cancelled() and self._trouble
            return Health(False, refused or "stopped")
        client = self.client
        if self._ready.is_set() and not client.is_closed():
            closed = sorted(i for i, shard in client.shards.items() if shard.is_closed())
            if not closed:
                return Health(True, "connected")
            return Health(False, f"shard {', '.join(map(str, closed))} reconnecting")
        why = f" (last error: {self._trouble})" if self._trouble else ""
        return Health(False, f"connecting{why}")

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        """Wait until every shard is connected (for tests and start-up logs)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        """Stop connecting and disconnect (posting alone logs in too)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.publisher.close()
