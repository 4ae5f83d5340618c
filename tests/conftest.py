"""Shared fixtures: a real SQLite file, an injected clock, the core wired to test doubles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands.handlers import Handlers
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A Store on a real SQLite file in a temp directory."""
    s = Store(tmp_path / "paperboy.db")
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    """Wednesday 2026-11-25 15:00 UTC, movable by hand."""
    return Clock(at("2026-11-25 15:00"))


@pytest.fixture
def feed() -> StaticFeed:
    return StaticFeed()


@pytest.fixture
def publisher() -> ScriptedPublisher:
    return ScriptedPublisher()


@pytest.fixture
def core(store: Store, feed: StaticFeed, publisher: ScriptedPublisher, clock: Clock) -> Paperboy:
    """The core on a real store, with a static feed and a scripted 'test' platform."""
    return Paperboy(store, feed, {publisher.platform: publisher}, clock=clock)


@pytest.fixture
def handlers(core: Paperboy) -> Handlers:
    return Handlers(core)
