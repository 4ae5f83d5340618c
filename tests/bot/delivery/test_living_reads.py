"""What the living digest costs a poll: the live digests read once, off the event loop; a
refresh's reads fixed but for two per channel (its clicks, its schedule), whatever its clicks
and however many channels share a day, and answering as the store does; the digest rebuilt
from them exactly as `build_digest` builds it from the store; and a live digest's old day
that fails to fetch does not fail the poll."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, cast

from bot.delivery import living, living_reads
from bot.delivery.digests import MAX_FILTER_CANDIDATES, build_digest, day_end
from bot.delivery.living_reads import Reads
from bot.delivery.taste import WINDOW
from bot.domain import Action, ChannelRef, Layout, LedgerEntry, Paper, Schedule
from bot.feed.client import FeedError
from bot.ports import Repository
from bot.service import POLL_FAILED, POLL_SUCCEEDED, Paperboy
from storage.store import Store
from tests.bot.delivery.living_world import CH, DAY, POSTED, Platform, World, day, post_digest
from tests.helpers import Clock, StaticFeed, make_paper

H = timedelta(hours=1)
# sqlite_utils wraps each query in a savepoint: those are not reads.
NOT_READS = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


class Watched:
    """The store, noting for each read of the posted digests whether it ran on the loop."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.on_loop: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def sent_posts(self, kinds: Collection[str], since: datetime) -> list[LedgerEntry]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread
            self.on_loop.append(False)
        else:
            self.on_loop.append(True)
        return self._store.sent_posts(kinds, since)


async def test_a_poll_reads_the_live_digests_once_and_off_the_event_loop(
    store: Store, platform: Platform
) -> None:
    clock = Clock(POSTED - timedelta(minutes=5))
    feed = StaticFeed({DAY: day(100, 80, 60, 40, 10)})
    watched = Watched(store)
    core = Paperboy(cast(Repository, watched), feed, {"test": platform}, clock=clock)
    core.save_schedule(Schedule(CH, "digest", enabled=True, size=3, layout=Layout.COMPACT))
    await post_digest(core, clock)
    watched.on_loop.clear()
    clock.now = POSTED + timedelta(minutes=10)
    feed.days[DAY] = day(150, 80, 60, 40, 10)
    await core.poll()
    assert watched.on_loop == [False]
    assert [v for _, v, _ in platform.edits] == [1]  # and the digest was edited


EVE = DAY - timedelta(days=1)


def _papers(on: date, first: int) -> list[Paper]:
    topics = ("diffusion video", "agents planning", "vision tokens", "speech")
    return [
        make_paper(f"2411.{i:05d}", on, 200 - i, title=f"Paper {i} {topics[i % 4]}")
        for i in range(first, first + 60)
    ]


async def _channels(n: int) -> tuple[Store, Paperboy, Clock, list[str]]:
    """`n` channels, each with the compact digests of EVE and DAY (every other one with a
    filter) and clicks."""
    store = Store(":memory:")
    clock = Clock(POSTED - timedelta(minutes=5))
    core = Paperboy(
        store,
        StaticFeed({EVE: _papers(EVE, 100), DAY: _papers(DAY, 0)}),
        {"test": Platform()},
        clock=clock,
    )
    for i in range(n):
        ref = ChannelRef("test", "W1", f"C{i}")
        core.save_schedule(
            Schedule(
                ref,
                "digest",
                enabled=True,
                size=5,
                layout=Layout.COMPACT,
                climbers=100,
                filter="diffusion OR agents" if i % 2 else None,
            )
        )
        for j in range(4):  # clicks on papers of the day and of another
            paper = f"2411.{10 + j:05d}" if j < 3 else "2410.00001"
            store.record_click(ref, "u", paper, Action.MORE_LIKE, POSTED - timedelta(hours=40))
    store.upsert_papers([make_paper("2410.00001", date(2026, 10, 1), 5, title="speech")])
    await core.poll([EVE, DAY])
    clock.now = POSTED
    for i in range(n):
        for on in (EVE, DAY):
            await core.send_scheduled(ChannelRef("test", "W1", f"C{i}"), "digest", day=on)
    clock.now = POSTED + timedelta(hours=2)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    return store, core, clock, statements


async def test_a_refresh_reads_twice_per_channel_whatever_its_clicks_and_its_digests() -> None:
    reads = []
    for n in (1, 6):
        store, _, clock, statements = await _channels(n)
        lives = living_reads.live_digests(store, clock())
        assert len(lives) == 2 * n
        statements.clear()
        assert living.refresh(store, clock(), lives) == []  # nothing moved
        reads.append([s for s in statements if not s.startswith(NOT_READS)])
        store.close()
    one, six = reads
    assert len(six) - len(one) == 2 * 5  # each channel's clicks and daily schedule
    assert sum("FROM papers WHERE day IN" in s for s in six) == 2  # each day read once


async def test_a_digest_is_rebuilt_as_build_digest_builds_it() -> None:
    store, _, clock, _ = await _channels(2)
    for live in living_reads.live_digests(store, clock()):
        found = living.rebuilt(Reads(store, [live]), live)
        assert found is not None and found.days == live.days
        schedule = store.schedule(live.key.channel, "digest")
        assert schedule is not None
        built = build_digest(store, schedule, live.days)
        assert built is not None
        assert [p.id for p in found.papers] == [p.id for p in built.papers]
        nobody = Schedule(ChannelRef("test", "W1", "nobody"), "digest", size=5)
        plain = build_digest(store, nobody, live.days)
        assert plain is not None  # the clicks (and the filter) change the ranking
        assert [p.id for p in built.papers] != [p.id for p in plain.papers]
    store.close()


async def test_a_refresh_s_reads_answer_as_the_store_does_beyond_what_they_read_ahead() -> None:
    store, _, clock, _ = await _channels(2)
    lives = living_reads.live_digests(store, clock())
    oldest = day_end(EVE) - WINDOW  # the oldest click the channels' live digests weigh
    store.record_click(lives[0].key.channel, "u", "2411.00011", Action.SAVE, oldest - H)
    reads = Reads(store, lives)
    for live in lives:
        for floor, limit in ((0, 3), (150, 100), (0, MAX_FILTER_CANDIDATES + 1)):
            want = store.papers_on(live.days, floor, limit)
            assert reads.papers_on(live.days, floor, limit) == want
        weighed = day_end(live.days[-1]) - WINDOW
        for since in (None, oldest - 2 * H, weighed, POSTED - 39 * H):
            want_clicks = store.clicks(live.key.channel, since)
            assert reads.clicks(live.key.channel, since) == want_clicks
        assert reads.get_paper("2410.00001") == store.get_paper("2410.00001")
    assert reads.clicks(ChannelRef("test", "W1", "other"), None) == []
    store.close()


class FailingFeed(StaticFeed):
    """A feed that cannot answer some days."""

    def __init__(self, days: dict[date, list[Paper]], failing: set[date]) -> None:
        super().__init__(days)
        self.failing = failing

    async def fetch_day(self, day: date) -> list[Paper]:
        if day in self.failing:
            raise FeedError(f"HTTP 503 for {day}")
        return await super().fetch_day(day)


async def test_a_live_digest_s_old_day_that_fails_does_not_fail_the_poll(
    world: World, store: Store, platform: Platform
) -> None:
    core, _, clock = world
    await post_digest(core, clock)
    clock.now = POSTED + timedelta(days=2)  # DAY is no longer today or yesterday, still live
    today = clock.now.date()
    feed = FailingFeed({today: [make_paper("2411.09999", today, 3)]}, {DAY})
    polling = Paperboy(store, feed, {"test": platform}, clock=clock)
    report = await polling.poll()
    assert DAY in report.days and report.errors == [f"{DAY}: HTTP 503 for {DAY}"]
    assert store.facts("poll:") == {POLL_SUCCEEDED: clock.now.isoformat()}
    feed.failing = {DAY, today}
    clock.advance(minutes=15)
    await polling.poll()
    assert store.facts(POLL_FAILED)[POLL_FAILED] == f"{clock.now.isoformat()} {today}"
