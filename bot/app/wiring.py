"""The composition root: builds the store, feed, core and adapters from settings, and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from discord import LoginFailure as DiscordLoginFailure
from rich.console import Console

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePublisher, read_commands
from adapters.discord.adapter import DiscordAdapter, DiscordConfig, invite_url
from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.app.config import Settings
from bot.app.scheduler import Scheduler
from bot.commands.handlers import Handlers
from bot.delivery.digests import DIGEST_KIND
from bot.feed.client import FeedClient
from bot.ports import Publisher
from bot.service import Defaults, Paperboy, utc_now
from storage.store import Store

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """Settings that cannot work together."""


@dataclass
class App:
    """Everything a running paperboy is made of."""

    settings: Settings
    store: Store
    feed: FeedClient
    core: Paperboy
    handlers: Handlers
    console: ConsolePublisher
    slack: SlackAdapter | None = None
    discord: DiscordAdapter | None = None
    console_active: bool = True

    async def aclose(self) -> None:
        """Release the HTTP clients and the database."""
        await self.feed.aclose()
        if self.discord is not None:
            await self.discord.stop()
        self.store.close()


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else None


def slack_config(settings: Settings) -> SlackConfig:
    """The Slack adapter's view of the settings."""
    return SlackConfig(
        api_url=settings.slack_api_url,
        db_path=settings.db,
        bot_token=_secret(settings.slack_bot_token),
        app_token=_secret(settings.slack_app_token),
        signing_secret=_secret(settings.slack_signing_secret),
        client_id=settings.slack_client_id,
        client_secret=_secret(settings.slack_client_secret),
        admins_only=settings.slack_admins_only,
        http_host=settings.http_host,
        http_port=settings.http_port,
    )


def discord_config(settings: Settings) -> DiscordConfig | None:
    """The Discord adapter's view of the settings, or None without a token."""
    token = _secret(settings.discord_token)
    if not token:
        return None
    return DiscordConfig(token=token, api_url=settings.discord_api_url,
                         gateway_url=settings.discord_gateway_url)


def build_app(
    settings: Settings,
    console: Console | None = None,
    clock: Callable[[], datetime] = utc_now,
    feed: FeedClient | None = None,
) -> App:
    """Wire paperboy together: every platform with credentials, else the console."""
    slack_cfg = slack_config(settings)
    problem = slack_cfg.problem()
    if problem:
        raise ConfigError(problem)
    store = Store(settings.db)
    feed = feed or FeedClient(base_url=settings.hf_url, token=_secret(settings.hf_token),
                              clock=clock)
    console_publisher = ConsolePublisher(console)
    publishers: dict[str, Publisher] = {}
    core = Paperboy(store, feed, publishers, clock=clock, defaults=Defaults(
        digest_time=settings.digest_time,
        timezone=settings.timezone,
        digest_on_for=frozenset({console_publisher.platform} if settings.console_digest else ()),
    ))
    handlers = Handlers(core)
    slack = SlackAdapter(slack_cfg, handlers.run) if slack_cfg.mode else None
    if slack is not None:
        core.publishers[slack.publisher.platform] = slack.publisher
    discord_cfg = discord_config(settings)
    discord = DiscordAdapter(discord_cfg, handlers.run, handlers.suggest) if discord_cfg else None
    if discord is not None:
        core.publishers[discord.publisher.platform] = discord.publisher
    console_active = not core.publishers
    if console_active:
        core.publishers[console_publisher.platform] = console_publisher
    return App(settings, store, feed, core, handlers, console_publisher, slack, discord,
               console_active)


def ensure_console_channel(app: App) -> None:
    """Store the console channel with its defaults the first time paperboy runs."""
    if app.console_active and app.store.schedule(CONSOLE_CHANNEL, DIGEST_KIND) is None:
        app.core.save_schedule(app.core.schedule(CONSOLE_CHANNEL, DIGEST_KIND))


async def run(app: App, stdin: TextIO | None = None) -> None:
    """The main job: schedule polls and digests, run the adapters, stop on a signal.

    The scheduler starts first and the adapters connect in the background: a platform that is
    slow or unreachable never holds up polls, digests, alerts or a stop signal.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ensure_console_channel(app)
    scheduler = Scheduler(app.core, app.settings.poll_minutes)
    reader: asyncio.Task[None] | None = None
    starting: list[asyncio.Task[None]] = []
    try:
        scheduler.start()
        log.info("paperboy running: %s, polling every %d min, database %s",
                 ", ".join(sorted(app.core.publishers)), app.settings.poll_minutes,
                 app.settings.db)
        if app.console_active:
            reader = asyncio.create_task(read_commands(app.handlers.handle, app.console, stdin))
        if app.discord is not None:
            starting.append(asyncio.create_task(_start("Discord", app.discord.start)))
        if app.slack is not None:
            starting.append(asyncio.create_task(_start("Slack", app.slack.start)))
        await stop.wait()
    finally:
        log.info("stopping")
        for task in [*starting, *([reader] if reader is not None else [])]:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        scheduler.shutdown()
        if app.slack is not None:
            await app.slack.stop()
        if app.discord is not None:
            await app.discord.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _start(platform: str, start: Callable[[], Awaitable[None]]) -> None:
    """Start one adapter; an unexpected error turns that platform off, not paperboy."""
    try:
        await start()
    except Exception:
        log.exception("%s: could not start; the rest of paperboy keeps running", platform)


async def discord_application_id(app: App) -> int:
    """The Discord application id, asked of the API with the bot token."""
    assert app.discord is not None
    try:
        await app.discord.publisher.login()
        info = await app.discord.client.application_info()
    except DiscordLoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN") from None
    return info.id


def discord_invite_url(application_id: int) -> str:
    """The OAuth2 link that adds paperboy to a Discord server."""
    return invite_url(application_id)
