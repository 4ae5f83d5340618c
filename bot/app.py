"""The composition root: builds the store, feed, core and adapters from settings, and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from rich.console import Console

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePublisher, read_commands
from bot.config import Settings
from bot.feed import FeedClient
from bot.handlers import Handlers
from bot.scheduler import Scheduler
from bot.service import Defaults, Paperboy, utc_now
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a running paperboy is made of."""

    settings: Settings
    store: Store
    feed: FeedClient
    core: Paperboy
    handlers: Handlers
    console: ConsolePublisher

    async def aclose(self) -> None:
        """Release the HTTP client and the database."""
        await self.feed.aclose()
        self.store.close()


def build_app(
    settings: Settings,
    console: Console | None = None,
    clock: Callable[[], datetime] = utc_now,
    feed: FeedClient | None = None,
) -> App:
    """Wire paperboy together from settings."""
    store = Store(settings.db)
    token = settings.hf_token.get_secret_value() if settings.hf_token else None
    feed = feed or FeedClient(base_url=settings.hf_url, token=token, clock=clock)
    publisher = ConsolePublisher(console)
    core = Paperboy(
        store,
        feed,
        publishers={publisher.platform: publisher},
        clock=clock,
        defaults=Defaults(
            digest_time=settings.digest_time,
            timezone=settings.timezone,
            digest_on_for=frozenset({publisher.platform} if settings.console_digest else ()),
        ),
    )
    return App(settings, store, feed, core, Handlers(core), publisher)


def ensure_console_channel(app: App) -> None:
    """Store the console channel with its defaults the first time paperboy runs."""
    if app.store.channel(CONSOLE_CHANNEL) is None:
        app.core.save_settings(app.core.settings(CONSOLE_CHANNEL))


async def run(app: App, stdin: TextIO | None = None) -> None:
    """The main job: schedule polls and digests, read console commands, stop on a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ensure_console_channel(app)
    scheduler = Scheduler(app.core, app.settings.poll_minutes)
    scheduler.start()
    log.info("paperboy running: console adapter, polling every %d min, database %s",
             app.settings.poll_minutes, app.settings.db)
    reader = asyncio.create_task(read_commands(app.handlers.handle, app.console, stdin))
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        reader.cancel()
        scheduler.shutdown()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
