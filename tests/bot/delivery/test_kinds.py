"""What each post kind stores and rebuilds: a digest with its upvotes as posted and the
settings a later version is built with (older payloads still read), an alert with its layout,
an edit and a late climber."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.delivery.deliverer import LEASE
from bot.delivery.kinds import AlertKind, DigestPayload, built_with
from bot.delivery.living_kinds import ClimberKind, EditKind
from bot.domain import (
    Alert,
    ChannelRef,
    Climber,
    Digest,
    DigestEdit,
    Layout,
    LedgerEntry,
    PostKey,
    Schedule,
)
from storage.store import Store
from tests.helpers import Clock, make_paper

CH = ChannelRef("test", "W1", "C1")
DAY = date(2026, 11, 24)


def _entry(kind: str, ref: str, payload: str | None) -> LedgerEntry:
    return LedgerEntry(PostKey(CH, kind, ref), "failed", payload=payload)


class Daily(DigestPayload):
    name = "digest"


def _stored(store: Store) -> Digest:
    papers = (make_paper("2411.00001", DAY, 40), make_paper("2411.00002", DAY, 25))
    store.upsert_papers(papers)
    return Digest(CH, (DAY,), papers, layout=Layout.COMPACT)


def test_a_digest_keeps_its_upvotes_as_posted_and_the_settings_it_was_built_with(
    store: Store,
) -> None:
    digest = _stored(store)
    schedule = Schedule(CH, "digest", size=7, min_upvotes=3, filter="video -survey")
    payload = Daily().payload(digest, schedule)
    store.upsert_papers([make_paper("2411.00001", DAY, 90)])  # it moved since
    rebuilt = Daily().rebuild(store, _entry("digest", DAY.isoformat(), payload))
    assert rebuilt == digest  # shown as it was posted
    again = built_with(json.loads(payload), CH, "digest")
    assert (again.size, again.min_upvotes, again.filter, again.layout) == (
        7,
        3,
        "video -survey",
        Layout.COMPACT,
    )


def test_a_digest_stored_before_layouts_reads_as_the_full_cards_it_was(store: Store) -> None:
    digest = _stored(store)
    old = json.dumps(
        {"days": [DAY.isoformat()], "papers": ["2411.00001"], "notice": None, "title": None}
    )
    rebuilt = Daily().rebuild(store, _entry("digest", DAY.isoformat(), old))
    assert isinstance(rebuilt, Digest)
    assert rebuilt.layout is Layout.FULL and rebuilt.papers == digest.papers[:1]
    settings = built_with(json.loads(old), CH, "digest")
    assert (settings.size, settings.min_upvotes, settings.filter) == (1, 0, None)


def test_an_alert_keeps_its_layout_and_an_old_one_takes_the_channel_s(
    store: Store, clock: Clock
) -> None:
    paper = _stored(store).papers[0]
    alert = Alert(CH, paper, ("video",), layout=Layout.FULL)
    assert (
        AlertKind().rebuild(store, _entry("alert", paper.id, AlertKind().payload(alert))) == alert
    )
    old = _entry("alert", paper.id, json.dumps({"paper": paper.id, "matched": ["video"]}))
    rebuilt = AlertKind().rebuild(store, old)
    assert isinstance(rebuilt, Alert) and rebuilt.layout is Layout.COMPACT  # the default
    store.save_schedule(Schedule(CH, "digest", layout=Layout.FULL), clock())
    rebuilt = AlertKind().rebuild(store, old)
    assert isinstance(rebuilt, Alert) and rebuilt.layout is Layout.FULL


def _posted(store: Store, clock: Clock) -> PostKey:
    key = PostKey(CH, "digest", DAY.isoformat())
    store.take_delivery(key, "a", clock(), LEASE, "{}")
    store.finish_delivery(key, "a", clock())
    return key


def test_an_edit_rebuilds_as_stored_while_its_digest_is_live(store: Store, clock: Clock) -> None:
    of = _posted(store, clock)
    digest = _stored(store)
    edit = DigestEdit(CH, digest, of, "ts1", 2)
    kind = EditKind(clock, timedelta(hours=72))
    entry = _entry("edit", f"digest:{DAY}#002", kind.payload(edit))
    store.upsert_papers([make_paper("2411.00002", DAY, 70)])
    assert kind.rebuild(store, entry) == edit  # the version as built, its upvotes as shown
    clock.advance(hours=72)
    assert kind.rebuild(store, entry) is None  # no edit once the digest is 72 h old


def test_an_edit_of_a_digest_the_ledger_does_not_have_is_dropped(
    store: Store, clock: Clock
) -> None:
    edit = DigestEdit(CH, _stored(store), PostKey(CH, "digest", "2026-11-20"), "ts1", 1)
    kind = EditKind(clock, timedelta(hours=72))
    assert kind.rebuild(store, _entry("edit", "digest:2026-11-20#001", kind.payload(edit))) is None


def test_a_climber_rebuilds_with_its_thread_reason_and_digest_while_that_lives(
    store: Store, clock: Clock
) -> None:
    paper = _stored(store).papers[1]
    climber = Climber(
        CH, paper, "ts1", "passed 50 upvotes", "Weekly top papers", (DAY,), "week 2026-W48"
    )
    kind = ClimberKind(clock, timedelta(hours=72))
    entry = _entry("climber", f"weekly:2026-W48:{paper.id}", kind.payload(climber))
    assert kind.rebuild(store, entry) is None  # the ledger has no such roll-up
    weekly = PostKey(CH, "weekly", "2026-W48")
    store.take_delivery(weekly, "a", clock(), LEASE, "{}")
    store.finish_delivery(weekly, "a", clock())
    assert kind.rebuild(store, entry) == climber
    assert kind.rebuild(store, _entry("climber", "x", None)) is None
    clock.advance(hours=71, minutes=59)
    assert kind.rebuild(store, entry) == climber
    clock.advance(minutes=1)
    assert kind.rebuild(store, entry) is None  # held or retried: not sent once 72 h old


@pytest.mark.parametrize(
    ("kind", "ref", "error"),
    [
        ("edit", f"digest:{DAY}#002", "message_not_found"),  # Slack's chat.update
        ("climber", f"digest:{DAY}:2411.00009", "thread_not_found"),  # a reply in its thread
        (
            "edit",
            f"digest:{DAY}#002",
            "the digest can no longer be edited (NotFound: Unknown Message)",
        ),
    ],
    ids=["slack edit", "slack reply", "discord edit"],
)
def test_nothing_for_a_digest_whose_message_is_gone_is_rebuilt(
    store: Store, clock: Clock, kind: str, ref: str, error: str
) -> None:
    of = _posted(store, clock)
    digest = _stored(store)
    climbers = ClimberKind(clock, timedelta(hours=72))
    climber = Climber(CH, digest.papers[1], "ts1", "now #2 in this digest", "Daily Papers", (DAY,))
    held = _entry("climber", f"digest:{DAY}:{digest.papers[1].id}", climbers.payload(climber))
    edits = EditKind(clock, timedelta(hours=72))
    edit = _entry("edit", f"digest:{DAY}#003", edits.payload(DigestEdit(CH, digest, of, "ts1", 3)))

    def give_up(kind: str, ref: str, error: str) -> None:
        store.take_delivery(PostKey(CH, kind, ref), "a", clock(), LEASE, "{}")
        store.fail_delivery(PostKey(CH, kind, ref), "a", error, give_up=True)

    give_up("edit", f"digest:{DAY}#001", "edit_window_closed")  # frozen: its message is there
    assert climbers.rebuild(store, held) == climber and edits.rebuild(store, edit) is not None
    give_up(kind, ref, error)
    assert climbers.rebuild(store, held) is None
    assert edits.rebuild(store, edit) is None
