"""The living digest's world for the delivery tests: its platform and a core with a compact
daily digest of 3 papers (tests/bot/delivery/living_world.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Layout, Schedule
from bot.service import Paperboy
from storage.store import Store
from tests.bot.delivery.living_world import CH, DAY, POSTED, Platform, World, day
from tests.helpers import Clock, StaticFeed


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
def world(store: Store, platform: Platform) -> World:
    """A channel with a compact daily digest of 3 papers, posted at POSTED for DAY."""
    clock = Clock(POSTED - timedelta(minutes=5))
    feed = StaticFeed({DAY: day(100, 80, 60, 40, 10)})
    core = Paperboy(store, feed, {"test": platform}, clock=clock)
    core.save_schedule(Schedule(CH, "digest", enabled=True, size=3, layout=Layout.COMPACT))
    return core, feed, clock
