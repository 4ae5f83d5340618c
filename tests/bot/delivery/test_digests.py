"""Digests: day selection across weekends, downtime catch-up and time zones, never twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.delivery.calendar import next_run
from bot.delivery.deliverer import Outcome
from bot.delivery.digests import MAX_FILTER_CANDIDATES, build_digest
from bot.domain import Action, ChannelRef, Digest, Layout, Paper, Schedule, WeekendPolicy
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper

CH = ChannelRef("test", "W1", "C1")
NOON = at("2026-11-25 12:00")


def _enable(core: Paperboy, **changes: object) -> Schedule:
    schedule = replace(Schedule(CH, "digest"), enabled=True, **changes)  # type: ignore[arg-type]
    core.save_schedule(schedule)
    return schedule


def _seed(store: Store, day: str, count: int, start: int = 0) -> None:
    store.upsert_papers(
        [make_paper(f"2411.{start + i:05d}", day, upvotes=i) for i in range(count)],
        at("2026-11-25 00:00"),
    )


def _digests(publisher: ScriptedPublisher) -> list[Digest]:
    return [p.item for p in publisher.of_kind("digest")]  # type: ignore[misc]


async def test_digest_lists_top_n_by_upvotes(
    core: Paperboy, store: Store, publisher: ScriptedPublisher
) -> None:
    _seed(store, "2026-11-25", 15)
    _enable(core, size=3)
    assert await core.run_scheduled(CH) is Outcome.SENT
    [digest] = _digests(publisher)
    assert [p.upvotes for p in digest.papers] == [14, 13, 12]
    assert digest.days == (date(2026, 11, 25),)


async def test_minimum_upvotes_is_honoured(
    core: Paperboy, store: Store, publisher: ScriptedPublisher
) -> None:
    _seed(store, "2026-11-25", 15)
    _enable(core, size=25, min_upvotes=12)
    await core.run_scheduled(CH)
    assert [p.upvotes for p in _digests(publisher)[0].papers] == [14, 13, 12]


async def test_same_day_is_never_posted_twice(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-25", 3)
    _enable(core)
    assert await core.run_scheduled(CH) is Outcome.SENT
    clock.advance(hours=2)
    assert await core.run_scheduled(CH) is None
    assert await core.send_scheduled(CH, day=date(2026, 11, 25)) is Outcome.ALREADY
    assert len(_digests(publisher)) == 1


async def test_downtime_is_caught_up_in_one_post(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _enable(core, size=10)
    clock.now = at("2026-11-23 15:00")  # Monday
    _seed(store, "2026-11-23", 2, start=0)
    await core.run_scheduled(CH)
    # Down Tuesday and Wednesday; back Thursday afternoon.
    _seed(store, "2026-11-24", 2, start=100)
    _seed(store, "2026-11-25", 2, start=200)
    _seed(store, "2026-11-26", 2, start=300)
    clock.now = at("2026-11-26 15:00")
    assert await core.run_scheduled(CH) is Outcome.SENT
    first, catch_up = _digests(publisher)
    assert catch_up.is_catch_up
    assert catch_up.days == (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))
    assert {p.day for p in catch_up.papers} == set(catch_up.days)
    assert not {p.id for p in first.papers} & {p.id for p in catch_up.papers}


async def test_weekend_is_skipped_by_default(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _enable(core)
    clock.now = at("2026-11-28 15:00")  # Saturday, nothing on Daily Papers
    assert await core.run_scheduled(CH) is None
    assert publisher.posts == []


async def test_weekend_notice_when_the_channel_asks(
    core: Paperboy, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _enable(core, weekends=WeekendPolicy.NOTICE)
    clock.now = at("2026-11-28 15:00")
    assert await core.run_scheduled(CH) is Outcome.SENT
    [digest] = _digests(publisher)
    assert digest.papers == ()
    assert digest.notice == "No new Daily Papers for Saturday 28 November 2026."


async def test_monday_after_a_skipped_weekend_is_a_plain_digest(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _enable(core)
    _seed(store, "2026-11-27", 2, start=0)
    clock.now = at("2026-11-27 15:00")  # Friday
    await core.run_scheduled(CH)
    for day in ("2026-11-28 15:00", "2026-11-29 15:00"):
        clock.now = at(day)
        await core.run_scheduled(CH)
    _seed(store, "2026-11-30", 2, start=100)
    clock.now = at("2026-11-30 15:00")
    await core.run_scheduled(CH)
    _friday, monday = _digests(publisher)
    assert monday.days == (date(2026, 11, 30),)
    assert not monday.is_catch_up


async def test_morning_digest_in_tokyo_posts_the_finished_utc_day(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-24", 2, start=0)
    _seed(store, "2026-11-25", 2, start=100)
    _enable(core, timezone="Asia/Tokyo", time="09:00")
    clock.now = next_run("09:00", "Asia/Tokyo", at("2026-11-25 12:00"))  # 26th 00:00 UTC
    await core.run_scheduled(CH)
    assert _digests(publisher)[0].days == (date(2026, 11, 25),)


async def test_unfetched_day_is_polled_before_the_digest(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    feed = StaticFeed({date(2026, 11, 25): [make_paper("2411.00001", "2026-11-25", 4)]})
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    _enable(core)
    assert await core.run_scheduled(CH) is Outcome.SENT
    assert date(2026, 11, 25) in feed.fetched
    assert [p.id for p in _digests(publisher)[0].papers] == ["2411.00001"]


async def test_catch_up_on_start_posts_a_missed_time_once(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-25", 3)
    _enable(core, time="14:00")
    clock.now = at("2026-11-25 15:00")  # started an hour after the digest time
    assert await core.catch_up() == {CH.key: Outcome.SENT}
    assert await core.catch_up() == {}  # nothing due: not even tried
    assert len(_digests(publisher)) == 1


async def test_catch_up_on_start_waits_for_a_time_not_yet_reached(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-25", 3)
    _seed(store, "2026-11-24", 3, start=50)
    _enable(core, time="16:00")
    clock.now = at("2026-11-25 15:00")
    await core.catch_up()
    # The 16:00 digest of the 24th was due yesterday and is posted; today's waits until 16:00.
    assert [d.days for d in _digests(publisher)] == [(date(2026, 11, 24),)]


async def test_a_digest_sent_by_hand_for_a_later_day_does_not_block_scheduled_ones(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-24", 2, start=0)
    _seed(store, "2026-11-25", 2, start=50)
    _enable(core)
    clock.now = at("2026-11-25 08:00")  # before noon UTC: the scheduled digest is the 24th's
    assert await core.send_scheduled(CH, day=date(2026, 11, 25)) is Outcome.SENT
    assert await core.run_scheduled(CH) is Outcome.SENT
    assert [d.days for d in _digests(publisher)] == [(date(2026, 11, 25),), (date(2026, 11, 24),)]


async def test_a_future_day_polled_empty_is_not_recorded(core: Paperboy, store: Store) -> None:
    await core.poll([date(2026, 11, 30)])
    assert store.polled_days() == set()


async def test_a_digest_turned_on_again_after_a_break_covers_only_its_day(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    for i, day in enumerate(
        (
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
        )
    ):
        _seed(store, day, 2, start=100 * i)
    clock.now = at("2026-11-16 15:00")
    _enable(core)
    clock.now = at("2026-11-25 10:00")
    _enable(core, enabled_at=clock.now)  # off for a week, on again today
    clock.now = at("2026-11-25 15:00")
    await core.run_scheduled(CH)
    assert [d.days for d in _digests(publisher)] == [(date(2026, 11, 25),)]


async def test_catch_up_on_start_skips_a_slot_from_before_the_digest_was_on(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, clock: Clock
) -> None:
    _seed(store, "2026-11-24", 2)
    clock.now = at("2026-11-25 10:00")
    _enable(core, time="11:00", enabled_at=clock.now)
    clock.now = at("2026-11-25 10:30")  # restarted before the first 11:00 run
    assert await core.catch_up() == {}
    assert publisher.posts == []


async def test_digest_on_records_when_it_was_turned_on(core: Paperboy, clock: Clock) -> None:
    from bot.commands.handlers import Handlers
    from bot.domain import Invocation

    handlers = Handlers(core)
    turned_on = clock.now
    await handlers.handle("digest on 09:00", Invocation(CH, "U1"))
    clock.advance(hours=1)
    await handlers.handle("digest on 10:00", Invocation(CH, "U1"))
    assert core.schedule(CH).enabled_at == turned_on
    await handlers.handle("digest off", Invocation(CH, "U1"))
    await handlers.handle("digest on", Invocation(CH, "U1"))
    assert core.schedule(CH).enabled_at == clock.now


async def test_a_day_fetched_before_an_outage_is_fetched_again_once_the_feed_is_back(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    tuesday = date(2026, 10, 20)
    feed = StaticFeed()
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    clock.now = at("2026-10-20 00:05")
    await core.poll()  # Tuesday's list is still empty
    feed.days[tuesday] = [make_paper("2610.00001", tuesday, upvotes=4)]
    clock.now = at("2026-10-22 00:30")  # the feed was down until now
    assert tuesday in core.default_poll_days()
    await core.poll()
    assert store.get_paper("2610.00001") is not None
    assert tuesday in store.settled_days()
    assert tuesday not in core.default_poll_days()


async def test_a_weekday_fetched_only_while_it_filled_up_gets_no_empty_day_notice(
    core: Paperboy,
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    clock.now = at("2026-11-25 00:05")
    await core.poll([date(2026, 11, 25)])  # fetched, empty, but the day had just begun
    _enable(core, weekends=WeekendPolicy.NOTICE, time="13:00", enabled_at=clock.now)
    clock.now = at("2026-11-25 13:00")
    assert await core.run_scheduled(CH) is None
    assert publisher.posts == []


# --- clicks nudge the ranking; the layout comes from the schedule -------------------------

LIKED = make_paper("2411.00100", "2026-11-24", 30, title="Video diffusion transformers")
AGENTS = make_paper("2411.00101", "2026-11-25", 50, title="Agents that plan with tools")
VIDEO = make_paper("2411.00102", "2026-11-25", 48, title="Video diffusion at scale")


class Reads:
    """The store, with the `limit` of every `papers_on` call recorded."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.limits: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def papers_on(self, days: object, min_upvotes: int = 0, limit: int = 100) -> list[Paper]:
        self.limits.append(limit)
        return self.store.papers_on(days, min_upvotes, limit)  # type: ignore[arg-type]


def _nudge_day(store: Store, action: Action | None) -> Reads:
    store.upsert_papers([LIKED, AGENTS, VIDEO], at("2026-11-25 10:00"))
    if action is not None:
        store.record_click(CH, "U1", LIKED.id, action, at("2026-11-24 18:00"))
    return Reads(store)


def _ranked(repo: object, schedule: Schedule) -> list[tuple[str, int]]:
    digest = build_digest(repo, schedule, [date(2026, 11, 25)])  # type: ignore[arg-type]
    assert digest is not None
    return [(p.id, p.upvotes) for p in digest.papers]


def test_without_clicks_a_digest_reads_only_its_top_n(store: Store) -> None:
    reads = _nudge_day(store, None)
    assert _ranked(reads, Schedule(CH, "digest", size=2)) == [(AGENTS.id, 50), (VIDEO.id, 48)]
    assert reads.limits == [2]


def test_more_like_this_lifts_a_similar_paper_past_a_close_one(store: Store) -> None:
    reads = _nudge_day(store, Action.MORE_LIKE)
    # Shown upvotes stay the real ones; every paper of the day was read to rank them.
    assert _ranked(reads, Schedule(CH, "digest", size=2)) == [(VIDEO.id, 48), (AGENTS.id, 50)]
    assert reads.limits == [MAX_FILTER_CANDIDATES]


def test_not_relevant_sinks_a_similar_paper_but_never_hides_it(store: Store) -> None:
    store.upsert_papers([make_paper("2411.00103", "2026-11-25", 47, title="Tiny vision")])
    reads = _nudge_day(store, Action.NOT_RELEVANT)
    ranked = _ranked(reads, Schedule(CH, "digest", size=3))
    assert ranked == [(AGENTS.id, 50), ("2411.00103", 47), (VIDEO.id, 48)]


def test_clicks_older_than_sixty_days_before_the_day_are_forgotten(store: Store) -> None:
    store.upsert_papers([LIKED, AGENTS, VIDEO], at("2026-11-25 10:00"))
    store.record_click(CH, "U1", LIKED.id, Action.MORE_LIKE, at("2026-09-20 12:00"))
    assert _ranked(store, Schedule(CH, "digest", size=2)) == [(AGENTS.id, 50), (VIDEO.id, 48)]


def test_a_click_made_after_the_day_ended_leaves_that_day_s_digest_as_posted(
    store: Store,
) -> None:
    # The living digest rebuilds a posted digest later: a click made since must not re-rank
    # it (and so edit it); it nudges the next digests.
    store.upsert_papers([LIKED, AGENTS, VIDEO], at("2026-11-25 10:00"))
    store.record_click(CH, "U1", LIKED.id, Action.MORE_LIKE, at("2026-11-26 09:30"))
    assert _ranked(store, Schedule(CH, "digest", size=2)) == [(AGENTS.id, 50), (VIDEO.id, 48)]


def test_another_channel_s_clicks_change_nothing_here(store: Store) -> None:
    _nudge_day(store, None)
    store.record_click(ChannelRef("test", "W1", "C2"), "U1", LIKED.id, Action.MORE_LIKE, NOON)
    assert _ranked(store, Schedule(CH, "digest", size=2)) == [(AGENTS.id, 50), (VIDEO.id, 48)]


def test_a_filtered_nudged_digest_holds_exactly_the_matching_papers(store: Store) -> None:
    _nudge_day(store, Action.MORE_LIKE)
    agents = [
        make_paper(f"2411.002{i:02d}", "2026-11-25", 40 + i, title=f"Agents {i}") for i in range(3)
    ]
    speech = make_paper("2411.00300", "2026-11-25", 60, title="Speech models")
    store.upsert_papers([*agents, speech])
    filtered = Schedule(CH, "digest", size=25, filter="agents OR video")
    plain = _ranked(store, Schedule(CH, "digest", size=25))
    ranked = _ranked(store, filtered)
    assert {i for i, _ in ranked} == {AGENTS.id, VIDEO.id, *(p.id for p in agents)}
    assert ranked == [pair for pair in plain if pair[0] != speech.id]  # ranked as unfiltered
    assert ranked[0] == (VIDEO.id, 48)


async def test_a_digest_has_the_channel_s_layout(
    core: Paperboy, store: Store, publisher: ScriptedPublisher
) -> None:
    _seed(store, "2026-11-25", 3)
    _enable(core, layout=Layout.FULL)
    assert await core.run_scheduled(CH) is Outcome.SENT
    assert _digests(publisher)[0].layout is Layout.FULL
    assert build_digest(store, Schedule(CH, "digest"), [date(2026, 11, 25)]).layout is (  # type: ignore[union-attr]
        Layout.COMPACT
    )
