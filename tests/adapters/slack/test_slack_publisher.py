"""SlackPublisher: exactly-once posting, paced to Slack's limits, and finding posts again.

The real slack_sdk client talks to the strict fake; the fake, the pacer and the publisher share
one virtual clock whose sleep only moves it forward, so no test waits on the wall clock.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import date
from typing import Any

import pytest

from adapters.slack import publisher as slack_publisher
from adapters.slack.pacing import CHANNEL_BURST, WORKSPACE_BURST, SlackPacer
from adapters.slack.publisher import CONNECT_RETRIES, RATE_LIMIT_RETRIES, SlackPublisher
from adapters.slack.render import SlackMessage, render_digest
from bot.domain import POST_EVENT_TYPE, Alert, ChannelRef, Digest, PostKey
from bot.ports import ClaimLost, DeliveryError, ResolveUnsupported
from tests.adapters.slack.conftest import LoggingTracker, VirtualTime, make_publisher
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.helpers import MemoryTracker, make_paper, tracker_for

C1 = ChannelRef("slack", "T1", "C1")
C2 = ChannelRef("slack", "T1", "C2")
DAY = date(2026, 11, 26)


def long_digest(channel: ChannelRef = C1, papers: int = 50) -> Digest:
    return Digest(channel, (DAY,), tuple(
        make_paper(f"2411.1{i:04d}", DAY, upvotes=100 - i, title=f"Long paper {i} " * 8,
                   summary="An abstract that goes on and on. " * 160)
        for i in range(papers)
    ))  # fmt: skip


async def crash_after_part_1(
    slack: SlackFake, publisher: SlackPublisher, digest: Digest
) -> tuple[str, MemoryTracker]:
    """Post part 1 of `digest` to C1 and lose the claim on part 2 (a crash); returns part 1's ts
    and the tracker a restart resumes with (part 1 sent, its ts the thread's)."""
    with pytest.raises(ClaimLost):
        await publisher.publish(digest, tracker_for(C1, "digest", DAY.isoformat(), lose_at=2))
    [first] = slack.messages_in("C1")
    resumed = tracker_for(
        C1, "digest", DAY.isoformat(), parts_sent=1, first_id=first.ts, thread_id=first.ts
    )
    return first.ts, resumed


def alert(n: int = 1, channel: ChannelRef = C1) -> Alert:
    return Alert(channel, make_paper(f"2411.0{n:04d}", DAY, title=f"Mamba {n}"), ("mamba",))


def alert_tracker(n: int = 1, channel: ChannelRef = C1, **state: Any) -> MemoryTracker:
    return tracker_for(channel, "alert", f"2411.0{n:04d}", **state)


# ---------------------------------------------------------------------- publishing


async def test_digest_parts_go_out_in_order_with_the_rest_in_the_thread(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    digest = long_digest()
    parts = len(render_digest(digest))
    tracker = tracker_for(C1, "digest", DAY.isoformat())
    first = await publisher.publish(digest, tracker)
    messages = slack.messages_in("C1")
    assert parts >= 3 and len(messages) == parts
    assert messages[0].ts == first == tracker.first_id == tracker.thread_id
    assert messages[0].thread_ts is None
    assert all(m.thread_ts == first for m in messages[1:])
    assert tracker.events == [(event, part) for part in range(1, parts + 1)
                              for event in ("claim", "sent")]  # fmt: skip
    assert [m.metadata for m in messages] == [
        {"event_type": POST_EVENT_TYPE, "event_payload": {
            "kind": "digest", "ref": DAY.isoformat(), "part": part,
            "token": tracker.key.token(part)}}
        for part in range(1, parts + 1)
    ]  # fmt: skip
    assert slack.rate_limited_count == 0 and not slack.missing_fallback


async def test_an_alert_is_one_message_with_its_matched_queries(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    tracker = alert_tracker()
    ts = await publisher.publish(alert(), tracker)
    [message] = slack.messages_in("C1")
    assert message.ts == ts and tracker.events == [("claim", 1), ("sent", 1)]
    assert "matched: mamba" in str(message.blocks) + str(message.text)
    assert message.payload["unfurl_links"] is False and message.payload["unfurl_media"] is False


async def test_resume_posts_only_the_remaining_parts_in_the_same_thread(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    digest = long_digest()
    first, resumed = await crash_after_part_1(slack, publisher, digest)
    assert await publisher.publish(digest, resumed) == first
    messages = slack.messages_in("C1")
    assert len(messages) == len(render_digest(digest))
    assert all(m.thread_ts == first for m in messages[1:])
    assert resumed.events[:2] == [("claim", 2), ("sent", 2)]
    assert [m.metadata["event_payload"]["part"] for m in messages if m.metadata] == list(
        range(1, len(messages) + 1)
    )


async def test_a_failed_continuation_raises_and_the_rest_goes_out_on_resume(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    class GoneAfterPart1(MemoryTracker):
        async def sent(self, part: int, message_id: str, thread_id: str | None = None) -> None:
            await super().sent(part, message_id, thread_id)
            slack.set_channel("T1", "C1", "archived")

    digest = long_digest()
    tracker = GoneAfterPart1(PostKey(C1, "digest", DAY.isoformat()))
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(digest, tracker)
    assert raised.value.permanent and str(raised.value) == "is_archived"
    assert tracker.parts_sent == 1
    assert tracker.events == [("claim", 1), ("sent", 1), ("claim", 2), ("refused", 2)]
    slack.set_channel("T1", "C1", "ok")
    again = tracker_for(
        C1,
        "digest",
        DAY.isoformat(),
        parts_sent=1,
        first_id=tracker.first_id,
        thread_id=tracker.thread_id,
    )
    await publisher.publish(digest, again)
    assert len(slack.messages_in("C1")) == len(render_digest(digest))


async def test_the_rest_of_a_digest_whose_part_1_was_deleted_stops_at_one_stray_part(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    digest = long_digest()
    first, resumed = await crash_after_part_1(slack, publisher, digest)
    slack.reply_to_deleted = "top_level"  # Slack posts a reply to a deleted message in the channel
    slack.delete_message("C1", first)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(digest, resumed)
    assert raised.value.message_fault and str(raised.value).startswith("thread_not_found: ")
    [stray] = slack.messages_in("C1")  # part 2, in the channel; parts 3.. never sent
    assert stray.thread_ts is None and resumed.events == [("claim", 2), ("sent", 2)]


async def test_a_lost_claim_posts_nothing(slack: SlackFake, publisher: SlackPublisher) -> None:
    with pytest.raises(ClaimLost):
        await publisher.publish(alert(), alert_tracker(lose_at=1))
    assert slack.messages == []


# ---------------------------------------------------------------------- find


async def test_find_locates_part_1_in_history_and_part_3_in_its_thread(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    since = vt.since()
    digest = long_digest()
    tracker = tracker_for(C1, "digest", DAY.isoformat())
    first = await publisher.publish(digest, tracker)
    key = tracker.key
    assert await publisher.find(key, 1, since, None) == first
    assert await publisher.find(key, 3, since, first) == tracker.ids[3]
    parts = len(render_digest(digest))
    assert await publisher.find(key, parts + 1, since, first) is None
    other = PostKey(C1, "digest", "2026-11-27")
    assert await publisher.find(other, 1, since, None) is None
    assert await publisher.find(key, 2, since, None) is None  # no thread known: nothing to look in
    assert {c.args.get("include_all_metadata") for c in slack.calls_to("conversations.history")
            } == {"1"}  # fmt: skip


async def test_find_ignores_other_bots_and_messages_before_since(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    key = alert_tracker().key
    since = vt.since()
    slack.add_team("T1", bot_token="xoxb-other", bot_user_id="UOTHER", bot_id="BOTHER")
    other_bot = make_publisher(slack.api_url, vt)
    other_bot.token_for = _token("xoxb-other")
    await other_bot.publish(alert(), alert_tracker())  # the same token, another app's message
    assert len(slack.messages_in("C1")) == 1
    assert await publisher.find(key, 1, since, None) is None
    await publisher.publish(alert(), alert_tracker())
    vt.now += 3600
    assert await publisher.find(key, 1, since, None) == slack.messages_in("C1")[1].ts
    assert await publisher.find(key, 1, vt.since(), None) is None  # posted an hour before


async def test_find_pages_through_a_busy_channel(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    since = vt.since()
    tracker = alert_tracker()
    ts = await publisher.publish(alert(), tracker)
    for n in range(2, 7):
        await publisher.publish(alert(n), alert_tracker(n))
    slack.history_page_cap = 2  # a non-Marketplace app reads a few messages per call
    assert await publisher.find(tracker.key, 1, since, None) == ts
    assert len(slack.calls_to("conversations.history")) == 3


async def test_find_without_the_history_scope_is_unsupported_and_remembered(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.withhold(slack_fixture.BOT_TOKEN, "channels:history")
    key = alert_tracker().key
    with pytest.raises(ResolveUnsupported):
        await publisher.find(key, 1, vt.since(), None)
    assert publisher.history_denied == {"T1"}
    slack.grant(slack_fixture.BOT_TOKEN, "channels:history")
    assert await publisher.find(key, 1, vt.since(), None) is None
    assert publisher.history_denied == set()


async def test_find_in_a_channel_paperboy_may_post_to_but_not_read_cannot_tell(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    # Posting to a public channel needs no membership (chat:write.public); reading it does.
    slack.set_channel("T1", "C1", "not_in_channel")
    with pytest.raises(ResolveUnsupported, match="invite paperboy"):
        await publisher.find(alert_tracker().key, 1, vt.since(), None)


async def test_find_of_a_deleted_thread_is_none(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    key = tracker_for(C1).key
    assert await publisher.find(key, 2, vt.since(), "1796000000.000001") is None


async def test_find_waits_out_a_429_without_a_claim(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.script_rate_limit("C1", method="conversations.history", retry_after=30)
    assert await publisher.find(alert_tracker().key, 1, vt.since(), None) is None
    assert vt.sleeps == [30.0] and publisher.rate_limited["conversations.history"] == 1


# ---------------------------------------------------------------------- uncertain outcomes


@pytest.mark.parametrize("answer", ["error", "non_json", "html", "bad_json", "drop"])
async def test_posted_but_the_answer_failed_is_uncertain_and_found(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime, answer: Any
) -> None:
    since = vt.since()
    slack.script_fault(answer)
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert raised.value.uncertain and not raised.value.permanent
    assert tracker.events == [("claim", 1)]  # neither sent nor refused: the core must look
    [message] = slack.messages_in("C1")  # and it was not sent a second time
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert await publisher.find(tracker.key, 1, since, None) == message.ts


async def test_slacks_own_internal_error_is_uncertain(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.script_fault("error", status=200, error="internal_error")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), alert_tracker())
    assert raised.value.uncertain


@pytest.mark.parametrize("answer", ["non_json", "html", "bad_json"])
@pytest.mark.parametrize("status", [500, 502, 200])
async def test_an_answer_that_is_not_json_is_an_uncertain_failure_not_a_crash(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime, answer: Any, status: int
) -> None:
    slack.script_fault(answer, when="before", status=status)
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert str(raised.value) == f"HTTP {status} (the post may be out)"
    assert raised.value.uncertain and not raised.value.permanent  # looked for, then retried
    assert tracker.events == [("claim", 1)]
    assert await publisher.find(tracker.key, 1, vt.since(), None) is None
    await publisher.publish(alert(), alert_tracker())  # the retry goes out
    assert len(slack.messages_in("C1")) == 1


@pytest.mark.parametrize("answer", ["non_json", "html", "bad_json"])
@pytest.mark.parametrize("status", [500, 200])
async def test_a_history_answer_that_is_not_json_is_an_uncertain_lookup_not_a_crash(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime, answer: Any, status: int
) -> None:
    slack.script_fault(answer, method="conversations.history", when="before", status=status)
    with pytest.raises(DeliveryError) as raised:
        await publisher.find(alert_tracker().key, 1, vt.since(), None)
    assert str(raised.value) == f"conversations.history: HTTP {status}"
    assert raised.value.uncertain and not raised.value.permanent


async def test_a_hung_answer_times_out_as_uncertain_and_is_found(
    slack: SlackFake, vt: VirtualTime
) -> None:
    publisher = make_publisher(slack.api_url, vt, timeout=0.2)
    since = vt.since()
    slack.script_fault("hang")
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert raised.value.uncertain and tracker.events == [("claim", 1)]
    [message] = slack.messages_in("C1")
    assert await publisher.find(tracker.key, 1, since, None) == message.ts


async def test_a_publish_cancelled_mid_request_leaves_a_claim_that_find_resolves(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    since = vt.since()
    slack.script_fault("hang")
    tracker = alert_tracker()
    publishing = asyncio.create_task(publisher.publish(alert(), tracker))
    await slack.wait_for_hang()
    publishing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await publishing
    assert tracker.events == [("claim", 1)]
    assert await publisher.find(tracker.key, 1, since, None) == slack.messages_in("C1")[0].ts


# ---------------------------------------------------------------------- 429s and refusals


async def test_429_gives_the_claim_back_waits_then_posts_once(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.script_rate_limit("C1", times=2, retry_after=3)
    tracker = LoggingTracker(alert_tracker().key, vt)
    await publisher.publish(alert(), tracker)
    assert vt.log == ["claim 1", "refused 1", "sleep 3", "claim 1", "refused 1", "sleep 3",
                      "claim 1", "sent 1"]  # fmt: skip
    assert len(slack.messages_in("C1")) == 1
    assert publisher.rate_limited["chat.postMessage"] == 2 == slack.rate_limited_count


async def test_a_429_storm_gives_up_after_a_bound(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.script_rate_limit("C1", times=RATE_LIMIT_RETRIES + 1, retry_after=0)
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert not raised.value.uncertain and not raised.value.permanent
    assert tracker.events[-1] == ("refused", 1) and slack.messages == []


async def test_revoked_token_is_a_workspace_fault(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.revoke(slack_fixture.BOT_TOKEN)
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert str(raised.value) == "token_revoked"
    assert raised.value.permanent and raised.value.workspace_fault and not raised.value.uncertain
    assert tracker.events == [("claim", 1), ("refused", 1)]


async def test_a_workspace_without_a_token_is_a_workspace_fault(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    tracker = alert_tracker(channel=ChannelRef("slack", "T9", "C9"))
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(channel=tracker.key.channel), tracker)
    assert raised.value.workspace_fault and tracker.events == []


async def test_a_deleted_channel_is_permanent_but_not_the_workspace(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.set_channel("T1", "C1", "not_found")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), alert_tracker())
    assert raised.value.permanent and not raised.value.workspace_fault
    assert not raised.value.message_fault


async def test_a_message_slack_refuses_is_a_message_fault(
    slack: SlackFake, publisher: SlackPublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_publisher, "render_alert", lambda alert: [SlackMessage("x" * 40_001)])
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), alert_tracker())
    assert str(raised.value) == "msg_too_long"
    assert raised.value.message_fault and not raised.value.permanent


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_connection_refused_is_retried_in_place_then_fails(vt: VirtualTime) -> None:
    publisher = make_publisher(f"http://127.0.0.1:{_closed_port()}/api/", vt)
    tracker = alert_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(alert(), tracker)
    assert not raised.value.uncertain  # nothing reached Slack
    assert tracker.events == [("claim", 1), ("refused", 1)] * (CONNECT_RETRIES + 1)
    assert vt.sleeps == [1.0, 2.0, 4.0][:CONNECT_RETRIES]


# ---------------------------------------------------------------------- pacing


async def test_posts_to_one_channel_burst_then_go_one_a_second(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    for n in range(1, 6):
        await publisher.publish(alert(n), LoggingTracker(alert_tracker(n).key, vt))
    assert vt.sleeps == [1.0] * (5 - CHANNEL_BURST)
    # every wait comes before a claim, never between a claim and its post
    assert all(vt.log[i + 1] == "claim 1" for i, entry in enumerate(vt.log)
               if entry.startswith("sleep"))  # fmt: skip
    assert slack.rate_limited_count == 0  # the fake's limits and the pacer's agree


async def test_the_workspace_ceiling_paces_many_channels() -> None:
    vt = VirtualTime()
    pacer = SlackPacer(monotonic=vt, sleep=vt.sleep)
    for n in range(WORKSPACE_BURST + 2):
        await pacer.acquire("T1", f"C{n}")
    assert vt.sleeps == [pytest.approx(1 / pacer.workspace_rate)] * 2


async def test_a_held_channel_does_not_hold_up_another() -> None:
    vt = VirtualTime()
    released = asyncio.Event()
    waits: list[float] = []

    async def gated_sleep(seconds: float) -> None:
        waits.append(seconds)
        await released.wait()
        vt.now += seconds

    pacer = SlackPacer(monotonic=vt, sleep=gated_sleep)
    pacer.hold("T1", "C1", 30)  # C1 just got a 429 with Retry-After: 30
    waiting = asyncio.create_task(pacer.acquire("T1", "C1"))
    await asyncio.sleep(0)
    await asyncio.wait_for(pacer.acquire("T1", "C2"), timeout=1)  # no sleep needed
    assert waits == [30] and not waiting.done()
    released.set()
    await waiting


async def test_two_channels_are_posted_side_by_side(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.set_channel("T1", "C2")
    await asyncio.gather(*(
        publisher.publish(alert(n, channel), alert_tracker(n, channel))
        for channel in (C1, C2) for n in range(1, 4)
    ))  # fmt: skip
    assert len(slack.messages_in("C1")) == len(slack.messages_in("C2")) == 3
    assert slack.rate_limited_count == 0


def _token(value: str) -> Any:
    async def token_for(workspace: str) -> str | None:
        return value

    return token_for
