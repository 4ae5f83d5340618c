"""Scheduler wiring: the poll job, one cron job per enabled channel, rebuilt on changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.app.scheduler import POLL_JOB, Scheduler, digest_job_id
from bot.commands.handlers import Handlers
from bot.domain import ChannelRef, ChannelSettings, Invocation
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

CH = ChannelRef("test", "W1", "C1")


@pytest.fixture
async def scheduler(core: Paperboy) -> AsyncIterator[Scheduler]:
    s = Scheduler(core, poll_minutes=15)
    yield s
    s.shutdown()


async def test_start_schedules_poll_and_enabled_digests(store: Store, core: Paperboy,
                                                        scheduler: Scheduler) -> None:
    core.save_settings(ChannelSettings(CH, digest_enabled=True, digest_time="08:15",
                                       timezone="Asia/Tokyo"))
    core.save_settings(ChannelSettings(ChannelRef("test", "W1", "OFF")))
    scheduler.start()
    poll = scheduler.aps.get_job(POLL_JOB)
    assert poll is not None and poll.trigger.interval.total_seconds() == 15 * 60
    digest_jobs = [j.id for j in scheduler.aps.get_jobs() if j.id.startswith("digest:")]
    assert digest_jobs == [digest_job_id(CH)]
    when = scheduler.next_digest(CH)
    assert when is not None and (when.hour, when.minute, str(when.tzinfo)) == (8, 15,
                                                                                "Asia/Tokyo")


async def test_settings_commands_rebuild_the_job(core: Paperboy, scheduler: Scheduler) -> None:
    scheduler.start()
    handlers = Handlers(core)
    inv = Invocation(CH, "U1")
    await handlers.handle("digest on 07:00 Europe/Paris", inv)
    first = scheduler.next_digest(CH)
    await handlers.handle("digest on 18:45", inv)
    moved = scheduler.next_digest(CH)
    await handlers.handle("digest off", inv)
    assert first is not None and (first.hour, str(first.tzinfo)) == (7, "Europe/Paris")
    assert moved is not None and (moved.hour, moved.minute) == (18, 45)
    assert scheduler.next_digest(CH) is None


async def test_startup_job_polls_then_catches_up(store: Store, clock: Clock,
                                                publisher: ScriptedPublisher) -> None:
    paper = make_paper("2411.00001", "2026-11-25", upvotes=3)
    feed = StaticFeed({date(2026, 11, 25): [paper]})
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    core.save_settings(ChannelSettings(CH, digest_enabled=True, digest_time="13:00"))
    await Scheduler(core, poll_minutes=30).startup()
    assert feed.fetched == [date(2026, 11, 24), date(2026, 11, 25)]
    [post] = publisher.of_kind("digest")
    assert post.item.papers == (paper,)  # type: ignore[union-attr]


async def test_a_failing_job_is_logged_not_fatal(core: Paperboy, scheduler: Scheduler,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("feed exploded")

    core.poll = broken  # type: ignore[method-assign, assignment]
    core.run_digest = broken  # type: ignore[method-assign]
    await scheduler.poll()
    await scheduler.digest(CH)
    assert "poll failed" in caplog.text and f"digest for {CH.key} failed" in caplog.text


def test_disabled_channel_has_no_job(core: Paperboy) -> None:
    s = Scheduler(core, poll_minutes=30)
    s.sync_channel(replace(ChannelSettings(CH), digest_enabled=False))
    assert s.next_digest(CH) is None


async def test_poll_job_picks_up_settings_changed_by_another_process(
    store: Store, core: Paperboy, scheduler: Scheduler
) -> None:
    scheduler.start()
    store.save_channel(ChannelSettings(CH, digest_enabled=True, digest_time="06:00"))
    await scheduler.poll()
    assert scheduler.next_digest(CH) is not None
    store.save_channel(ChannelSettings(CH, digest_enabled=False))
    await scheduler.poll()
    assert scheduler.next_digest(CH) is None


async def test_recovery_job_retries_a_digest_that_failed_at_its_time(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    from bot.ports import DeliveryError

    paper = make_paper("2411.00001", "2026-11-25", upvotes=3)
    core = Paperboy(store, StaticFeed({date(2026, 11, 25): [paper]}), {"test": publisher},
                    clock=clock)
    core.save_settings(ChannelSettings(CH, digest_enabled=True, digest_time="14:30"))
    scheduler = Scheduler(core, poll_minutes=30)
    publisher.failures.append(DeliveryError("HTTP 503"))
    await scheduler.digest(CH)  # the 14:30 run fails (clock: 15:00)
    assert publisher.of_kind("digest") == []
    await scheduler.recover()  # too soon: retries back off
    assert publisher.of_kind("digest") == []
    clock.advance(minutes=2)
    await scheduler.recover()
    assert len(publisher.of_kind("digest")) == 1
    clock.advance(minutes=30)
    await scheduler.recover()
    assert len(publisher.of_kind("digest")) == 1


async def test_a_disabled_channels_job_posts_nothing(core: Paperboy, store: Store,
                                                     publisher: ScriptedPublisher) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", upvotes=3)])
    core.save_settings(ChannelSettings(CH, digest_enabled=False))
    assert await core.run_digest(CH) is None
    assert publisher.posts == []


async def test_resyncing_leaves_an_unchanged_job_alone(core: Paperboy,
                                                       scheduler: Scheduler) -> None:
    core.save_settings(ChannelSettings(CH, digest_enabled=True, digest_time="06:00"))
    scheduler.start()
    job = scheduler.aps.get_job(digest_job_id(CH))
    assert job is not None
    # As if the poll ran past the job's fire time before the loop let the job run.
    job.modify(next_run_time=job.next_run_time - timedelta(minutes=1))
    before = scheduler.aps.get_job(digest_job_id(CH)).next_run_time
    scheduler.sync_all()
    assert scheduler.aps.get_job(digest_job_id(CH)).next_run_time == before


async def test_shutdown_during_a_poll_is_quiet(core: Paperboy, scheduler: Scheduler,
                                               caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    import logging

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
