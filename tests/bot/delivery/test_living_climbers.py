"""Late climbers of the living digest: never once the digest is 72 h old (held or retried),
never for a digest whose message is gone, "passed N upvotes" only for a paper that crossed N
after the digest was posted, and "now #K" only once the list shown holds the paper."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.delivery.kinds import CLIMBER_KIND
from bot.delivery.living_reads import BASELINE, BASELINE_FACT
from bot.domain import ChannelSettings, Digest, Layout, Schedule
from bot.ports import DeliveryError
from storage.store import Store
from tests.bot.delivery.living_world import (
    CH,
    DAY,
    DIGEST,
    POSTED,
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
from tests.helpers import make_paper

H = timedelta(hours=1)
M = timedelta(minutes=1)


def climber_refs(store: Store) -> list[tuple[str, str]]:
    return [
        (e.key.ref[len(f"digest:{DAY}:") :], e.state)
        for e in store.posts_under(CH, CLIMBER_KIND, "digest:")
    ]


async def test_a_climber_held_while_paused_is_not_sent_once_its_digest_is_72_h_old(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    await post_digest(core, clock)
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="test"))
    await poll_at(core, clock, 2 * H, feed, 100, 80, 60, 40, 55)  # E passes 50: held
    assert climber_refs(store) == [(pid("E"), "held")]
    clock.now = POSTED + timedelta(days=10)
    assert core.resume(CH)
    await core.recover()
    assert platform.replies == []
    assert climber_refs(store) == [(pid("E"), "abandoned")]


async def test_a_held_climber_still_goes_out_while_its_digest_lives(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    await post_digest(core, clock)
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="test"))
    await poll_at(core, clock, 2 * H, feed, 100, 80, 60, 40, 55)
    clock.now = POSTED + 71 * H
    assert core.resume(CH)
    await core.recover()
    assert [r[1:] for r in platform.replies] == [(pid("E"), "passed 50 upvotes")]


@pytest.mark.parametrize(
    "error",
    ["message_not_found", "the digest can no longer be edited (NotFound: Unknown Message)"],
    ids=["slack", "discord"],
)
async def test_no_climber_once_an_edit_found_the_digest_s_message_gone(
    world: World, platform: Platform, store: Store, error: str
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    store.save_channel(ChannelSettings(CH))
    await post_digest(core, clock)
    platform.refuse_edits = DeliveryError(error, message_fault=True)
    await poll_at(core, clock, 10 * M, feed, 130, 80, 60, 40, 10)  # an edit: the message is gone
    assert edit_refs(store) == [(f"digest:{DAY}#001", "abandoned")]
    platform.refuse_edits = None
    await poll_at(core, clock, 5 * H, feed, 300, 150, 120, 40, 140)  # E climbs, D and E pass 50
    await poll_at(core, clock, 10 * H, feed, 300, 150, 120, 90, 140)
    assert platform.replies == [] and climber_refs(store) == []
    assert platform.edits == [] and len(edit_refs(store)) == 1
    assert unharmed(store)


async def test_a_reply_refused_for_a_deleted_thread_ends_the_digest_s_climbers_and_edits(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    store.save_channel(ChannelSettings(CH))
    await post_digest(core, clock)
    # Slack's answer to a reply in a deleted message's thread (a message fault).
    platform.refuse_replies = DeliveryError("thread_not_found", message_fault=True)
    await poll_at(core, clock, 2 * H, feed, 100, 80, 60, 40, 55)  # E passes 50
    assert climber_refs(store) == [(pid("E"), "abandoned")]
    platform.refuse_replies = None
    await poll_at(core, clock, 5 * H, feed, 130, 80, 60, 52, 55)  # A moves, D passes 50
    assert platform.replies == [] and climber_refs(store) == [(pid("E"), "abandoned")]
    assert platform.edits == [] and edit_refs(store) == []
    assert unharmed(store)


async def test_only_a_paper_that_crossed_the_threshold_after_posting_passed_it(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    feed.days[DAY] = day(100, 90, 80, 70, 60, 10)
    await post_digest(core, clock)  # D and E are past 50 already, F is not
    await poll_at(core, clock, 2 * H, feed, 100, 90, 80, 70, 60, 10)
    assert platform.replies == []
    await poll_at(core, clock, 3 * H, feed, 100, 90, 80, 72, 64, 55)
    assert [r[1:] for r in platform.replies] == [(pid("F"), "passed 50 upvotes")]
    entry = store.delivery(CH, "digest", DAY.isoformat())
    assert entry is not None
    kept = json.loads(entry["payload"])[BASELINE]
    assert kept == {pid("D"): 70, pid("E"): 60, pid("F"): 10}  # the unlisted, as posted


async def test_without_a_threshold_a_digest_keeps_no_counts_and_a_later_one_counts_from_then(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    feed.days[DAY] = day(100, 90, 80, 70, 60, 10)
    await post_digest(core, clock)
    entry = store.delivery(CH, "digest", DAY.isoformat())
    assert entry is not None
    assert BASELINE not in json.loads(entry["payload"])  # no threshold: nothing to keep
    await poll_at(core, clock, 2 * H, feed, 100, 90, 80, 70, 60, 10)
    assert store.facts(BASELINE_FACT) == {}  # nor read on refresh
    with_threshold(world, 50)  # set after posting: D and E are past it already
    await poll_at(core, clock, 3 * H, feed, 100, 90, 80, 70, 60, 10)
    await poll_at(core, clock, 4 * H, feed, 100, 90, 80, 71, 61, 55)
    assert [r[1:] for r in platform.replies] == [(pid("F"), "passed 50 upvotes")]


async def test_a_digest_posted_without_counts_takes_its_first_refresh_s(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    with_threshold(world, 50)
    feed.days[DAY] = day(100, 90, 80, 70, 60, 10)
    await core.poll([DAY])
    clock.now = POSTED
    # Posted by the version before the counts were kept: its payload has none.
    digest = Digest(CH, (DAY,), tuple(store.papers_on([DAY], limit=3)), layout=Layout.COMPACT)
    schedule = Schedule(CH, "digest", size=3)
    payload = core.timed("digest").payload(digest, schedule)
    assert BASELINE not in json.loads(payload)
    await core.deliverer.deliver(DIGEST, digest, payload)
    await poll_at(core, clock, 2 * H, feed, 100, 90, 80, 75, 66, 10)  # D, E above 50 by then
    assert platform.replies == []
    assert list(store.facts(BASELINE_FACT)) == [f"{BASELINE_FACT}{CH.key} digest:{DAY}"]
    await poll_at(core, clock, 3 * H, feed, 100, 90, 80, 80, 70, 51)
    assert [r[1:] for r in platform.replies] == [(pid("F"), "passed 50 upvotes")]
    later = (POSTED + 73 * H).date()
    feed.days[later] = [make_paper("2411.09999", later, 1)]
    await poll_at(core, clock, 73 * H, feed, 100, 90, 80, 80, 70, 51)  # no longer live
    assert store.facts(BASELINE_FACT) == {}


async def test_a_paper_that_climbed_into_the_top_waits_for_the_edit_that_shows_it(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    await post_digest(core, clock)
    await poll_at(core, clock, 10 * M, feed, 120, 80, 60, 40, 10)  # A moved: edit 1
    await poll_at(core, clock, 2 * H, feed, 120, 80, 60, 40, 99)  # E is #2: no edit until 3 h
    assert versions(platform) == [1] and platform.replies == []
    await poll_at(core, clock, 3 * H + 15 * M, feed, 120, 80, 60, 40, 99)
    assert versions(platform) == [1, 2]
    [(message, _)] = platform.posted[:1]
    assert platform.messages[message][1] == (pid("E"), 99)
    assert platform.replies == [(message, pid("E"), "now #2 in this digest")]


async def test_a_climber_waiting_for_an_edit_that_failed_goes_out_after_it(
    world: World, platform: Platform, store: Store
) -> None:
    core, feed, clock = world
    store.save_channel(ChannelSettings(CH))
    await post_digest(core, clock)
    platform.refuse_edits = DeliveryError("internal_error")  # a passing failure
    await poll_at(core, clock, 10 * M, feed, 100, 80, 60, 40, 99)  # E is #2: edit 1 fails
    assert edit_refs(store) == [(f"digest:{DAY}#001", "failed")]
    assert platform.replies == [] and climber_refs(store) == []
    platform.refuse_edits = None
    await poll_at(core, clock, 15 * M, feed, 100, 80, 60, 40, 99)  # the retry, then the climber
    assert versions(platform) == [1]
    assert [r[1:] for r in platform.replies] == [(pid("E"), "now #2 in this digest")]
