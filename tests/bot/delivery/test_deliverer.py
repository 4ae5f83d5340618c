"""The ledger-backed deliverer: confirm, release, resolve after a crash (a reply in its thread;
an edit sent again without asking), pause after repeated or permanent failures, hold while
paused."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from bot.delivery.deliverer import FAILING_FOR, LEASE, MAX_FAILURES, Deliverer, Outcome
from bot.domain import (
    Alert,
    ChannelRef,
    ChannelSettings,
    Climber,
    DatabaseDamaged,
    Digest,
    DigestEdit,
    PostKey,
    Schedule,
)
from bot.ports import DeliveryError, ResolveUnsupported
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, make_paper

CH = ChannelRef("test", "W1", "C1")


def _alert(ref: str = "a") -> tuple[PostKey, Alert]:
    return PostKey(CH, "alert", ref), Alert(CH, make_paper("2411.00001", "2026-11-25"), ("x",))


def _deliverer(
    store: Store, clock: Clock, publisher: ScriptedPublisher, owner: str = "one"
) -> Deliverer:
    return Deliverer(store, {"test": publisher}, clock, owner=owner)


async def test_sent_post_is_confirmed_with_its_message_id(store: Store, clock: Clock) -> None:
    outcome = await _deliverer(store, clock, ScriptedPublisher()).deliver(*_alert())
    row = store.delivery(CH, "alert", "a")
    assert outcome is Outcome.SENT
    assert row is not None and (row["state"], row["message_id"]) == ("sent", "m1")
    assert row["owner"] is None and row["parts_sent"] == 1


async def test_a_sent_post_is_not_sent_again(store: Store, clock: Clock) -> None:
    publisher = ScriptedPublisher()
    deliverer = _deliverer(store, clock, publisher)
    await deliverer.deliver(*_alert())
    assert await deliverer.deliver(*_alert()) is Outcome.ALREADY
    assert len(publisher.posts) == 1


async def test_a_post_owned_by_a_live_process_is_left_to_it(store: Store, clock: Clock) -> None:
    key, alert = _alert()
    store.take_delivery(key, "other", clock(), LEASE)
    publisher = ScriptedPublisher()
    assert await _deliverer(store, clock, publisher).deliver(key, alert) is Outcome.ALREADY
    assert publisher.posts == []


async def test_a_post_that_reached_the_platform_before_a_crash_is_confirmed_not_repeated(
    store: Store,
    clock: Clock,
) -> None:
    publisher = ScriptedPublisher(crash_after=KeyboardInterrupt())
    key, alert = _alert()
    # The process dies after the platform took the message, before the answer.
    with contextlib.suppress(KeyboardInterrupt):
        await _deliverer(store, clock, publisher, owner="dead").deliver(key, alert)
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert (
        await _deliverer(store, clock, publisher, owner="new").deliver(key, alert) is Outcome.SENT
    )
    assert len(publisher.posts) == 1
    row = store.delivery(CH, "alert", "a")
    assert row is not None and (row["state"], row["message_id"]) == ("sent", "m1")


async def test_a_post_that_never_left_before_a_crash_is_sent(store: Store, clock: Clock) -> None:
    key, alert = _alert()
    store.take_delivery(key, "dead", clock(), LEASE)
    store.mark_in_flight(key, "dead", clock(), LEASE)
    clock.advance(minutes=1)
    publisher = ScriptedPublisher()
    assert await _deliverer(store, clock, publisher).deliver(key, alert) is Outcome.SENT
    assert len(publisher.posts) == 1


async def test_a_platform_that_cannot_tell_gets_the_post_again(store: Store, clock: Clock) -> None:
    class Forgetful(ScriptedPublisher):
        async def find(self, *args: object) -> str | None:
            raise ResolveUnsupported("no history scope")

    key, alert = _alert()
    store.take_delivery(key, "dead", clock(), LEASE)
    store.mark_in_flight(key, "dead", clock(), LEASE)
    clock.advance(minutes=1)
    publisher = Forgetful()
    assert await _deliverer(store, clock, publisher).deliver(key, alert) is Outcome.SENT
    assert len(publisher.posts) == 1  # at least once


async def test_an_uncertain_failure_is_resolved_before_the_retry(
    store: Store,
    clock: Clock,
) -> None:
    publisher = ScriptedPublisher(crash_after=DeliveryError("timeout", uncertain=True))
    deliverer = _deliverer(store, clock, publisher)
    key, alert = _alert()
    assert await deliverer.deliver(key, alert) is Outcome.FAILED
    row = store.delivery(CH, "alert", "a")
    assert row is not None and row["state"] == "failed" and row["uncertain"] == 1
    assert await deliverer.deliver(key, alert) is Outcome.SENT
    assert len(publisher.posts) == 1


async def test_a_short_outage_does_not_pause_the_channel(store: Store, clock: Clock) -> None:
    publisher = ScriptedPublisher()
    deliverer = _deliverer(store, clock, publisher)
    for i in range(MAX_FAILURES * 2):
        publisher.failures.append(DeliveryError("500"))
        assert await deliverer.deliver(*_alert(f"p{i}")) is Outcome.FAILED
        clock.advance(minutes=1)
    settings = store.channel(CH)
    assert settings is not None and not settings.paused


async def test_failing_for_an_hour_pauses_the_channel(store: Store, clock: Clock) -> None:
    publisher = ScriptedPublisher()
    deliverer = _deliverer(store, clock, publisher)
    for i in range(MAX_FAILURES):
        publisher.failures.append(DeliveryError("500"))
        await deliverer.deliver(*_alert(f"p{i}"))
        clock.advance(seconds=FAILING_FOR.total_seconds() / (MAX_FAILURES - 1))
    settings = store.channel(CH)
    assert settings is not None and settings.paused and settings.failures == MAX_FAILURES
    assert await deliverer.deliver(*_alert("next")) is Outcome.PAUSED


async def test_a_post_due_while_paused_is_held_for_the_resume(store: Store, clock: Clock) -> None:
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="is_archived"))
    publisher = ScriptedPublisher()
    key, alert = _alert()
    assert (
        await _deliverer(store, clock, publisher).deliver(key, alert, '{"p": 1}') is Outcome.PAUSED
    )
    [held] = store.held_deliveries(CH)
    assert held.key == key and held.payload == '{"p": 1}' and publisher.posts == []


async def test_settings_changed_during_a_send_are_kept(store: Store, clock: Clock) -> None:
    store.save_channel(ChannelSettings(CH))

    class Slow(ScriptedPublisher):
        async def publish(self, post: object, tracker: object) -> str:
            # Someone turns the digest on while this post waits out a rate limit.
            settings = store.channel(CH)
            assert settings is not None
            store.save_schedule(Schedule(CH, "digest", enabled=True, time="07:30"), clock())
            raise DeliveryError("HTTP 500")

    await _deliverer(store, clock, Slow()).deliver(*_alert())
    settings = store.channel(CH)
    assert settings is not None
    schedule = store.schedule(CH, "digest")
    assert schedule is not None and (schedule.enabled, schedule.time) == (True, "07:30")
    assert settings.failures == 1


async def test_a_success_resets_the_failure_count(store: Store, clock: Clock) -> None:
    publisher = ScriptedPublisher(failures=[DeliveryError("500")])
    deliverer = _deliverer(store, clock, publisher)
    await deliverer.deliver(*_alert("a"))
    await deliverer.deliver(*_alert("b"))
    settings = store.channel(CH)
    assert settings is not None and settings.failures == 0


async def test_an_adapter_bug_is_contained_and_released(store: Store, clock: Clock) -> None:
    publisher = ScriptedPublisher(failures=[RuntimeError("oops")])
    deliverer = _deliverer(store, clock, publisher)
    assert await deliverer.deliver(*_alert()) is Outcome.FAILED
    row = store.delivery(CH, "alert", "a")
    assert row is not None and row["state"] == "failed" and "oops" in row["error"]
    assert await deliverer.deliver(*_alert()) is Outcome.SENT


async def test_permanent_failure_pauses_at_once(store: Store, clock: Clock) -> None:
    store.save_channel(ChannelSettings(CH))
    publisher = ScriptedPublisher(failures=[DeliveryError("is_archived", permanent=True)])
    await _deliverer(store, clock, publisher).deliver(*_alert())
    settings = store.channel(CH)
    assert settings is not None and settings.paused and settings.paused_reason == "is_archived"


async def test_the_lease_is_renewed_while_a_post_is_in_flight(store: Store, clock: Clock) -> None:
    import asyncio

    release = asyncio.Event()

    class Waiting(ScriptedPublisher):
        async def publish(self, post: object, tracker: object) -> str:
            await release.wait()
            return await super().publish(post, tracker)  # type: ignore[arg-type]

    deliverer = Deliverer(store, {"test": Waiting()}, clock, owner="one", renew_seconds=0)
    task = asyncio.create_task(deliverer.deliver(*_alert()))
    for _ in range(5):
        await asyncio.sleep(0)
    clock.advance(seconds=LEASE.total_seconds() * 3)
    for _ in range(5):
        await asyncio.sleep(0)  # the renewer runs at this (moved) time
    assert store.open_deliveries(clock() + timedelta(seconds=1)) == []
    release.set()
    assert await task is Outcome.SENT
    await deliverer.aclose()


async def test_a_post_held_by_a_process_that_died_on_this_host_is_taken_over_at_once(
    store: Store,
    clock: Clock,
) -> None:
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that no longer runs
    key, alert = _alert()
    store.take_delivery(key, f"{socket.gethostname()}:{child.pid}:dead", clock(), LEASE)
    publisher = ScriptedPublisher()
    assert await _deliverer(store, clock, publisher).deliver(key, alert) is Outcome.SENT
    assert len(publisher.posts) == 1


async def test_a_post_held_by_a_live_process_elsewhere_waits_for_its_lease(
    store: Store,
    clock: Clock,
) -> None:
    import os

    key, alert = _alert()
    store.take_delivery(key, f"another-host:{os.getpid()}:x", clock(), LEASE)
    assert (
        await _deliverer(store, clock, ScriptedPublisher()).deliver(key, alert) is Outcome.ALREADY
    )


async def test_a_post_begun_before_is_finished_as_it_began_not_as_built_now(
    store: Store,
    clock: Clock,
) -> None:
    from bot.delivery.kinds import AlertKind

    kinds = {"alert": AlertKind()}
    _key, alert = _alert()
    key = PostKey(CH, "alert", alert.paper.id)  # an alert's ref is its paper
    store.upsert_papers([alert.paper], clock())
    began = Alert(CH, alert.paper, ("first query",))
    store.take_delivery(key, "dead", clock(), LEASE, AlertKind().payload(began))
    store.mark_in_flight(key, "dead", clock(), LEASE)  # part 1 may be out
    clock.advance(minutes=1)
    publisher = ScriptedPublisher()
    deliverer = Deliverer(store, {"test": publisher}, clock, owner="new", kinds=kinds)
    fresh = Alert(CH, alert.paper, ("another query",))
    assert await deliverer.deliver(key, fresh, AlertKind().payload(fresh)) is Outcome.SENT
    [post] = publisher.posts
    assert post.item.matched == ("first query",)  # type: ignore[union-attr]


async def test_a_post_nothing_of_which_went_out_is_sent_as_built_now(
    store: Store,
    clock: Clock,
) -> None:
    from bot.delivery.kinds import AlertKind

    _key, alert = _alert()
    key = PostKey(CH, "alert", alert.paper.id)
    store.upsert_papers([alert.paper], clock())
    old = Alert(CH, alert.paper, ("old",))
    store.take_delivery(key, "one", clock(), LEASE, AlertKind().payload(old))
    store.fail_delivery(key, "one", "HTTP 503")  # refused: nothing out
    publisher = ScriptedPublisher()
    deliverer = Deliverer(store, {"test": publisher}, clock, kinds={"alert": AlertKind()})
    new = Alert(CH, alert.paper, ("new",))
    assert await deliverer.deliver(key, new, AlertKind().payload(new)) is Outcome.SENT
    assert publisher.posts[0].item.matched == ("new",)  # type: ignore[union-attr]
    entry = store.delivery(CH, "alert", alert.paper.id)
    assert entry is not None and '"new"' in entry["payload"]


async def test_a_shutdown_mid_send_counts_against_neither_the_post_nor_the_channel(
    store: Store,
    clock: Clock,
) -> None:
    store.save_channel(ChannelSettings(CH))
    publisher = ScriptedPublisher(failures=[DeliveryError("paperboy is stopping", stopping=True)])
    key, alert = _alert()
    assert await _deliverer(store, clock, publisher).deliver(key, alert) is Outcome.FAILED
    row = store.delivery(CH, "alert", "a")
    settings = store.channel(CH)
    assert row is not None and (row["state"], row["attempts"]) == ("failed", 0)
    assert settings is not None and settings.failures == 0


async def test_the_at_least_once_note_is_dropped_once_the_platform_can_tell_again(
    store: Store,
    clock: Clock,
) -> None:
    from bot.delivery.deliverer import AT_LEAST_ONCE

    class Sometimes(ScriptedPublisher):
        blind = True

        async def find(self, *args: object) -> str | None:
            if self.blind:
                raise ResolveUnsupported("no history scope")
            return None

    publisher = Sometimes()
    for ref in ("a", "b"):
        key, _ = _alert(ref)
        store.take_delivery(key, "dead", clock(), LEASE)
        store.mark_in_flight(key, "dead", clock(), LEASE)
    clock.advance(minutes=1)
    deliverer = _deliverer(store, clock, publisher)
    await deliverer.deliver(*_alert("a"))
    assert store.facts(AT_LEAST_ONCE) == {f"{AT_LEAST_ONCE}test:W1": "no history scope"}
    publisher.blind = False  # the scope was granted
    await deliverer.deliver(*_alert("b"))
    assert store.facts(AT_LEAST_ONCE) == {}


async def test_a_damaged_stored_post_is_given_up_without_stopping_the_recovery(
    store: Store,
    clock: Clock,
) -> None:
    from bot.service import Paperboy
    from tests.helpers import StaticFeed

    paper = make_paper("2411.00001", "2026-11-25")
    store.upsert_papers([paper], clock())
    bad, good = PostKey(CH, "alert", paper.id), PostKey(CH, "alert", "2411.00002")
    store.upsert_papers([make_paper("2411.00002", "2026-11-25")], clock())
    store.take_delivery(bad, "dead", clock(), LEASE, "{not json")
    store.take_delivery(good, "dead", clock(), LEASE, '{"paper": "2411.00002", "matched": ["x"]}')
    clock.advance(minutes=1)
    publisher = ScriptedPublisher()
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    assert await core.recover() == {"sent": 1}
    row = store.delivery(CH, "alert", paper.id)
    assert row is not None and row["state"] == "abandoned"


async def test_a_damaged_ledger_stops_the_job_without_a_traceback(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def damaged(*_args: object, **_kwargs: object) -> None:
        raise DatabaseDamaged("the database paperboy.db is damaged")

    monkeypatch.setattr(store, "mark_part_sent", damaged)
    with pytest.raises(DatabaseDamaged):  # the scheduler's job logs it in one line
        await _deliverer(store, clock, ScriptedPublisher()).deliver(*_alert())
    assert not [r for r in caplog.records if r.exc_info]  # not "an adapter bug"


def _climber() -> tuple[PostKey, Climber]:
    paper = make_paper("2411.00003", "2026-11-25")
    climber = Climber(CH, paper, "m1", "now #3 in this digest", "Daily Papers")
    return PostKey(CH, "climber", f"digest:2026-11-25:{paper.id}"), climber


def _edit(store: Store) -> tuple[PostKey, DigestEdit]:
    paper = make_paper("2411.00001", "2026-11-25", 50)
    store.upsert_papers([paper])
    digest = Digest(CH, (paper.day,), (paper,))
    of = PostKey(CH, "digest", "2026-11-25")
    return PostKey(CH, "edit", "digest:2026-11-25#001"), DigestEdit(CH, digest, of, "m1", 1)


class Asking(ScriptedPublisher):
    """Records what `find` was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str | None]] = []

    async def find(
        self, key: PostKey, part: int, since: object, thread_id: str | None
    ) -> str | None:
        self.asked.append((key.kind, thread_id))
        return None


async def test_a_reply_left_uncertain_is_looked_for_in_its_thread(
    store: Store, clock: Clock
) -> None:
    key, climber = _climber()
    store.take_delivery(key, "dead", clock(), LEASE)
    store.mark_in_flight(key, "dead", clock(), LEASE)
    clock.advance(minutes=1)
    publisher = Asking()
    assert await _deliverer(store, clock, publisher).deliver(key, climber) is Outcome.SENT
    assert publisher.asked == [("climber", "m1")]


async def test_an_edit_left_uncertain_is_sent_again_without_asking(
    store: Store, clock: Clock
) -> None:
    key, edit = _edit(store)
    store.take_delivery(key, "dead", clock(), LEASE)
    store.mark_in_flight(key, "dead", clock(), LEASE)
    clock.advance(minutes=1)
    publisher = Asking()
    assert await _deliverer(store, clock, publisher).deliver(key, edit) is Outcome.SENT
    assert publisher.asked == [] and [p.kind for p in publisher.posts] == ["edit"]


async def test_an_edit_the_platform_refuses_for_good_is_given_up_without_blaming_the_channel(
    store: Store, clock: Clock
) -> None:
    store.save_channel(ChannelSettings(CH))
    key, edit = _edit(store)
    refusal = DeliveryError("edit_window_closed", message_fault=True)
    publisher = ScriptedPublisher(failures=[refusal])
    assert await _deliverer(store, clock, publisher).deliver(key, edit) is Outcome.FAILED
    row = store.delivery(CH, "edit", key.ref)
    settings = store.channel(CH)
    assert row is not None and row["state"] == "abandoned"
    assert settings is not None and not settings.paused and settings.failures == 0


async def test_a_recipient_who_takes_no_messages_is_closed_never_a_paused_channel(
    store: Store, clock: Clock
) -> None:
    refusal = DeliveryError("50007 Cannot send messages to this user", recipient_closed=True)
    publisher = ScriptedPublisher(failures=[refusal])
    deliverer = _deliverer(store, clock, publisher)
    assert await deliverer.deliver(*_alert()) is Outcome.CLOSED
    row = store.delivery(CH, "alert", "a")
    settings = store.channel(CH)
    assert row is not None and row["state"] == "abandoned"
    assert settings is None or (not settings.paused and settings.failures == 0)
    assert await deliverer.deliver(*_alert()) is not Outcome.SENT  # given up, not retried
    assert publisher.posts == []
