"""The ledger-backed deliverer: confirm, release, pause after repeated or permanent failures."""

from __future__ import annotations

from bot.delivery.deliverer import FAILING_FOR, MAX_FAILURES, Deliverer, Outcome
from bot.domain import ChannelRef, ChannelSettings
from bot.ports import DeliveryError, Publisher
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher

CH = ChannelRef("test", "W1", "C1")


def _deliverer(store: Store, clock: Clock) -> Deliverer:
    # The sends below stand in for the publisher; it only has to exist for the platform.
    return Deliverer(store, {"test": ScriptedPublisher()}, clock)


def _send(errors: list[Exception]):
    async def send(publisher: Publisher) -> str:
        if errors:
            raise errors.pop(0)
        return "msg-1"

    return send


async def test_sent_post_is_confirmed_with_its_message_id(store: Store, clock: Clock) -> None:
    outcome = await _deliverer(store, clock).deliver(CH, "digest", "d1", _send([]))
    row = store.delivery(CH, "digest", "d1")
    assert outcome is Outcome.SENT
    assert row is not None and (row["state"], row["message_id"]) == ("sent", "msg-1")


async def test_a_short_outage_does_not_pause_the_channel(store: Store, clock: Clock) -> None:
    deliverer = _deliverer(store, clock)
    for i in range(MAX_FAILURES * 2):
        outcome = await deliverer.deliver(CH, "alert", f"p{i}", _send([DeliveryError("500")]))
        assert outcome is Outcome.FAILED
        clock.advance(minutes=1)
    settings = store.channel(CH)
    assert settings is not None and not settings.paused


async def test_failing_for_an_hour_pauses_the_channel(store: Store, clock: Clock) -> None:
    deliverer = _deliverer(store, clock)
    for i in range(MAX_FAILURES):
        await deliverer.deliver(CH, "alert", f"p{i}", _send([DeliveryError("500")]))
        clock.advance(seconds=FAILING_FOR.total_seconds() / (MAX_FAILURES - 1))
    settings = store.channel(CH)
    assert settings is not None and settings.paused and settings.failures == MAX_FAILURES
    assert await deliverer.deliver(CH, "alert", "next", _send([])) is Outcome.PAUSED


async def test_settings_changed_during_a_send_are_kept(store: Store, clock: Clock) -> None:
    from dataclasses import replace

    store.save_channel(ChannelSettings(CH))
    deliverer = _deliverer(store, clock)

    async def slow_failure(publisher: Publisher) -> str:
        # Someone turns the digest on while this post waits out a rate limit.
        settings = store.channel(CH)
        assert settings is not None
        store.save_channel(replace(settings, digest_enabled=True, digest_time="07:30"))
        raise DeliveryError("HTTP 500")

    await deliverer.deliver(CH, "alert", "a", slow_failure)
    settings = store.channel(CH)
    assert settings is not None
    assert (settings.digest_enabled, settings.digest_time, settings.failures) == (True, "07:30", 1)


async def test_a_success_resets_the_failure_count(store: Store, clock: Clock) -> None:
    deliverer = _deliverer(store, clock)
    await deliverer.deliver(CH, "alert", "a", _send([DeliveryError("500")]))
    await deliverer.deliver(CH, "alert", "b", _send([]))
    settings = store.channel(CH)
    assert settings is not None and settings.failures == 0


async def test_an_adapter_bug_is_contained_and_released(store: Store, clock: Clock) -> None:
    deliverer = _deliverer(store, clock)
    outcome = await deliverer.deliver(CH, "alert", "a", _send([RuntimeError("oops")]))
    row = store.delivery(CH, "alert", "a")
    assert outcome is Outcome.FAILED
    assert row is not None and row["state"] == "failed" and "oops" in row["error"]
    assert await deliverer.deliver(CH, "alert", "a", _send([])) is Outcome.SENT


async def test_permanent_failure_pauses_at_once(store: Store, clock: Clock) -> None:
    store.save_channel(ChannelSettings(CH))
    deliverer = _deliverer(store, clock)
    await deliverer.deliver(CH, "alert", "a", _send([DeliveryError("is_archived",
                                                                   permanent=True)]))
    settings = store.channel(CH)
    assert settings is not None and settings.paused and settings.paused_reason == "is_archived"
