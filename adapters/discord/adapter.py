"""The Discord adapter: an auto-sharded discord.py client with the `/papers` command group and
the clicks on paperboy's buttons and selects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import aiohttp
import discord
from discord import app_commands

from adapters.discord import endpoints
from adapters.discord.channel_kinds import ChannelKinds
from adapters.discord.commands import PapersCommands, Run, Suggest
from adapters.discord.interactions import Clicks, PaperButton, PaperSelect
from adapters.discord.publisher import DiscordPublisher, describe
from bot.ports import Health

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
# A failed login or connection is retried after 2, 4, 8 … seconds, at most this far apart.
RETRY_INITIAL_SECONDS = 2.0
RETRY_MAX_SECONDS = 300.0
# How long a connection attempt may take to become ready before the backoff takes over.
CONNECT_TIMEOUT_SECONDS = 60.0
# How long the connection waits for the first command sync before it goes ahead without it
# (a long 429 must not keep the bot offline; the sync finishes in the background).
SYNC_WAIT_SECONDS = 10.0
# Gateway close code 4004, "Authentication failed": the token was refused.
AUTHENTICATION_FAILED = 4004
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
        self.add_dynamic_items(PaperButton, PaperSelect)

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
                if _refused(exc):
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
                if _refused_request(exc):
                    log.error(
                        "Discord: Discord refused the /papers commands (%s); they are not updated",
                        describe(exc),
                    )
                    return
                wait = max(delay, _retry_after(exc))
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


def _refused(exc: Exception) -> bool:
    """A refused token: retrying cannot help."""
    if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(exc, discord.ConnectionClosed) and exc.code == AUTHENTICATION_FAILED


def _refused_request(exc: Exception) -> bool:
    """A 4xx other than 429: Discord refused the request itself, the same one will fail."""
    return isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429


def _retry_after(exc: Exception) -> float:
    """The wait a 429 asked for, or 0."""
    if isinstance(exc, discord.RateLimited):
        return float(exc.retry_after)
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            return float(exc.response.headers.get("Retry-After", 0))
    return 0.0


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds paperboy to a server with exactly the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)
