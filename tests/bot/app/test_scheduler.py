"""Scheduler wiring: the poll and tick jobs, one cron job per enabled schedule and kind,
changed one job at a time as schedules change (here or in another process)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app.scheduler import COMPACT_AT, COMPACT_JOB, POLL_JOB, TICK_JOB, Scheduler
from bot.commands.handlers import Handlers
from bot.domain import ChannelRef, Invocation, Schedule
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

CH = ChannelRef("test", "W1", "C1")


@pytest.fixture
async def scheduler(core: Paperboy) -> AsyncIterator[Scheduler]:
    s = Scheduler(core, poll_minutes=15)
    yield s
    s.shutdown()


def _jobs(scheduler: Scheduler, kind: str) -> list[str]:
    return [j.id for j in scheduler.aps.get_jobs() if j.id.startswith(f"{kind}@")]


async def test_sync_schedules_poll_tick_and_enabled_posts(
    core: Paperboy, scheduler: Scheduler
) -> None:
    core.save_schedule(Schedule(CH, "digest", enabled=True, time="08:15", timezone="Asia/Tokyo"))
    core.save_schedule(Schedule(CH, "weekly", enabled=True, time="17:00", weekday=4))
    core.save_schedule(Schedule(ChannelRef("test", "W1", "OFF"), "digest"))
    scheduler.start()
    await scheduler.sync()
    poll = scheduler.aps.get_job(POLL_JOB)
    assert poll is not None and poll.trigger.interval.total_seconds() == 15 * 60
    assert scheduler.aps.get_job(TICK_JOB) is not None
    assert _jobs(scheduler, "digest") == ["digest@08:15@Asia/Tokyo"]
    daily = scheduler.next_run(CH, "digest")
    assert daily is not None and (daily.hour, daily.minute, str(daily.tzinfo)) == (
        8,
        15,
        "Asia/Tokyo",
    )
    weekly = scheduler.next_run(CH, "weekly")
    assert weekly is not None and (weekly.weekday(), weekly.hour) == (4, 17)


async def test_the_search_index_is_merged_every_night_and_a_failure_only_logs(
    core: Paperboy,
    scheduler: Scheduler,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scheduler.start()
    job = scheduler.aps.get_job(COMPACT_JOB)
    assert job is not None
    when = job.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert (when.hour, when.minute) == COMPACT_AT
    calls: list[str] = []

    def merged() -> int:
        calls.append("merged")
        return 2

    monkeypatch.setattr(core.repo, "optimize_search", merged)
    await scheduler.compact()
    assert calls == ["merged"]

    def broken() -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(core.repo, "optimize_search", broken)
    await scheduler.compact()  # logged, not raised
    assert "could not merge the search index" in caplog.text


async def test_commands_move_the_job_of_their_kind(core: Paperboy, scheduler: Scheduler) -> None:
    scheduler.start()
    handlers = Handlers(core)
    inv = Invocation(CH, "U1")
    await handlers.handle("digest on 07:00 Europe/Paris", inv)
    await scheduler.sync()
    first = scheduler.next_run(CH, "digest")
    await handlers.handle("digest on 18:45", inv)
    await handlers.handle("weekly on friday 16:00", inv)
    await scheduler.sync()
    moved = scheduler.next_run(CH, "digest")
    await handlers.handle("digest off", inv)
    await scheduler.sync()
    assert first is not None and (first.hour, str(first.tzinfo)) == (7, "Europe/Paris")
    assert moved is not None and (moved.hour, moved.minute) == (18, 45)
    assert scheduler.next_run(CH, "digest") is None
    weekly = scheduler.next_run(CH, "weekly")
    assert weekly is not None and (weekly.weekday(), weekly.hour) == (4, 16)


async def test_a_sync_touches_only_the_changed_schedules(
    core: Paperboy, scheduler: Scheduler
) -> None:
    for i in range(5):
        core.save_schedule(Schedule(ChannelRef("test", "W1", f"C{i}"), "digest", enabled=True))
    assert await scheduler.sync() == 5
    assert await scheduler.sync() == 0
    core.save_schedule(
        Schedule(ChannelRef("test", "W1", "C3"), "digest", enabled=True, time="10:00")
    )
    assert await scheduler.sync() == 1


async def test_an_unchanged_job_keeps_its_next_run(core: Paperboy, scheduler: Scheduler) -> None:
    core.save_schedule(Schedule(CH, "digest", enabled=True, time="06:00"))
    scheduler.start()
    await scheduler.sync()
    slot = scheduler.slot_of(CH, "digest")
    job = scheduler.aps.get_job(slot)
    assert job is not None
    # As if the tick ran past the job's fire time before the loop let the job run.
    job.modify(next_run_time=job.next_run_time - timedelta(minutes=1))
    before = scheduler.aps.get_job(slot).next_run_time
    core.save_schedule(Schedule(CH, "digest", enabled=True, time="06:00", size=5))
    await scheduler.sync()
    assert scheduler.aps.get_job(slot).next_run_time == before


async def test_schedules_changed_by_another_process_are_picked_up_by_the_tick(
    store: Store, core: Paperboy, scheduler: Scheduler, clock: Clock
) -> None:
    scheduler.start()
    store.save_schedule(Schedule(CH, "digest", enabled=True, time="06:00"), clock())
    await scheduler.tick()
    assert scheduler.next_run(CH, "digest") is not None
    store.save_schedule(Schedule(CH, "digest", enabled=False), clock())
    await scheduler.tick()
    assert scheduler.next_run(CH, "digest") is None


async def test_startup_polls_then_catches_up(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    paper = make_paper("2411.00001", "2026-11-25", upvotes=3)
    feed = StaticFeed({date(2026, 11, 25): [paper]})
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, "digest", enabled=True, time="13:00"))
    await Scheduler(core, poll_minutes=30).startup()
    assert feed.fetched == [date(2026, 11, 24), date(2026, 11, 25)]
    [post] = publisher.of_kind("digest")
    assert post.item.papers == (paper,)  # type: ignore[union-attr]


async def test_a_failing_job_is_logged_not_fatal(
    core: Paperboy, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("feed exploded")

    core.poll = broken  # type: ignore[method-assign, assignment]
    core.run_scheduled = broken  # type: ignore[method-assign]
    core.recover = broken  # type: ignore[method-assign, assignment]
    core.save_schedule(Schedule(CH, "digest", enabled=True))
    await scheduler.sync()
    await scheduler.poll()
    await scheduler.run(scheduler.slot_of(CH, "digest") or "")
    await scheduler.tick()
    assert "poll failed" in caplog.text and "digest@09:00@UTC failed" in caplog.text
    assert "recovering open deliveries failed" in caplog.text


async def test_channels_that_share_a_time_share_one_job_that_runs_them_all(
    core: Paperboy,
    store: Store,
    scheduler: Scheduler,
    publisher: ScriptedPublisher,
) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", upvotes=3)])
    refs = [ChannelRef("test", "W1", f"C{i}") for i in range(4)]
    for ref in refs:
        core.save_schedule(Schedule(ref, "digest", enabled=True, time="14:00"))
    core.save_schedule(Schedule(refs[3], "digest", enabled=True, time="07:00"))  # moved away
    await scheduler.sync()
    assert sorted(_jobs(scheduler, "digest")) == ["digest@07:00@UTC", "digest@14:00@UTC"]
    await scheduler.run("digest@14:00@UTC")
    assert {p.channel for p in publisher.of_kind("digest")} == set(refs[:3])
    core.save_schedule(Schedule(refs[3], "digest", enabled=False))
    await scheduler.sync()
    assert _jobs(scheduler, "digest") == ["digest@14:00@UTC"]  # its last member left


async def test_a_disabled_schedule_gets_no_job(core: Paperboy, scheduler: Scheduler) -> None:
    scheduler.sync_schedule(Schedule(CH, "digest", enabled=False, time="07:00"))
    assert scheduler.aps.get_jobs() == []
    scheduler.sync_schedule(Schedule(CH, "digest", enabled=True, time="07:00"))
    assert _jobs(scheduler, "digest") == ["digest@07:00@UTC"]  # the same schedule, on
    scheduler.sync_schedule(Schedule(CH, "digest", enabled=False, time="07:00"))
    assert scheduler.aps.get_jobs() == []


async def test_a_schedule_stored_in_a_zone_now_refused_still_gets_its_job(
    scheduler: Scheduler,
) -> None:
    # Saved before `localtime` was refused: the channel keeps its digest.
    scheduler.sync_schedule(
        Schedule(CH, "digest", enabled=True, time="07:00", timezone="localtime")
    )
    assert _jobs(scheduler, "digest") == ["digest@07:00@localtime"]


async def test_the_tick_retries_a_digest_that_failed_at_its_time(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    paper = make_paper("2411.00001", "2026-11-25", upvotes=3)
    core = Paperboy(
        store, StaticFeed({date(2026, 11, 25): [paper]}), {"test": publisher}, clock=clock
    )
    core.save_schedule(Schedule(CH, "digest", enabled=True, time="14:30"))
    scheduler = Scheduler(core, poll_minutes=30)
    await scheduler.sync()
    publisher.failures.append(DeliveryError("HTTP 503"))
    await scheduler.run("digest@14:30@UTC")  # the 14:30 run fails (clock: 15:00)
    assert publisher.of_kind("digest") == []
    await scheduler.tick()  # too soon: retries back off
    assert publisher.of_kind("digest") == []
    clock.advance(minutes=2)
    await scheduler.tick()
    assert len(publisher.of_kind("digest")) == 1
    clock.advance(minutes=30)
    await scheduler.tick()
    assert len(publisher.of_kind("digest")) == 1


async def test_a_disabled_channels_job_posts_nothing(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, scheduler: Scheduler
) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", upvotes=3)])
    other = ChannelRef("test", "W1", "C2")
    for ref in (CH, other):
        core.save_schedule(Schedule(ref, "digest", enabled=True, time="14:30"))
    await scheduler.sync()
    # Turned off after the job was scheduled, before the scheduler saw the change.
    core.save_schedule(Schedule(CH, "digest", enabled=False, time="14:30"))
    await scheduler.run("digest@14:30@UTC")
    assert [post.channel for post in publisher.posts] == [other]


async def test_shutdown_during_a_poll_is_quiet(
    core: Paperboy, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def hangs(*args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()

    core.poll = hangs  # type: ignore[method-assign, assignment]
    core.catch_up = hangs  # type: ignore[method-assign, assignment]
    job = asyncio.create_task(scheduler.startup())
    await asyncio.sleep(0.01)
    job.cancel()
    await asyncio.wait_for(job, timeout=5)  # ends quietly, and skips the catch-up
    assert "interrupted by shutdown" in caplog.text and "Traceback" not in caplog.text


async def test_the_poll_log_says_in_words_which_days_it_could_not_fetch(
    core: Paperboy, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.feed.parse import FeedError

    class Fails(StaticFeed):
        async def fetch_day(self, day: date) -> list:
            if day == date(2026, 11, 24):
                raise FeedError("HTTP 503")
            return []

    caplog.set_level(logging.INFO)
    core.feed = Fails()
    await scheduler.poll()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("poll:")]
    assert line.endswith("alerts none; could not fetch 2026-11-24: HTTP 503")


async def test_shutdown_during_the_first_sync_skips_the_rest_of_the_start(
    core: Paperboy, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ran: list[str] = []

    async def hangs() -> int:
        await asyncio.Event().wait()
        return 0

    async def polled(*args: object, **kwargs: object) -> None:
        ran.append("poll")

    scheduler.sync = hangs  # type: ignore[method-assign]
    core.poll = polled  # type: ignore[method-assign, assignment]
    job = asyncio.create_task(scheduler.startup())
    for _ in range(3):  # to the sync's wait
        await asyncio.sleep(0)
    job.cancel()
    await asyncio.wait_for(job, timeout=5)
    assert ran == [] and "interrupted by shutdown" in caplog.text
    assert "Traceback" not in caplog.text
