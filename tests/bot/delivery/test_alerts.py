"""Keyword alerts: one post per (channel, paper) naming every matching subscription."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.delivery.alerts as alerts_module
from bot.delivery.alerts import AlertMatcher, SubscriptionIndex, match_alerts
from bot.delivery.deliverer import Outcome
from bot.domain import Alert, ChannelRef, ChannelSettings, Paper, Post, Subscription
from bot.ports import DeliveryError
from bot.query.percolate import length_cost
from bot.service import Paperboy
from storage.store import Store
from tests.bot.query.test_percolate import COSTS
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper
from tests.test_query_agreement import SETTINGS, paper_lists, query_strings

CH1 = ChannelRef("test", "W1", "C1")
CH2 = ChannelRef("test", "W1", "C2")
DAY = date(2026, 11, 25)


def _subscribe(store: Store, channel: ChannelRef, *queries: str) -> None:
    store.save_channel(ChannelSettings(channel))
    for q in queries:
        store.add_subscription(channel, q, "U1", at("2026-11-20 00:00"))


def _alerts(publisher: ScriptedPublisher) -> list[Alert]:
    return [p.item for p in publisher.of_kind("alert")]  # type: ignore[misc]


def _core(store: Store, publisher: ScriptedPublisher, clock: Clock, *papers: object) -> Paperboy:
    feed = StaticFeed({DAY: list(papers)})  # type: ignore[arg-type]
    return Paperboy(store, feed, {"test": publisher}, clock=clock)


async def test_new_paper_alerts_each_matching_channel_once(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion", "video")
    _subscribe(store, CH2, "video", "mamba")
    paper = make_paper("2411.00001", DAY, title="Video diffusion models")
    core = _core(store, publisher, clock, paper)
    report = await core.poll([DAY])
    alerts = sorted(_alerts(publisher), key=lambda a: a.channel.key)
    assert [(a.channel, a.matched) for a in alerts] == [
        (CH1, ("diffusion", "video")),
        (CH2, ("video",)),
    ]
    assert report.alerts == {"sent": 2}


async def test_a_paper_seen_again_is_not_alerted_again(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    await core.poll([DAY])
    await core.poll([DAY])
    assert len(_alerts(publisher)) == 1


async def test_an_alert_replayed_after_a_crash_is_not_posted_twice(
    store: Store, publisher: ScriptedPublisher, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscribe(store, CH1, "diffusion")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    # The process dies after the fan-out, before the paper is unmarked: the next poll's
    # fan-out runs again for it.
    monkeypatch.setattr(store, "clear_pending_alerts", lambda papers: None)
    assert (await core.poll([DAY])).alerts == {"sent": 1}
    monkeypatch.undo()
    assert (await core.poll([DAY])).alerts == {"already sent": 1}
    assert (await core.poll([DAY])).alerts == {}
    assert len(_alerts(publisher)) == 1


async def test_non_matching_paper_alerts_nobody(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion -survey", "author:Hinton")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="A diffusion survey"))
    await core.poll([DAY])
    assert publisher.posts == []


async def test_field_filters_and_stemming_apply_to_alerts(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "title:agent upvotes:>=5 has:code")
    hit = make_paper("2411.00001", DAY, 7, title="Agents that plan", github_repo="https://g/x")
    miss = make_paper("2411.00002", DAY, 7, title="Agents that plan")  # no code
    core = _core(store, publisher, clock, hit, miss)
    await core.poll([DAY])
    assert [a.paper.id for a in _alerts(publisher)] == ["2411.00001"]


async def test_failed_alert_is_retried_on_the_next_poll_and_delivered_once(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    publisher.failures.append(DeliveryError("HTTP 500"))
    first = await core.poll([DAY])
    assert first.alerts == {"failed": 1}
    assert (await core.poll([DAY])).alerts == {}  # the retry backs off
    clock.advance(minutes=2)
    second = await core.poll([DAY])
    third = await core.poll([DAY])
    assert second.alerts == {"sent": 1}
    assert third.alerts == {}
    assert len(_alerts(publisher)) == 1


async def test_one_failing_channel_does_not_stop_the_fan_out(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion")
    _subscribe(store, CH2, "diffusion")
    publisher.gone.add(CH1.channel)
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    report = await core.poll([DAY])
    assert report.alerts == {"failed": 1, "sent": 1}
    assert [a.channel for a in _alerts(publisher)] == [CH2]
    settings = store.channel(CH1)
    assert settings is not None and settings.paused
    assert settings.paused_reason == "channel_not_found"


async def test_paused_channel_gets_no_alerts(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion")
    publisher.gone.add(CH1.channel)
    first = make_paper("2411.00001", DAY, title="Diffusion")
    core = _core(store, publisher, clock, first)
    assert (await core.poll([DAY])).alerts == {"failed": 1}
    publisher.gone.clear()
    core.feed.days[DAY] = [first, make_paper("2411.00002", DAY, title="Diffusion")]  # type: ignore[attr-defined]
    assert (await core.poll([DAY])).alerts == {Outcome.PAUSED.value: 1}
    assert publisher.posts == []


async def test_alerts_wait_when_no_adapter_runs_for_the_platform(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    slack = ChannelRef("slack", "T1", "C1")
    _subscribe(store, slack, "diffusion")
    paper = make_paper("2411.00001", DAY, title="Diffusion")
    without_slack = _core(store, publisher, clock, paper)
    report = await without_slack.poll([DAY])
    assert report.alerts == {Outcome.NO_ADAPTER.value: 1}
    slack_publisher = ScriptedPublisher(platform="slack")
    with_slack = Paperboy(
        store, StaticFeed({DAY: [paper]}), {"slack": slack_publisher}, clock=clock
    )
    assert (await with_slack.poll([DAY])).alerts == {"sent": 1}
    assert [a.paper.id for a in _alerts(slack_publisher)] == ["2411.00001"]
    assert (await with_slack.poll([DAY])).alerts == {}


async def test_alerts_survive_a_poll_cut_short_after_storing(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    import asyncio

    _subscribe(store, CH1, "diffusion")
    paper = make_paper("2411.00001", DAY, title="Diffusion")

    class Hangs(StaticFeed):
        async def fetch_day(self, day: date) -> list[Paper]:
            if day == DAY:
                return [paper]
            await asyncio.Event().wait()  # a slow second day; the process is stopped here
            return []

    interrupted = Paperboy(store, Hangs(), {"test": publisher}, clock=clock)
    task = asyncio.create_task(interrupted.poll([DAY, date(2026, 11, 26)]))
    await asyncio.sleep(0.05)
    task.cancel()
    assert store.get_paper("2411.00001") is not None
    assert publisher.posts == []
    restarted = _core(store, publisher, clock, paper)
    assert (await restarted.poll([DAY])).alerts == {"sent": 1}


async def test_upvote_filters_fire_when_a_fresh_paper_crosses_the_line(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion upvotes:>=20")
    early = make_paper("2411.00001", DAY, upvotes=2, title="Diffusion")
    core = _core(store, publisher, clock, early)
    await core.poll([DAY])
    assert publisher.posts == []
    core.feed.days[DAY] = [make_paper("2411.00001", DAY, upvotes=45, title="Diffusion")]  # type: ignore[attr-defined]
    await core.poll([DAY])
    await core.poll([DAY])
    assert [a.paper.upvotes for a in _alerts(publisher)] == [45]


async def test_old_papers_do_not_alert_when_their_counts_move(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    old = date(2026, 11, 2)
    store.upsert_papers([make_paper("2411.00001", old, upvotes=1, title="Diffusion")])
    _subscribe(store, CH1, "diffusion")
    core = Paperboy(
        store,
        StaticFeed({old: [make_paper("2411.00001", old, upvotes=9, title="Diffusion")]}),
        {"test": publisher},
        clock=clock,
    )
    await core.poll([old])
    assert publisher.posts == []


async def test_channels_are_served_side_by_side(store: Store, clock: Clock) -> None:
    import asyncio

    second_reached = asyncio.Event()

    class Gate(ScriptedPublisher):
        async def publish(self, post: Post, tracker: Any) -> str:
            if post.channel == CH1:  # C1 waits for C2: a one-at-a-time fan-out would stall
                await asyncio.wait_for(second_reached.wait(), timeout=5)
            else:
                second_reached.set()
            return await super().publish(post, tracker)

    _subscribe(store, CH1, "diffusion")
    _subscribe(store, CH2, "diffusion")
    publisher = Gate()
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    assert (await core.poll([DAY])).alerts == {"sent": 2}


async def test_a_new_subscription_does_not_alert_on_papers_already_seen(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    papers = [
        make_paper(f"2411.{i:05d}", DAY, upvotes=1, title="Large language models") for i in range(5)
    ]
    core = _core(store, publisher, clock, *papers)
    await core.poll([DAY])
    _subscribe(store, CH1, "language models")
    core.feed.days[DAY] = [replace(p, upvotes=p.upvotes + 3) for p in papers]  # type: ignore[attr-defined]
    await core.poll([DAY])
    assert publisher.posts == []


def _subscribe_now(store: Store, clock: Clock, channel: ChannelRef, query: str) -> None:
    """`/papers subscribe`, at the core's clock, a minute after the last thing stored."""
    clock.advance(minutes=1)
    store.save_channel(ChannelSettings(channel))
    assert store.add_subscription(channel, query, "U1", clock()) is not None
    clock.advance(minutes=1)


class SubscribesOnTheLastDay(StaticFeed):
    """A feed whose last day, while it is fetched, sees a channel subscribe: the poll has
    stored its earlier days but not fanned them out yet."""

    def __init__(self, days: dict[date, list[Paper]], store: Store, clock: Clock) -> None:
        super().__init__(days)
        self.store, self.clock = store, clock
        self.subscribe: tuple[ChannelRef, str] | None = None

    async def fetch_day(self, day: date) -> list[Paper]:
        if day == max(self.days) and self.subscribe is not None:
            _subscribe_now(self.store, self.clock, *self.subscribe)
            self.subscribe = None
        return await super().fetch_day(day)


async def test_a_subscription_made_during_a_poll_skips_the_papers_it_stored_before(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    yesterday = DAY - timedelta(days=1)
    before = [make_paper(f"2411.0000{i}", yesterday, title="Diffusion") for i in range(3)]
    after = make_paper("2411.00009", DAY, title="Diffusion")
    feed = SubscribesOnTheLastDay({yesterday: before, DAY: [after]}, store, clock)
    feed.subscribe = (CH1, "diffusion")
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    report = await core.poll([yesterday, DAY])
    assert [a.paper.id for a in _alerts(publisher)] == ["2411.00009"]
    assert report.alerts == {"sent": 1}
    assert store.papers_pending_alerts() == []  # the skipped ones are not left for later
    assert (await core.poll([yesterday, DAY])).alerts == {}


async def test_a_subscription_made_while_marked_papers_wait_out_a_crash_skips_them(
    store: Store, publisher: ScriptedPublisher, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked = make_paper("2411.00001", DAY, title="Diffusion")

    async def crash(self: Paperboy) -> Any:
        raise SystemExit("killed before the fan-out")

    monkeypatch.setattr(Paperboy, "send_pending_alerts", crash)
    with pytest.raises(SystemExit):
        await _core(store, publisher, clock, marked).poll([DAY])
    monkeypatch.undo()
    assert [paper.id for paper, _, _ in store.papers_pending_alerts()] == ["2411.00001"]
    _subscribe_now(store, clock, CH1, "diffusion")  # paperboy is down, or starting up
    fresh = make_paper("2411.00002", DAY, title="Diffusion")
    restarted = _core(store, publisher, clock, marked, fresh)
    assert (await restarted.poll([DAY])).alerts == {"sent": 1}
    assert [a.paper.id for a in _alerts(publisher)] == ["2411.00002"]


async def test_an_upvote_alert_made_after_a_paper_was_fanned_out_fires_when_it_crosses(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    yesterday = DAY - timedelta(days=1)
    rising = make_paper("2411.00001", yesterday, upvotes=2, title="Diffusion")
    first = Paperboy(store, StaticFeed({yesterday: [rising]}), {"test": publisher}, clock=clock)
    await first.poll([yesterday])  # fanned out at 2 upvotes, matching nobody
    assert publisher.posts == []
    # The next poll stores the crossing, and a paper already above the line, then the
    # channel subscribes while it fetches its last day: the crossing is news to the new
    # subscription (it matches now, not at 2 upvotes), the paper stored before it is not.
    crossed = replace(rising, upvotes=45)
    above = make_paper("2411.00002", yesterday, upvotes=30, title="Diffusion")
    feed = SubscribesOnTheLastDay({yesterday: [crossed, above], DAY: []}, store, clock)
    feed.subscribe = (CH1, "diffusion upvotes:>=20")
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    assert (await core.poll([yesterday, DAY])).alerts == {"sent": 1}
    assert [(a.paper.id, a.paper.upvotes) for a in _alerts(publisher)] == [("2411.00001", 45)]


async def test_a_message_the_platform_refuses_does_not_pause_the_channel(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _subscribe(store, CH1, "diffusion")
    publisher.failures.extend(
        DeliveryError("invalid_blocks", message_fault=True) for _ in range(10)
    )
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    for _ in range(6):
        await core.poll([DAY])
    settings = store.channel(CH1)
    row = store.delivery(CH1, "alert", "2411.00001")
    assert settings is not None and not settings.paused and settings.failures == 0
    assert row is not None and row["state"] == "abandoned" and row["attempts"] == 1


async def test_retries_are_left_to_the_process_that_runs_the_platform(
    store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    slack = ChannelRef("slack", "T1", "C1")
    _subscribe(store, slack, "diffusion")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    await core.poll([DAY])
    for _ in range(3):
        assert await core.recover() == {}
    row = store.delivery(slack, "alert", "2411.00001")
    assert row is not None and (row["state"], row["attempts"]) == ("failed", 0)


def test_a_fan_out_takes_workspaces_in_turn_keeping_order_within_each() -> None:
    from bot.service import interleaved

    refs = [ChannelRef("slack", w, f"C{i}") for w in ("T1", "T2", "T3") for i in range(3)]
    order = interleaved(refs, lambda ref: ref)
    assert [r.workspace for r in order[:3]] == ["T1", "T2", "T3"]
    assert [r.channel for r in order if r.workspace == "T2"] == ["C0", "C1", "C2"]
    assert sorted(order, key=refs.index) == refs


# --- the subscription index (a percolator) and keeping it in step with storage -------------

CHANNELS = [CH1, CH2, ChannelRef("slack", "T1", "C1"), ChannelRef("discord", "G1", "9")]
CREATED = at("2026-11-20 00:00")
# When subscriptions are made and papers first stored, in the property tests: a few instants,
# so that ties (a subscription made the second a paper was stored) come up too.
INSTANTS = [CREATED + timedelta(minutes=m) for m in range(4)]


@st.composite
def subscription_lists(draw: st.DrawFn, first_id: int = 1) -> list[Subscription]:
    """Subscriptions in id order (as storage lists them) over a few channels; a query may be
    repeated, in one channel or several."""
    queries = draw(st.lists(query_strings, min_size=1, max_size=10))
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=16))):
        query = draw(st.sampled_from(queries))
        channel, created = draw(st.sampled_from(CHANNELS)), draw(st.sampled_from(INSTANTS))
        out.append(Subscription(first_id + i, channel, query, "U1", created))
    return out


@st.composite
def upvotes_before(draw: st.DrawFn, papers: list[Paper]) -> dict[str, int]:
    chosen = draw(st.lists(st.sampled_from(papers), unique_by=lambda p: p.id))
    return {p.id: draw(st.integers(min_value=0, max_value=50)) for p in chosen}


@st.composite
def first_seen(draw: st.DrawFn, papers: list[Paper]) -> dict[str, datetime]:
    """When some papers were first stored (a paper fanned out before keeps its time too)."""
    chosen = draw(st.lists(st.sampled_from(papers), unique_by=lambda p: p.id))
    return {p.id: draw(st.sampled_from(INSTANTS)) for p in chosen}


@SETTINGS
@given(st.data(), paper_lists(), subscription_lists(), st.sampled_from(COSTS))
def test_the_index_alerts_exactly_as_checking_every_pair(data, papers, subs, cost):
    before = data.draw(upvotes_before(papers), label="upvotes_before")
    seen = data.draw(first_seen(papers), label="first_seen")
    index = SubscriptionIndex(subs, cost=cost)
    assert index.match(papers, before) == match_alerts(subs, papers, before)
    assert index.match(papers, before, first_seen=seen) == match_alerts(subs, papers, before, seen)


@SETTINGS
@given(st.data(), paper_lists(), subscription_lists(), subscription_lists(first_id=100))
def test_an_index_changed_in_place_alerts_as_one_built_afresh(data, papers, old, new):
    index = SubscriptionIndex(old + new[: len(new) // 2])
    gone = data.draw(st.sets(st.sampled_from([s.id for s in old])), label="removed")
    index.update(added=new, removed=gone)  # the first half of `new` again: harmless
    kept = [s for s in old if s.id not in gone] + new
    before = data.draw(upvotes_before(papers), label="upvotes_before")
    seen = data.draw(first_seen(papers), label="first_seen")
    assert len(index) == len(kept)
    assert index.match(papers, before, first_seen=seen) == match_alerts(kept, papers, before, seen)


def test_the_index_names_matches_per_channel_in_subscription_order() -> None:
    subs = [
        Subscription(1, CH2, "video", "U1", CREATED),
        Subscription(2, CH1, "diffusion", "U1", CREATED),
        Subscription(3, CH2, "diffusion", "U1", CREATED),
        Subscription(4, CH1, "video", "U1", CREATED),
    ]
    paper = make_paper("2411.00001", DAY, title="Video diffusion models")
    alerts = SubscriptionIndex(subs).match([paper])
    assert [(a.channel, a.matched) for a in alerts] == [
        (CH2, ("video", "diffusion")),
        (CH1, ("diffusion", "video")),
    ]


def test_a_never_alerted_paper_alerts_only_subscriptions_made_by_when_it_was_stored() -> None:
    stored = at("2026-11-25 10:00")
    subs = [
        Subscription(1, CH1, "diffusion", "U1", stored - timedelta(minutes=5)),
        Subscription(2, CH1, "video", "U1", stored + timedelta(minutes=5)),
        Subscription(3, CH2, "diffusion", "U1", stored),  # the same second: it counts
        Subscription(4, CH2, "video upvotes:>=20", "U1", stored + timedelta(minutes=5)),
    ]
    new = make_paper("2411.00001", DAY, 30, title="Video diffusion models")
    crossed = make_paper("2411.00002", DAY, 30, title="Video diffusion models")
    seen = {new.id: stored, crossed.id: stored}
    before = {crossed.id: 5}  # fanned out before, at 5 upvotes: the crossing rule applies
    want = [(CH1, new.id, ("diffusion",)), (CH2, new.id, ("diffusion",))]
    want.append((CH2, crossed.id, ("video upvotes:>=20",)))
    for alerts in (
        SubscriptionIndex(subs).match([new, crossed], before, first_seen=seen),
        match_alerts(subs, [new, crossed], before, seen),
    ):
        assert [(a.channel, a.paper.id, a.matched) for a in alerts] == want


def test_a_subscription_read_again_with_another_creation_time_takes_it() -> None:
    stored = at("2026-11-25 10:00")
    index = SubscriptionIndex([Subscription(1, CH1, "diffusion", "U1", stored)])
    later = Subscription(1, CH1, "diffusion", "U1", stored + timedelta(minutes=1))
    index.update([later])  # the id, read again as another subscription: it replaces it
    paper = make_paper("2411.00001", DAY, title="Diffusion")
    assert index.match([paper], first_seen={paper.id: stored}) == []


def test_an_unreadable_stored_query_is_skipped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = Subscription(1, CH1, '"unbalanced', "U1", CREATED)
    good = Subscription(2, CH1, "diffusion", "U1", CREATED)
    index = SubscriptionIndex([bad, good])
    index.update([bad, good])  # read again (a change seen twice): no second warning
    assert [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()] == [
        "skipping subscription #1 of test:W1:C1 with an unreadable query '\"unbalanced': "
        'unbalanced quote: a "phrase" is missing its closing "'
    ]
    paper = make_paper("2411.00001", DAY, title="Diffusion")
    assert [a.matched for a in index.match([paper])] == [("diffusion",)]
    assert (len(index), index.unreadable) == (1, [bad])
    index.remove(1)
    assert index.unreadable == []


def test_a_query_shared_by_many_subscriptions_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real_parse = alerts_module.parse

    def counting(text: str) -> Any:
        calls.append(text)
        return real_parse(text)

    monkeypatch.setattr(alerts_module, "parse", counting)
    subs = [Subscription(i, CHANNELS[i % 4], "diffusion", "U1", CREATED) for i in range(1, 41)]
    index = SubscriptionIndex(subs, cost=length_cost)
    papers = [make_paper(f"2411.{i:05d}", DAY, title="Diffusion") for i in range(3)]
    index.match(papers)
    index.match(papers)
    assert calls == ["diffusion"]
    assert index.percolator.distinct == 1


async def test_the_matcher_follows_subscriptions_changed_by_another_process(
    store: Store, publisher: ScriptedPublisher, clock: Clock, tmp_path: Path
) -> None:
    _subscribe(store, CH1, "diffusion")
    first = make_paper("2411.00001", DAY, title="Diffusion and video")
    core = _core(store, publisher, clock, first)
    assert (await core.poll([DAY])).alerts == {"sent": 1}
    index = core.alert_matcher.index
    cli = Store(tmp_path / "paperboy.db")  # `paperboy subscribe` beside `paperboy run`
    _subscribe(cli, CH2, "video")
    cli.remove_subscription(CH1, "diffusion")
    second = make_paper("2411.00002", DAY, title="Diffusion and video")
    core.feed.days[DAY] = [first, second]  # type: ignore[attr-defined]
    assert (await core.poll([DAY])).alerts == {"sent": 1}
    assert [(a.channel, a.paper.id) for a in _alerts(publisher)] == [
        (CH1, "2411.00001"),
        (CH2, "2411.00002"),
    ]
    assert core.alert_matcher.index is index  # changed in place, not rebuilt
    assert core.alert_matcher.version == store.subscriptions_version()
    cli.close()


async def test_matching_runs_off_the_event_loop_thread(
    store: Store, publisher: ScriptedPublisher, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real_match = SubscriptionIndex.match

    def recording(self: SubscriptionIndex, *args: Any, **kwargs: Any) -> list[Alert]:
        threads.append(threading.current_thread())
        return real_match(self, *args, **kwargs)

    monkeypatch.setattr(SubscriptionIndex, "match", recording)
    _subscribe(store, CH1, "diffusion")
    core = _core(store, publisher, clock, make_paper("2411.00001", DAY, title="Diffusion"))
    await core.poll([DAY])
    assert len(_alerts(publisher)) == 1
    assert threads and all(t is not threading.current_thread() for t in threads)


async def test_the_index_is_built_once_and_read_again_only_on_a_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscribe(store, CH1, "diffusion")
    store.upsert_papers([make_paper("2411.00009", DAY, title="Mamba models")])
    reads: list[int] = []
    real = store.subscriptions

    def counting(*args: Any, **kwargs: Any) -> list[Subscription]:
        reads.append(kwargs.get("since_version", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "subscriptions", counting)
    matcher = AlertMatcher()
    paper = make_paper("2411.00001", DAY, title="Diffusion")
    for _ in range(3):
        assert [a.matched for a in await matcher.match(store, [paper])] == [("diffusion",)]
    assert reads == [0]
    mark = store.subscriptions_version()
    _subscribe(store, CH2, "diffusion")
    assert len(await matcher.match(store, [paper])) == 2
    assert reads == [0, mark]
    assert await matcher.match(store, []) == []
    index = await matcher.sync(store)
    assert len(index) == 2 and reads == [0, mark]
