"""Fixtures for the Discord adapter tests: the fake, a seeded core, a connected adapter, a
publisher on virtual time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from adapters.discord.channel_kinds import FORUM, TEXT
from adapters.discord.publisher import DiscordPublisher
from bot.commands.handlers import Handlers
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.publishing import CH, FORUM_REF, new_publisher
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_clock import LockstepClock
from tests.helpers import Clock, StaticFeed, seed_two_papers

discord_fake = discord_fixture.discord_fake


@pytest.fixture(autouse=True)
def restore_endpoints() -> Iterator[None]:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
def discord_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "paperboy.db")
    seed_two_papers(store)
    return store


@pytest.fixture
def discord_core(discord_store: Store, clock: Clock) -> Paperboy:
    return Paperboy(discord_store, StaticFeed(), {}, clock=clock)


@pytest.fixture
async def unstarted_adapter(
    discord_fake: DiscordFake, discord_core: Paperboy
) -> AsyncIterator[DiscordAdapter]:
    """An adapter pointed at the fake and wired to the core, never started (posting only)."""
    config = DiscordConfig(
        token=discord_fixture.TOKEN,
        api_url=discord_fake.api_base,
        gateway_url=discord_fake.gateway_url,
        guild_ready_timeout=0.1,
    )
    handlers = Handlers(discord_core)
    adapter = DiscordAdapter(config, handlers.run, handlers.suggest)
    discord_core.publishers[adapter.publisher.platform] = adapter.publisher
    yield adapter
    await adapter.stop()


@pytest.fixture
async def adapter(unstarted_adapter: DiscordAdapter) -> DiscordAdapter:
    """The adapter started and connected to the fake."""
    await unstarted_adapter.start()
    await unstarted_adapter.wait_until_ready(timeout=10)
    return unstarted_adapter


@pytest.fixture
def virtual() -> LockstepClock:
    """Virtual time for the pacer: its waits take no real time."""
    return LockstepClock()


@pytest.fixture
async def publisher(
    discord_fake: DiscordFake, virtual: LockstepClock
) -> AsyncIterator[DiscordPublisher]:
    """A publisher logged in over REST only (no gateway cache), the kinds of the channels
    `CH` (text) and `FORUM_REF` (forum) cached."""
    publisher = new_publisher(discord_fake, virtual)
    publisher.kinds.set(CH, TEXT)
    publisher.kinds.set(FORUM_REF, FORUM)
    yield publisher
    await publisher.close()
