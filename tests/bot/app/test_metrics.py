"""The metrics: what each counts, read as Prometheus text with prometheus-client's own parser,
over a real store, the real deliverer, scheduler and desk, and the Slack fake for 429s."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.slack.pacing import SlackPacer
from adapters.slack.publisher import SlackPublisher
from bot.app.metrics import Metrics
from bot.app.platforms import CommandDesk
from bot.app.scheduler import Scheduler, slot_id
from bot.commands.handlers import Handlers
from bot.delivery.deliverer import Deliverer
from bot.delivery.digests import DIGEST_KIND
from bot.domain import Alert, ChannelRef, Invocation, Paper, PostKey, Schedule
from bot.feed.parse import FeedError
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

slack_fake = slack_fixture.slack_fake
C1 = ChannelRef("slack", "T1", "C1")
C2 = ChannelRef("slack", "T1", "C2")
DAY = date(2026, 11, 25)


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    """One sample of a scrape (parsed as a scraper would), or None."""
    text = metrics.exposition()[0].decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return None


def alert(channel: ChannelRef, paper_id: str = "2611.00001") -> tuple[PostKey, Alert]:
    return PostKey(channel, "alert", paper_id), Alert(channel, make_paper(paper_id, DAY), ("x",))


class FailingFeed(StaticFeed):
    """A feed whose listed days fail (every day, with `all_days`)."""

    def __init__(self, failing: set[date] | None = None, *, error: Exception | None = None):
        super().__init__()
        self.failing = failing
        self.error = error

    async def fetch_day(self, day: date) -> list[Paper]:
        if self.failing is None or day in self.failing:
            raise self.error or FeedError("503 Service Unavailable")
        return await super().fetch_day(day)


class Ticks:
    """A monotonic clock that moves a quarter second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "p.db")
    yield store
    store.close()


async def test_posts_are_counted_by_platform_kind_and_outcome(store: Store, clock: Clock) -> None:
    metrics = Metrics()
    publisher = ScriptedPublisher("slack", failures=[DeliveryError("boom")])
    deliverer = Deliverer(store, {"slack": publisher}, clock, observer=metrics)
    await deliverer.deliver(*alert(C1, "2611.00001"))  # the scripted failure
    await deliverer.deliver(*alert(C1, "2611.00002"))
    await deliverer.deliver(*alert(C1, "2611.00002"))  # sent already
    store.pause_channel(C2, "test", clock())
    await deliverer.deliver(*alert(C2))
    await deliverer.deliver(*alert(ChannelRef("discord", "1", "2")))  # no Discord here
    outcomes = ("failed", "sent", "already", "paused")
    counted = [
        sample(metrics, "paperboy_posts_total", platform="slack", kind="alert", outcome=o)
        for o in outcomes
    ]
    assert counted == [1, 1, 1, 1]
    deferred = {"platform": "discord", "kind": "alert", "outcome": "no_adapter"}
    assert sample(metrics, "paperboy_posts_total", **deferred) == 1


async def test_papers_and_paused_channels_are_read_from_the_store_at_scrape_time(
    store: Store, clock: Clock
) -> None:
    metrics = Metrics()
    metrics.watch_store(store, ["slack", "discord"])
    assert sample(metrics, "paperboy_papers_stored") == 0
    assert sample(metrics, "paperboy_paused_channels", platform="slack") == 0
    store.upsert_papers([make_paper("2611.00001", DAY), make_paper("2611.00002", DAY)])
    store.pause_channel(C1, "channel_not_found", clock())
    store.pause_workspace("discord", "*", "token refused", clock())
    assert sample(metrics, "paperboy_papers_stored") == 2
    assert sample(metrics, "paperboy_paused_channels", platform="slack") == 1
    assert sample(metrics, "paperboy_paused_workspaces", platform="discord") == 1
    assert sample(metrics, "paperboy_paused_workspaces", platform="slack") == 0


def test_a_database_that_cannot_be_read_leaves_only_its_gauges_out(tmp_path: Path) -> None:
    metrics = Metrics()
    store = Store(tmp_path / "gone.db")
    metrics.watch_store(store)
    store.close()
    assert sample(metrics, "paperboy_papers_stored") is None
    assert sample(metrics, "paperboy_polls_total", outcome="ok") == 0


async def test_429s_are_counted_by_platform(slack_fake: SlackFake, store: Store, clock: Clock):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    async def token_for(workspace: str) -> str | None:
        return slack_fixture.BOT_TOKEN

    publisher = SlackPublisher(slack_fake.api_url, token_for, pacer=SlackPacer(sleep=sleep))
    metrics = Metrics()
    metrics.watch_publishers({"slack": publisher})
    deliverer = Deliverer(store, {"slack": publisher}, clock, observer=metrics)
    slack_fake.script_rate_limit("C1", times=2, retry_after=0)
    assert sample(metrics, "paperboy_rate_limited_total", platform="slack") == 0
    await deliverer.deliver(*alert(C1))
    assert sample(metrics, "paperboy_rate_limited_total", platform="slack") == 2
    assert sample(metrics, "paperboy_posts_total", platform="slack", kind="alert", outcome="sent")


async def test_commands_are_timed_by_name(store: Store, clock: Clock) -> None:
    metrics = Metrics()
    desk = CommandDesk(observe=metrics.command, monotonic=Ticks())
    desk.handlers = Handlers(Paperboy(store, StaticFeed(), {}, clock=clock))
    inv = Invocation(C1, "U1")
    assert (await desk.handle("help", inv)).ok
    assert not (await desk.handle("frobnicate", inv)).ok
    assert sample(metrics, "paperboy_command_seconds_count", command="help") == 1
    assert sample(metrics, "paperboy_command_seconds_sum", command="help") == 0.25
    assert sample(metrics, "paperboy_command_seconds_bucket", command="help", le="0.25") == 1
    assert sample(metrics, "paperboy_command_seconds_bucket", command="help", le="0.1") == 0
    assert sample(metrics, "paperboy_command_seconds_count", command="unknown") == 1


@pytest.mark.parametrize(
    "feed, outcome",
    [
        (StaticFeed(), "ok"),
        (FailingFeed({date(2026, 11, 24)}), "partial"),
        (FailingFeed(), "failed"),
        (FailingFeed(error=RuntimeError("a bug")), "failed"),
    ],
    ids=["ok", "one day failed", "every day failed", "the poll raised"],
)
async def test_scheduled_polls_are_counted_by_outcome(
    store: Store, clock: Clock, feed: StaticFeed, outcome: str
) -> None:
    metrics = Metrics()
    scheduler = Scheduler(Paperboy(store, feed, {}, clock=clock), poll_minutes=30, metrics=metrics)
    await scheduler.poll()
    counts = {o: sample(metrics, "paperboy_polls_total", outcome=o) for o in ("ok", "partial")}
    counts["failed"] = sample(metrics, "paperboy_polls_total", outcome="failed")
    assert counts == {o: (1 if o == outcome else 0) for o in ("ok", "partial", "failed")}


async def test_fan_outs_are_timed_by_kind(store: Store, clock: Clock) -> None:
    metrics = Metrics()
    publisher = ScriptedPublisher("slack")
    feed = StaticFeed({DAY: [make_paper("2611.00001", DAY, title="Diffusion at scale")]})
    core = Paperboy(store, feed, {"slack": publisher}, clock=clock, observer=metrics)
    core.deliverer.monotonic = Ticks()
    handlers = Handlers(core)
    for channel in (C1, C2):
        assert (await handlers.handle("subscribe diffusion", Invocation(channel, "U1"))).ok
        assert (await handlers.handle("digest on 15:00 UTC", Invocation(channel, "U1"))).ok
    schedule = Schedule(C1, DIGEST_KIND, time="15:00", timezone="UTC", enabled=True)
    await core.poll([DAY])  # one alert round, to two channels
    scheduler = Scheduler(core, poll_minutes=30, metrics=metrics)
    await scheduler.sync()
    await scheduler.run(slot_id(schedule, weekly=False))  # one digest time, two channels
    assert len(publisher.of_kind("alert")) == 2 and len(publisher.of_kind(DIGEST_KIND)) == 2
    assert sample(metrics, "paperboy_fanout_seconds_count", kind="alert") == 1
    assert sample(metrics, "paperboy_fanout_seconds_sum", kind="alert") == 0.25
    assert sample(metrics, "paperboy_fanout_seconds_count", kind=DIGEST_KIND) == 1


def test_each_app_has_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()
    first.polls.labels("ok").inc()
    assert sample(first, "paperboy_polls_total", outcome="ok") == 1
    assert sample(second, "paperboy_polls_total", outcome="ok") == 0
