"""The composition root: builds the store, feed, core and adapters from settings, and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePlatform, ConsolePublisher
from adapters.console.adapter import PLATFORM as CONSOLE_PLATFORM
from bot.app.feeds import FeedRoutes
from bot.app.http import Ops, OpsServer
from bot.app.metrics import Metrics
from bot.app.platforms import (
    SLACK_HTTP_PORT,
    CommandDesk,
    ConfigError,
    Platform,
    build_platforms,
    platform_serves_http,
    secret,
)
from bot.commands.handlers import Handlers
from bot.delivery.digests import DIGEST_KIND
from bot.feed.client import FeedClient
from bot.service import Defaults, Paperboy, utc_now
from bot.similarity.engine import Engine
from bot.similarity.semantic import SemanticEngine, SemanticUnavailable
from bot.similarity.tfidf import TfidfEngine
from storage.store import Store

# Discord and the scheduler are imported where they are used: by `paperboy run` and the
# Discord commands, not by every command that builds the app.
if TYPE_CHECKING:
    from rich.console import Console

    from bot.app.config import Settings

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a running paperboy is made of."""

    settings: Settings
    store: Store
    feed: FeedClient
    core: Paperboy
    handlers: Handlers
    platforms: list[Platform]
    not_configured: dict[str, str]  # platform name -> why it is not configured
    console: ConsolePublisher  # prints what the CLI shows, whatever the platforms
    metrics: Metrics
    ops: Ops  # /healthz and /metrics

    def platform(self, name: str) -> Platform | None:
        """A configured platform by name."""
        return next((p for p in self.platforms if p.name == name), None)

    @property
    def console_active(self) -> bool:
        """True when the console is the platform (no chat platform is configured)."""
        return self.platform(CONSOLE_PLATFORM) is not None

    async def aclose(self) -> None:
        """Let running commands finish (while their platform can still answer), release the
        platforms' clients and the HTTP client, wait for work in threads (alert matching, the
        index merge), then close the database."""
        await self.handlers.aclose()
        for platform in self.platforms:
            await platform.stop()
        await self.feed.aclose()
        await asyncio.get_running_loop().shutdown_default_executor()
        self.store.close()


def similarity_engine(name: str) -> Engine:
    """The engine `PAPERBOY_SIMILARITY` names; ConfigError (one line) when it cannot load."""
    if name != "semantic":
        return TfidfEngine()
    try:
        return SemanticEngine()
    except SemanticUnavailable as exc:
        raise ConfigError(str(exc)) from exc


def build_app(
    settings: Settings,
    console: Console | None = None,
    clock: Callable[[], datetime] = utc_now,
    feed: FeedClient | None = None,
    stdin: TextIO | None = None,
) -> App:
    """Wire paperboy together: every platform with credentials, else the console. The
    platforms (and so their publishers) exist before the core."""
    similarity = similarity_engine(settings.similarity)
    metrics = Metrics()
    ops = Ops(metrics)
    desk = CommandDesk(observe=metrics.command)
    store = Store(settings.db)
    ops.feeds = FeedRoutes(store)
    try:
        platforms, missing = build_platforms(
            settings, desk, store, clock, console, stdin, web_routes=ops.add_routes
        )
    except Exception:
        store.close()
        raise
    metrics.watch_store(store, [p.name for p in platforms])
    metrics.watch_publishers({p.name: p.publisher for p in platforms})
    ops.platforms = platforms
    feed = feed or FeedClient(
        base_url=settings.hf_url, token=secret(settings.hf_token), clock=clock
    )
    console_on = any(p.name == CONSOLE_PLATFORM for p in platforms)
    core = Paperboy(
        store,
        feed,
        {p.name: p.publisher for p in platforms},
        clock=clock,
        defaults=Defaults(
            digest_time=settings.digest_time,
            timezone=settings.timezone,
            digest_on_for=frozenset({CONSOLE_PLATFORM} if settings.console_digest else ()),
        ),
        observer=metrics,
        similarity=similarity,
    )
    handlers = Handlers(core)
    handlers.feed_base = feed_base(settings)
    desk.handlers = handlers
    printer = next(
        (p.publisher for p in platforms if isinstance(p, ConsolePlatform)),
        ConsolePublisher(console),
    )
    if not console_on:
        log.debug("chat platforms: %s", ", ".join(p.name for p in platforms))
    return App(settings, store, feed, core, handlers, platforms, missing, printer, metrics, ops)


def ensure_console_channel(app: App) -> None:
    """Store the console channel with its defaults the first time paperboy runs."""
    if app.console_active and app.store.schedule(CONSOLE_CHANNEL, DIGEST_KIND) is None:
        app.core.save_schedule(app.core.schedule(CONSOLE_CHANNEL, DIGEST_KIND))


def feed_base(settings: Settings) -> str | None:
    """Where readers reach the feeds: PAPERBOY_PUBLIC_URL, else the HTTP server's own address
    (127.0.0.1 for a server on every address); None when no HTTP server runs."""
    if settings.public_url:
        return settings.public_url
    if platform_serves_http(settings):
        port = settings.http_port or SLACK_HTTP_PORT
    elif settings.http_port is not None:
        port = settings.http_port
    else:
        return None
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{port}"


def ops_server(app: App) -> OpsServer | None:
    """The server of /healthz and /metrics when PAPERBOY_HTTP_PORT is set and no platform
    serves them (Slack HTTP mode adds them to its own server)."""
    settings = app.settings
    if settings.http_port is None or platform_serves_http(settings):
        return None
    return OpsServer(app.ops, settings.http_host, settings.http_port)


async def run(app: App, stop: asyncio.Event | None = None) -> None:
    """The main job: schedule polls and timed posts, run the platforms, stop on a signal (or
    when `stop` is set).

    The scheduler starts first and the platforms connect in the background: one that is slow
    or unreachable never holds up polls, digests, alerts or a stop signal.
    """
    from bot.app.scheduler import Scheduler

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ensure_console_channel(app)
    scheduler = Scheduler(app.core, app.settings.poll_minutes, app.metrics)
    app.ops.scheduler_running = lambda: scheduler.running
    server = ops_server(app)
    starting: list[asyncio.Task[None]] = []
    try:
        if server is not None:
            await server.start()
        scheduler.start()
        log.info(
            "paperboy running: %s, polling every %d min, database %s",
            ", ".join(p.name for p in app.platforms),
            app.settings.poll_minutes,
            app.settings.db,
        )
        for name, why in app.not_configured.items():
            log.info("%s: not configured (%s)", name, why)
        starting = [asyncio.create_task(_start(p)) for p in app.platforms]
        await stop.wait()
    finally:
        log.info("stopping")
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        scheduler.shutdown()
        if server is not None:
            await server.stop()
        for platform in app.platforms:
            await platform.stop()
        await app.core.deliverer.aclose()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _start(platform: Platform) -> None:
    """Start one platform; an unexpected error turns that platform off, not paperboy."""
    try:
        await platform.start()
    except Exception:
        log.exception("%s: could not start; the rest of paperboy keeps running", platform.name)


async def discord_application_id(app: App) -> int:
    """The Discord application id, asked of the API with the bot token. Raises ConfigError
    when Discord refuses the token, ConnectionError when it cannot answer (down, unreachable,
    a 5xx)."""
    import aiohttp
    from discord import HTTPException as DiscordHTTPException
    from discord import LoginFailure as DiscordLoginFailure

    from adapters.discord.adapter import DiscordAdapter
    from adapters.discord.publisher import describe

    discord = app.platform("discord")
    assert isinstance(discord, DiscordAdapter)
    try:
        await discord.publisher.login()
        info = await discord.client.application_info()
    except DiscordLoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN") from None
    except (DiscordHTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"cannot ask Discord ({app.settings.discord_api_url}) for the application id: "
            f"{describe(exc)[:300]}"
        ) from None
    return info.id


def discord_invite_url(application_id: int) -> str:
    """The OAuth2 link that adds paperboy to a Discord server."""
    from adapters.discord.adapter import invite_url

    return invite_url(application_id)
