"""Fixtures for the Slack adapter tests: the strict fake, a seeded core and an adapter factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.commands.handlers import Handlers
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.helpers import Clock, StaticFeed, seed_two_papers

slack_fake = slack_fixture.slack_fake
SIGNING_SECRET = "test-signing-secret"

MakeAdapter = Callable[..., Awaitable[SlackAdapter]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "paperboy.db"


@pytest.fixture
def slack_store(db_path: Path) -> Store:
    store = Store(db_path)
    seed_two_papers(store)
    return store


@pytest.fixture
def slack_core(slack_store: Store, clock: Clock) -> Paperboy:
    return Paperboy(slack_store, StaticFeed(), {}, clock=clock)


@pytest.fixture
async def make_adapter(
    slack_fake: SlackFake, slack_core: Paperboy, db_path: Path
) -> AsyncIterator[MakeAdapter]:
    started: list[SlackAdapter] = []

    async def make(**overrides: Any) -> SlackAdapter:
        config = SlackConfig(
            **{
                "api_url": slack_fake.api_url,
                "db_path": str(db_path),
                "http_host": "127.0.0.1",
                "http_port": 0,
                **overrides,
            }
        )
        adapter = SlackAdapter(config, Handlers(slack_core).run)
        slack_core.publishers[adapter.publisher.platform] = adapter.publisher
        await adapter.start()
        started.append(adapter)
        return adapter

    yield make
    for adapter in started:
        await adapter.stop()
