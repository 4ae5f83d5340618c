"""Fixtures the feed tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.feed.client import FeedClient
from tests.data.make_days import make_day
from tests.fakes.hf_server import HFServer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Sleeps:
    """An injected `sleep` that records what it was asked to wait, and never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def hf() -> AsyncIterator[HFServer]:
    """A started HFServer with no days; tests add their own."""
    async with HFServer() as server:
        yield server


def make_client(server: HFServer, sleeps: Sleeps, **kwargs: Any) -> FeedClient:
    """A FeedClient on the fake at NOW, with no jitter and recorded sleeps."""
    kwargs.setdefault("random", lambda: 1.0)
    kwargs.setdefault("clock", lambda: NOW)
    return FeedClient(server.url, sleep=sleeps, **kwargs)


def serve_days(server: HFServer, counts: dict[date, int]) -> dict[date, list[dict[str, Any]]]:
    """Serve `make_day` entries: `counts` maps a day to a paper count."""
    days = {when: make_day(when, count) for when, count in counts.items()}
    for when, entries in days.items():
        server.add_day(when, entries)
    return days


def queries(server: HFServer) -> list[dict[str, str]]:
    """The query parameters of every feed request the fake received, in order."""
    return [r.query for r in server.feed_requests()]
