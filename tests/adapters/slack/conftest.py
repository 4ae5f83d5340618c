"""Fixtures for the Slack adapter tests: the strict fake, a seeded core, an adapter factory, a
publisher on a fake that shares its virtual clock (whose sleep only moves it forward: no test
waits on the wall clock)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.slack.pacing import SlackPacer
from adapters.slack.publisher import SlackPublisher
from bot.commands.handlers import Handlers
from bot.domain import PostKey
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.helpers import Clock, MemoryTracker, StaticFeed, seed_two_papers

slack_fake = slack_fixture.slack_fake
SIGNING_SECRET = "test-signing-secret"

MakeAdapter = Callable[..., Awaitable[SlackAdapter]]


class VirtualTime:
    """Epoch seconds for a fake, a pacer or an adapter; `sleep` moves them on and logs the wait."""

    def __init__(self, now: float = 1_796_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self.log: list[str] = []  # waits (and whatever a test adds) in order

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.log.append(f"sleep {seconds:g}")
        self.now += seconds
        await asyncio.sleep(0)

    def since(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


class LoggingTracker(MemoryTracker):
    """A MemoryTracker that also writes its calls into the clock's log (to order them)."""

    def __init__(self, key: PostKey, time: VirtualTime, **state: Any) -> None:
        super().__init__(key, **state)
        self.time = time

    async def claim(self, part: int) -> None:
        await super().claim(part)
        self.time.log.append(f"claim {part}")

    async def sent(self, part: int, message_id: str, thread_id: str | None = None) -> None:
        await super().sent(part, message_id, thread_id)
        self.time.log.append(f"sent {part}")

    async def refused(self, part: int) -> None:
        await super().refused(part)
        self.time.log.append(f"refused {part}")


@pytest.fixture
def vt() -> VirtualTime:
    """The clock the `slack` fake, its publisher and the publisher's pacer share."""
    return VirtualTime()


slack = slack_fixture.fake_on("vt")


def make_publisher(api_url: str, vt: VirtualTime, **options: Any) -> SlackPublisher:
    """A publisher with T1's bot token, paced on `vt`."""

    async def token_for(workspace: str) -> str | None:
        return slack_fixture.BOT_TOKEN if workspace == "T1" else None

    pacer = SlackPacer(monotonic=vt, sleep=vt.sleep)
    return SlackPublisher(api_url, token_for, pacer=pacer, **options)


@pytest.fixture
def publisher(slack: SlackFake, vt: VirtualTime) -> SlackPublisher:
    """A publisher posting to the `slack` fake."""
    return make_publisher(slack.api_url, vt)


@pytest.fixture
def waits() -> VirtualTime:
    """The adapter's sleep (SDK retries, Socket Mode reconnects): recorded, never waited."""
    return VirtualTime()


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
    slack_fake: SlackFake, slack_core: Paperboy, db_path: Path, waits: VirtualTime
) -> AsyncIterator[MakeAdapter]:
    started: list[SlackAdapter] = []

    async def make(clock: Callable[[], float] = time.time, **overrides: Any) -> SlackAdapter:
        config = SlackConfig(
            **{
                "api_url": slack_fake.api_url,
                "db_path": str(db_path),
                "http_host": "127.0.0.1",
                "http_port": 0,
                **overrides,
            }
        )
        adapter = SlackAdapter(config, Handlers(slack_core).run, sleep=waits.sleep, clock=clock)
        slack_core.publishers[adapter.publisher.platform] = adapter.publisher
        await adapter.start()
        started.append(adapter)
        return adapter

    yield make
    for adapter in started:
        await adapter.stop()
