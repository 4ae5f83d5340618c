"""The living digest end to end in the core: a compact digest posted, the feed's upvotes moving
over simulated hours, the digest edited in place by the edit timing (freely in the first hour,
then 3 h apart, never after 72 h), late climbers replied once, a crash during an edit neither
losing nor repeating it, a given-up edit freezing the digest, a full layout never edited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.delivery.deliverer import LEASE, Outcome
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND
from bot.delivery.living import may_edit, moved
from bot.delivery.living_reads import LIVE_FOR
from bot.domain import (
    Alert,
    ChannelRef,
    ChannelSettings,
    Digest,
    Layout,
    Schedule,
)
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.bot.delivery.living_world import (
    CH,
    DAY,
    DIGEST,
    POSTED,
    Crash,
    Platform,
    World,
    day,
    edit_refs,
    pid,
    poll_at,
    post_digest,
    unharmed,
    versions,
    with_threshold,
)
from tests.helpers import Clock, StaticFeed, alert_on, at, make_paper


async def test_a_digest_is_edited_by_the_edit_timing_and_a_climber_replied_once(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    [(message, _)] = platform.posted
    assert platform.messages[message] == [(pid("A"), 100), (pid("B"), 80), (pid("C"), 60)]
    m = timedelta(minutes=1)
    h = timedelta(hours=1)
    await poll_at(core, clock, 10 * m, feed, 120, 80, 60, 40, 10)  # A +20: edit 1
    await poll_at(core, clock, 30 * m, feed, 120, 95, 60, 40, 10)  # B +15: edit 2
    await poll_at(core, clock, 2 * h, feed, 120, 95, 75, 40, 10)  # C +15: too soon after 2
    assert versions(platform) == [1, 2]
    await poll_at(
        core, clock, 5 * h, feed, 120, 95, 75, 40, 99
    )  # E climbs to #2: edit 3, a climber
    await poll_at(core, clock, 30 * h, feed, 200, 95, 75, 40, 99)  # edit 4
    await poll_at(core, clock, 80 * h, feed, 400, 95, 75, 40, 99)  # no longer live
    assert versions(platform) == [1, 2, 3, 4]
    assert platform.messages[message] == [(pid("A"), 200), (pid("E"), 99), (pid("B"), 95)]
    assert [e[0] for e in platform.edits] == [message] * 4  # always the digest's own message
    assert platform.replies == [(message, pid("E"), "now #2 in this digest")]
    assert edit_refs(store) == [(f"digest:{DAY}#00{v}", "sent") for v in (1, 2, 3, 4)]


async def test_nothing_meaningful_moved_no_edit(world: World, platform: Platform) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    # A +9 (< 10 % of 100), B +7 (< 8), C +4 (< 5); D moves, below the list.
    await poll_at(core, clock, timedelta(minutes=10), feed, 109, 87, 64, 55, 10)
    await poll_at(core, clock, timedelta(hours=6), feed, 109, 87, 64, 55, 10)
    assert platform.edits == [] and platform.replies == []


async def test_a_move_of_five_upvotes_on_a_small_count_is_meaningful(
    world: World, platform: Platform
) -> None:
    core, feed, clock = world
    feed.days[DAY] = day(30, 20, 12)
    await post_digest(core, clock)
    await poll_at(core, clock, timedelta(minutes=10), feed, 30, 20, 16)  # +4: not yet
    await poll_at(core, clock, timedelta(minutes=20), feed, 30, 20, 17)  # +5 of 12
    assert versions(platform) == [1]


@pytest.mark.parametrize("applied", [True, False], ids=["after the request", "before it"])
async def test_a_crash_during_an_edit_neither_loses_nor_repeats_it(
    world: World, platform: Platform, store: Store, applied: bool
) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    platform.crash = (Crash(), not applied)
    with pytest.raises(Crash):
        await poll_at(core, clock, timedelta(minutes=10), feed, 130, 80, 60, 40, 10)
    [edit] = store.posts_under(CH, EDIT_KIND, "digest:")
    assert edit.state == "claimed" and edit.uncertain  # claimed, its answer never recorded
    # The next process takes the edit over once the dead one's lease ran out.
    clock.advance(seconds=LEASE.total_seconds() + 1)
    restarted = Paperboy(store, feed, {"test": platform}, clock=clock)
    await restarted.poll()
    [(message, _)] = platform.posted
    assert platform.messages[message] == [(pid("A"), 130), (pid("B"), 80), (pid("C"), 60)]
    assert set(versions(platform)) == {1}  # sent again at most: the same version, same content
    assert edit_refs(store) == [(f"digest:{DAY}#001", "sent")]
    clock.advance(minutes=5)
    feed.days[DAY] = day(130, 99, 60, 40, 10)
    await restarted.poll()
    assert edit_refs(store)[-1] == (f"digest:{DAY}#002", "sent")  # numbered on, none lost
    assert platform.messages[message][1] == (pid("B"), 99)


async def test_a_given_up_edit_freezes_the_digest_but_climbers_still_go_out(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    store.save_channel(ChannelSettings(CH))
    await post_digest(core, clock)
    platform.refuse_edits = DeliveryError("edit_window_closed", message_fault=True)
    await poll_at(core, clock, timedelta(minutes=10), feed, 130, 80, 60, 40, 10)
    assert edit_refs(store) == [(f"digest:{DAY}#001", "abandoned")]
    assert unharmed(store)
    platform.refuse_edits = None
    await poll_at(core, clock, timedelta(minutes=30), feed, 200, 150, 120, 40, 140)
    await poll_at(core, clock, timedelta(hours=10), feed, 300, 150, 120, 40, 140)
    assert platform.edits == [] and edit_refs(store) == [(f"digest:{DAY}#001", "abandoned")]
    [(_, paper, reason)] = platform.replies  # its list stays as posted: the reply says so
    assert (paper, reason) == (
        pid("E"),
        "now #3 in this digest (its list can no longer be updated)",
    )


async def test_a_full_digest_is_never_edited_nor_replied_to(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    await core.poll([DAY])
    clock.now = POSTED
    full = Digest(CH, (DAY,), tuple(store.papers_on([DAY], limit=3)), layout=Layout.FULL)
    schedule = Schedule(CH, "digest", size=3)
    payload = core.timed("digest").payload(full, schedule)
    assert await core.deliverer.deliver(DIGEST, full, payload) is Outcome.SENT
    await poll_at(core, clock, timedelta(minutes=10), feed, 300, 80, 60, 40, 250)
    assert platform.edits == [] and platform.replies == []
    assert store.posts_under(CH, EDIT_KIND, "") == []


async def test_climbers_past_the_channel_threshold_three_a_poll_best_first_each_once(
    world: World, platform: Platform
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    feed.days[DAY] = day(100, 90, 80, 10, 10, 10, 10, 10)
    await post_digest(core, clock)
    counts = (100, 90, 80, 51, 60, 70, 55, 30)  # D, E, F, G pass 50; H does not
    await poll_at(core, clock, timedelta(hours=2), feed, *counts)
    assert platform.replies[0][1:] == (pid("F"), "passed 50 upvotes")
    assert [r[1] for r in platform.replies] == [pid("F"), pid("E"), pid("G")]
    await poll_at(core, clock, timedelta(hours=3), feed, *counts)
    await poll_at(core, clock, timedelta(hours=4), feed, *counts)
    assert [r[1] for r in platform.replies] == [pid("F"), pid("E"), pid("G"), pid("D")]


async def test_a_paused_channel_s_edit_is_held_and_sent_on_resume(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="test"))
    await poll_at(core, clock, timedelta(minutes=10), feed, 150, 80, 60, 40, 10)
    await poll_at(core, clock, timedelta(minutes=20), feed, 190, 80, 60, 40, 10)
    assert platform.edits == [] and edit_refs(store) == [(f"digest:{DAY}#001", "held")]
    assert core.resume(CH)
    await core.recover()
    assert versions(platform) == [1] and edit_refs(store) == [(f"digest:{DAY}#001", "sent")]


async def test_a_platform_this_process_does_not_run_gets_the_edit_from_its_own_process(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    elsewhere = Paperboy(store, feed, {}, clock=clock)  # a process that runs no "test" platform
    clock.now = POSTED + timedelta(minutes=10)
    feed.days[DAY] = day(150, 80, 60, 40, 10)
    await elsewhere.poll()
    [edit] = store.posts_under(CH, EDIT_KIND, "digest:")
    assert edit.state == "failed" and "no test adapter running" in (edit.error or "")
    await core.recover()  # the process that runs it
    assert versions(platform) == [1]


async def test_a_live_digest_s_days_are_read_again_by_the_default_poll(
    world: World, store: Store
) -> None:
    core, _feed, clock = world
    await post_digest(core, clock)
    clock.now = POSTED + timedelta(hours=48)
    assert DAY in core.default_poll_days()
    clock.now = POSTED + LIVE_FOR
    assert DAY not in core.default_poll_days()


async def test_a_weekly_roll_up_lives_too(store: Store, platform: Platform) -> None:
    week = [date(2026, 11, 16) + timedelta(days=i) for i in range(5)]
    papers = {
        d: [make_paper(f"2411.1{i}{j}", d, 10 * i + j) for j in range(3)]
        for i, d in enumerate(week)
    }
    clock = Clock(at("2026-11-23 09:00"))
    feed = StaticFeed(papers)
    core = Paperboy(store, feed, {"test": platform}, clock=clock)
    core.save_schedule(Schedule(CH, "weekly", enabled=True, size=3))
    await core.poll(week)
    assert await core.send_scheduled(CH, "weekly", day=week[0]) is Outcome.SENT
    feed.days[week[0]] = [make_paper("2411.100", week[0], 90), *papers[week[0]][1:]]
    clock.advance(minutes=10)
    feed.fetched.clear()
    await core.poll()
    assert set(week) <= set(feed.fetched)
    [(message, version, shown)] = platform.edits
    assert version == 1 and shown[0] == ("2411.100", 90)
    assert platform.replies == [(message, "2411.100", "now #1 in this digest")]
    [edit] = store.posts_under(CH, EDIT_KIND, "weekly:2026-W47#")
    assert edit.state == "sent"
    assert [e.key.ref for e in store.posts_under(CH, CLIMBER_KIND, "weekly:")] == [
        "weekly:2026-W47:2411.100"
    ]


async def test_alerts_are_laid_out_as_the_channel_s_digest(
    store: Store, platform: Platform, clock: Clock
) -> None:
    core = Paperboy(store, StaticFeed(), {"test": platform}, clock=clock)
    other = ChannelRef("test", "W1", "C2")
    core.save_schedule(Schedule(CH, "digest", layout=Layout.FULL))
    for ref in (CH, other):
        store.save_channel(ChannelSettings(ref))
        store.add_subscription(ref, "diffusion", "u", clock())
    paper = make_paper("2411.00009", "2026-11-25", 3, title="Diffusion things")
    await alert_on(core, [paper])
    layouts = {p.channel: p.layout for _, p in platform.posted if isinstance(p, Alert)}
    assert layouts == {CH: Layout.FULL, other: Layout.COMPACT}


def test_the_edit_timing_at_its_edges() -> None:
    minute = timedelta(minutes=1)
    assert may_edit(POSTED, POSTED + 58 * minute, POSTED + 59 * minute)  # the first hour: free
    last = POSTED + 30 * minute
    assert not may_edit(POSTED, last, POSTED + 209 * minute)  # 2 h 59 min after the last
    assert may_edit(POSTED, last, POSTED + 210 * minute)  # 3 h after it
    assert may_edit(POSTED, None, POSTED + 2 * 60 * minute)  # no edit yet: at once
    assert not may_edit(POSTED, None, POSTED + LIVE_FOR)


@pytest.mark.parametrize(
    ("shown", "now", "meaningful"),
    [
        (100, 110, True),  # 10 % of 100
        (100, 109, False),
        (100, 90, True),  # down counts too
        (20, 25, True),  # at least 5, however small the count
        (20, 24, False),
        (0, 5, True),
    ],
)
def test_a_meaningful_move_is_max_5_or_10_percent_of_what_was_shown(
    shown: int, now: int, meaningful: bool
) -> None:
    current = Digest(CH, (DAY,), (make_paper("a", DAY, now), make_paper("b", DAY, 1)))
    assert moved({"papers": ["a", "b"], "upvotes": [shown, 1]}, current) is meaningful
    assert moved({"papers": ["b", "a"], "upvotes": [1, shown]}, current)  # the order changed
    assert moved({"papers": ["a"], "upvotes": [shown]}, current)  # a paper joined
