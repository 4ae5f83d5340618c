"""The weekly roll-up: which week it covers, its top papers, once per week per channel."""

from __future__ import annotations

from datetime import date

from bot.commands.handlers import Handlers
from bot.delivery.calendar import iso_week, parse_weekday, target_week, week_days
from bot.delivery.deliverer import Outcome
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import Action, ChannelRef, Digest, Invocation, Layout, Schedule, WeekendPolicy
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper

CH = ChannelRef("test", "W1", "C1")


def _week_of_papers(store: Store) -> None:
    # W48 of 2026: Monday 23 to Sunday 29 November. Upvotes grow with the day and the index.
    for offset, day in enumerate(
        ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27")
    ):
        store.upsert_papers(
            [make_paper(f"2411.{offset}{i:04d}", day, upvotes=10 * offset + i) for i in range(4)],
            at("2026-11-27 10:00"),
        )
    store.upsert_papers(
        [make_paper("2411.99999", "2026-11-16", upvotes=999)], at("2026-11-27 10:00")
    )  # the week before: never in W48's roll-up


def _rollups(publisher: ScriptedPublisher) -> list[Digest]:
    return [p.item for p in publisher.of_kind(WEEKLY_KIND)]  # type: ignore[misc]


def test_a_roll_up_on_friday_or_later_covers_this_week_earlier_last_week() -> None:
    assert target_week(at("2026-11-27 17:00")) == "2026-W48"  # Friday afternoon
    assert target_week(at("2026-11-29 09:00")) == "2026-W48"  # Sunday
    assert target_week(at("2026-11-30 09:00")) == "2026-W48"  # Monday morning: last week
    assert target_week(at("2026-11-26 17:00")) == "2026-W47"  # Thursday: last week
    assert target_week(at("2027-01-04 09:00")) == "2026-W53"  # across a year's end


def test_iso_weeks_and_weekday_names() -> None:
    assert week_days("2026-W48")[0] == date(2026, 11, 23)
    assert week_days("2026-W48")[-1] == date(2026, 11, 29)
    assert iso_week(date(2026, 11, 29)) == "2026-W48"
    assert parse_weekday("Friday") == 4 and parse_weekday("mon") == 0


async def test_the_roll_up_lists_the_weeks_top_papers_by_upvotes(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    _week_of_papers(store)
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, weekday=0, size=3))
    clock.now = at("2026-11-30 09:00")
    assert await core.run_scheduled(CH, WEEKLY_KIND) is Outcome.SENT
    [rollup] = _rollups(publisher)
    assert [p.id for p in rollup.papers] == ["2411.40003", "2411.40002", "2411.40001"]
    assert rollup.title == "Weekly top papers" and rollup.period == "week 2026-W48"
    assert not rollup.is_catch_up
    row = store.delivery(CH, WEEKLY_KIND, "2026-W48")
    assert row is not None and row["state"] == "sent"


async def test_a_week_is_rolled_up_once(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    _week_of_papers(store)
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True))
    clock.now = at("2026-11-30 09:00")
    await core.run_scheduled(CH, WEEKLY_KIND)
    clock.now = at("2026-11-30 18:00")
    assert await core.run_scheduled(CH, WEEKLY_KIND) is None
    assert len(_rollups(publisher)) == 1


async def test_a_missed_roll_up_is_posted_on_start(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    _week_of_papers(store)
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    clock.now = at("2026-11-20 09:00")
    core.save_schedule(
        Schedule(CH, WEEKLY_KIND, enabled=True, weekday=4, time="17:00", enabled_at=clock.now)
    )
    clock.now = at("2026-11-28 10:00")  # down over Friday 17:00
    outcomes = await core.catch_up()
    assert outcomes == {f"{CH.key} weekly": Outcome.SENT}
    assert [r.period for r in _rollups(publisher)] == ["week 2026-W48"]


async def test_the_roll_up_fetches_the_days_of_its_week_never_fetched(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    feed = StaticFeed({date(2026, 11, 25): [make_paper("2411.00001", "2026-11-25", upvotes=5)]})
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True))
    clock.now = at("2026-11-30 09:00")
    await core.run_scheduled(CH, WEEKLY_KIND)
    assert feed.fetched == [date(2026, 11, 23 + i) for i in range(7)]
    [rollup] = _rollups(publisher)
    assert [p.id for p in rollup.papers] == ["2411.00001"]


async def test_an_empty_week_gets_a_notice_only_when_asked(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True))
    clock.now = at("2026-11-30 09:00")
    assert await core.run_scheduled(CH, WEEKLY_KIND) is None
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, weekends=WeekendPolicy.NOTICE))
    assert await core.run_scheduled(CH, WEEKLY_KIND) is Outcome.SENT
    [notice] = _rollups(publisher)
    assert notice.papers == () and notice.notice == "No new Daily Papers for week 2026-W48."


async def test_weekly_commands_set_show_and_stop_the_roll_up(core: Paperboy, clock: Clock) -> None:
    handlers = Handlers(core)
    inv = Invocation(CH, "U1")
    on = await handlers.handle("weekly on friday 17:30 Europe/Berlin", inv)
    assert on.ok and "Weekly roll-up on: top 10 papers Fridays at 17:30 Europe/Berlin" in on.text
    assert "Next: Fri 27 Nov 17:30 CET" in on.text
    sized = await handlers.handle("weekly size 5", inv)
    assert "top 5 papers" in sized.text
    shown = await handlers.handle("weekly show", inv)
    assert shown.ok and "Fridays" in shown.text
    off = await handlers.handle("weekly off", inv)
    assert off.ok and core.schedule(CH, WEEKLY_KIND).enabled is False
    assert core.schedule(CH, "digest").enabled is False  # the daily digest is its own
    bad = await handlers.handle("weekly on someday", inv)
    assert not bad.ok and "weekday" in bad.text


async def test_a_week_never_fetched_is_fetched_with_one_week_request(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    feed = StaticFeed(
        {
            date(2026, 11, 25): [make_paper("2411.00001", "2026-11-25", upvotes=5)],
            date(2026, 11, 27): [make_paper("2411.00002", "2026-11-27", upvotes=9)],
        },
        weeks=True,
    )
    core = Paperboy(store, feed, {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True))
    clock.now = at("2026-11-30 09:00")
    await core.run_scheduled(CH, WEEKLY_KIND)
    assert (feed.fetched_weeks, feed.fetched) == (["2026-W48"], [])
    assert {date(2026, 11, 23 + i) for i in range(7)} <= store.polled_days()
    [rollup] = _rollups(publisher)
    assert [p.id for p in rollup.papers] == ["2411.00002", "2411.00001"]
    assert store.get_paper("2411.00001") is not None


async def test_a_roll_up_held_while_paused_is_delivered_for_its_own_week_on_resume(
    store: Store,
    clock: Clock,
    publisher: ScriptedPublisher,
) -> None:
    from bot.domain import ChannelSettings

    _week_of_papers(store)
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, weekday=0))
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="Forbidden"))
    clock.now = at("2026-11-30 09:00")  # W48's roll-up falls due while paused
    assert await core.run_scheduled(CH, WEEKLY_KIND) is Outcome.PAUSED
    clock.now = at("2026-12-04 15:00")  # resumed on a Friday afternoon
    core.resume(CH)
    await core.recover()
    assert [r.period for r in _rollups(publisher)] == ["week 2026-W48"]


async def test_the_roll_up_is_nudged_by_the_channel_s_clicks_in_its_layout(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    store.upsert_papers(
        [
            make_paper("2411.00001", "2026-11-23", 50, title="Agents that plan with tools"),
            make_paper("2411.00002", "2026-11-26", 48, title="Video diffusion at scale"),
            make_paper("2411.00003", "2026-11-20", 9, title="Video diffusion transformers"),
        ],
        at("2026-11-27 10:00"),
    )
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, weekday=0, size=2))
    # The layout is the channel's, kept with the daily digest's settings.
    core.save_schedule(Schedule(CH, "digest", layout=Layout.FULL))
    store.record_click(CH, "U1", "2411.00003", Action.MORE_LIKE, at("2026-11-21 09:00"))
    clock.now = at("2026-11-30 09:00")
    assert await core.run_scheduled(CH, WEEKLY_KIND) is Outcome.SENT
    [rollup] = _rollups(publisher)
    assert [(p.id, p.upvotes) for p in rollup.papers] == [("2411.00002", 48), ("2411.00001", 50)]
    assert rollup.layout is Layout.FULL


async def test_a_filtered_nudged_roll_up_holds_only_matching_papers(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    _week_of_papers(store)
    store.upsert_papers(
        [make_paper("2411.00009", "2026-11-24", 35, title="Video diffusion at scale")],
        at("2026-11-27 10:00"),
    )
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, weekday=0, size=5))
    core.save_schedule(Schedule(CH, "digest", filter="video"))
    store.record_click(CH, "U1", "2411.00009", Action.NOT_RELEVANT, at("2026-11-25 09:00"))
    clock.now = at("2026-11-30 09:00")
    await core.run_scheduled(CH, WEEKLY_KIND)
    [rollup] = _rollups(publisher)
    assert [p.id for p in rollup.papers] == ["2411.00009"]  # lowered, never hidden
    assert rollup.layout is Layout.COMPACT
