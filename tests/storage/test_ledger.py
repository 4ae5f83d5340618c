"""The deliveries ledger: owners and leases, parts, uncertainty, holds, give-ups; the posts
sent since a moment and the entries under a ref prefix (the living digest's queries)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import ChannelRef, PostKey
from storage.ledger import MAX_ATTEMPTS
from storage.store import Store
from tests.helpers import at

CH = ChannelRef("slack", "T1", "C1")
NOW = at("2026-11-25 15:00")
LEASE = timedelta(seconds=30)
KEY = PostKey(CH, "digest", "2026-11-25")


def test_a_live_claim_is_exclusive(store: Store) -> None:
    assert store.take_delivery(KEY, "a", NOW, LEASE) is not None
    assert store.take_delivery(KEY, "b", NOW + LEASE / 2, LEASE) is None
    assert store.take_delivery(KEY, "a", NOW, LEASE) is None  # not twice by its owner either


def test_a_claim_whose_lease_ran_out_is_taken_over_with_its_progress(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE, payload='{"x": 1}')
    assert store.mark_in_flight(KEY, "a", NOW, LEASE)
    assert store.mark_part_sent(KEY, "a", 1, "ts1", "ts1")
    assert store.mark_in_flight(KEY, "a", NOW, LEASE)  # part 2 went out, then a crash
    entry = store.take_delivery(KEY, "b", NOW + LEASE * 2, LEASE)
    assert entry is not None
    assert (entry.parts_sent, entry.first_id, entry.thread_id) == (1, "ts1", "ts1")
    assert entry.uncertain and entry.in_flight_since == NOW
    assert entry.payload == '{"x": 1}' and entry.attempts == 0  # a takeover is not a failure


def test_the_old_owner_cannot_write_after_a_takeover(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    store.take_delivery(KEY, "b", NOW + LEASE * 2, LEASE)
    assert not store.mark_in_flight(KEY, "a", NOW + LEASE * 2, LEASE)
    assert not store.mark_part_sent(KEY, "a", 1, "ts1", None)
    assert not store.finish_delivery(KEY, "a", NOW)
    assert store.finish_delivery(KEY, "b", NOW)


def test_renewing_keeps_a_claim_alive(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    assert store.renew_leases("a", NOW + LEASE / 2, LEASE) == 1
    assert store.take_delivery(KEY, "b", NOW + LEASE, LEASE) is None
    assert store.open_deliveries(NOW + LEASE) == []
    assert [e.key for e in store.open_deliveries(NOW + LEASE * 2)] == [KEY]


def test_a_refused_request_clears_the_uncertainty(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    store.mark_in_flight(KEY, "a", NOW, LEASE)
    store.mark_refused(KEY, "a")
    entry = store.take_delivery(KEY, "b", NOW + LEASE * 2, LEASE)
    assert entry is not None and not entry.uncertain


def test_a_failure_keeps_the_uncertainty_for_the_retry(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    store.mark_in_flight(KEY, "a", NOW, LEASE)
    store.fail_delivery(KEY, "a", "timeout", uncertain=True)
    [entry] = store.open_deliveries(NOW)
    assert entry.state == "failed" and entry.uncertain and entry.error == "timeout"


def test_a_finished_post_is_never_taken_again(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    store.finish_delivery(KEY, "a", NOW)
    assert store.take_delivery(KEY, "b", NOW + timedelta(days=1), LEASE) is None
    assert store.delivered(CH, "digest") == ["2026-11-25"]
    assert store.open_deliveries(NOW + timedelta(days=1)) == []


def test_a_post_that_keeps_failing_is_given_up(store: Store) -> None:
    key = PostKey(CH, "alert", "p")
    for _ in range(MAX_ATTEMPTS):
        assert store.take_delivery(key, "a", NOW, LEASE) is not None
        store.fail_delivery(key, "a", "HTTP 500")
    assert store.take_delivery(key, "a", NOW, LEASE) is None
    assert store.open_deliveries(NOW) == []


def test_a_message_fault_gives_up_at_once(store: Store) -> None:
    store.take_delivery(KEY, "a", NOW, LEASE)
    store.fail_delivery(KEY, "a", "invalid_blocks", give_up=True)
    assert store.take_delivery(KEY, "a", NOW, LEASE) is None
    row = store.delivery(CH, "digest", KEY.ref)
    assert row is not None and row["state"] == "abandoned"


def test_a_held_post_waits_for_the_resume_and_is_then_sent(store: Store) -> None:
    assert store.hold_delivery(KEY, NOW, '{"p": 1}')
    assert not store.hold_delivery(KEY, NOW, '{"p": 2}')
    assert store.open_deliveries(NOW) == []
    assert [e.key for e in store.held_deliveries(CH)] == [KEY]
    entry = store.take_delivery(KEY, "a", NOW, LEASE)
    assert entry is not None and entry.payload == '{"p": 1}'


def test_delivered_lists_only_sent_posts(store: Store) -> None:
    for ref in ("2026-11-23", "2026-11-24", "2026-11-25"):
        store.take_delivery(PostKey(CH, "digest", ref), "a", NOW, LEASE)
    store.finish_delivery(PostKey(CH, "digest", "2026-11-23"), "a", NOW)
    store.finish_delivery(PostKey(CH, "digest", "2026-11-24"), "a", NOW)
    assert store.delivered(CH, "digest") == ["2026-11-23", "2026-11-24"]


def test_takeovers_after_crashes_do_not_use_up_a_posts_attempts(store: Store) -> None:
    now = NOW
    attempts = []
    for crash in range(MAX_ATTEMPTS * 2):
        entry = store.take_delivery(KEY, f"process-{crash}", now, LEASE)
        assert entry is not None, f"given up after {crash} crashes"
        attempts.append(entry.attempts)
        now += LEASE * 2  # the owner died; its lease runs out
    assert set(attempts) == {0}


def _sent(store: Store, key: PostKey, when: datetime, message: str = "ts1") -> None:
    store.take_delivery(key, "a", when, LEASE, payload='{"days": []}')
    store.mark_in_flight(key, "a", when, LEASE)
    store.mark_part_sent(key, "a", 1, message, message)
    store.finish_delivery(key, "a", when)


def test_sent_posts_are_those_of_the_kinds_sent_since_oldest_first(store: Store) -> None:
    other = ChannelRef("discord", "G1", "C9")
    _sent(store, PostKey(CH, "digest", "2026-11-24"), NOW - timedelta(days=4))  # too old
    _sent(store, PostKey(other, "weekly", "2026-W47"), NOW + timedelta(hours=2))
    _sent(store, PostKey(CH, "digest", "2026-11-25"), NOW, "ts9")
    _sent(store, PostKey(CH, "alert", "2411.00001"), NOW + timedelta(hours=1))  # another kind
    store.take_delivery(PostKey(CH, "digest", "2026-11-26"), "a", NOW, LEASE)  # not sent
    store.hold_delivery(PostKey(CH, "weekly", "2026-W48"), NOW, None)
    found = store.sent_posts(("digest", "weekly"), NOW)
    assert [(e.key.channel, e.key.ref) for e in found] == [
        (CH, "2026-11-25"),
        (other, "2026-W47"),
    ]
    first = found[0]
    assert first.sent_at == NOW and first.first_id == "ts9" and first.payload == '{"days": []}'
    assert store.sent_posts((), NOW - timedelta(days=9)) == []


def test_posts_under_a_prefix_are_in_ref_order_whatever_their_state(store: Store) -> None:
    for ref in ("digest:2026-11-25#002", "digest:2026-11-25#001", "digest:2026-11-25#003"):
        store.take_delivery(PostKey(CH, "edit", ref), "a", NOW, LEASE)
    store.finish_delivery(PostKey(CH, "edit", "digest:2026-11-25#001"), "a", NOW)
    store.fail_delivery(PostKey(CH, "edit", "digest:2026-11-25#002"), "a", "x", give_up=True)
    # Neighbours that must not match: another digest, another kind, another channel.
    store.take_delivery(PostKey(CH, "edit", "digest:2026-11-2#001"), "a", NOW, LEASE)
    store.take_delivery(PostKey(CH, "edit", "digest:2026-11-250#001"), "a", NOW, LEASE)
    store.take_delivery(PostKey(CH, "climber", "digest:2026-11-25#x"), "a", NOW, LEASE)
    store.take_delivery(
        PostKey(ChannelRef("slack", "T1", "C2"), "edit", "digest:2026-11-25#004"), "a", NOW, LEASE
    )
    found = store.posts_under(CH, "edit", "digest:2026-11-25#")
    assert [(e.key.ref, e.state) for e in found] == [
        ("digest:2026-11-25#001", "sent"),
        ("digest:2026-11-25#002", "abandoned"),
        ("digest:2026-11-25#003", "claimed"),
    ]
    assert len(store.posts_under(CH, "edit", "")) == 5
    assert store.posts_under(CH, "edit", "digest:2026-11-26") == []


def test_posts_under_a_prefix_of_any_characters(store: Store) -> None:
    refs = ["é\U0010ffff", "é\U0010ffffx", "\ud7ffa", "\ud7ff", "z"]
    for ref in refs:
        store.take_delivery(PostKey(CH, "edit", ref), "a", NOW, LEASE)
    assert [e.key.ref for e in store.posts_under(CH, "edit", "é\U0010ffff")] == refs[:2]
    assert [e.key.ref for e in store.posts_under(CH, "edit", "\ud7ff")] == ["\ud7ff", "\ud7ffa"]


def test_posts_under_each_prefix_read_in_one_query_as_one_by_one(store: Store) -> None:
    other = ChannelRef("discord", "G1", "C9")
    refs = [
        (CH, "edit", "digest:2026-11-25#001"),
        (CH, "edit", "digest:2026-11-25#002"),
        (CH, "edit", "digest:2026-11-250#001"),
        (CH, "climber", "digest:2026-11-25:2411.00001"),
        (CH, "climber", "weekly:2026-W48:2411.00002"),
        (other, "edit", "digest:2026-11-25#001"),
        (CH, "edit", "é\U0010ffffx"),
        (CH, "edit", "\ud7ffa"),
    ]
    for ref, kind, key in refs:
        store.take_delivery(PostKey(ref, kind, key), "a", NOW, LEASE)
    store.fail_delivery(PostKey(CH, "edit", "digest:2026-11-25#002"), "a", "x", give_up=True)
    wanted = [
        (CH, "edit", "digest:2026-11-25#"),
        (CH, "climber", "digest:2026-11-25:"),
        (other, "edit", "digest:2026-11-25#"),
        (CH, "climber", "weekly:2026-W48:"),
        (CH, "edit", "digest:2026-11-26#"),
        (CH, "edit", "é\U0010ffff"),
        (CH, "edit", "\ud7ff"),
        (CH, "edit", ""),
    ]
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    found = store.posts_under_each(wanted[:-1])
    store.db.conn.set_trace_callback(None)
    assert sum(s.startswith("WITH wanted") for s in statements) == 1
    assert not any(s.startswith("SELECT * FROM deliveries") for s in statements)
    every = store.posts_under_each(wanted)
    assert every[:-1] == found
    assert every == [store.posts_under(*w) for w in wanted]
    assert [[e.key.ref for e in entries] for entries in found[:3]] == [
        ["digest:2026-11-25#001", "digest:2026-11-25#002"],
        ["digest:2026-11-25:2411.00001"],
        ["digest:2026-11-25#001"],
    ]
    assert found[1][0].state == "claimed" and every[0][1].state == "abandoned"
    assert found[4] == [] and len(every[-1]) == 5  # no prefix: all its edits
    assert store.posts_under_each([]) == []
