"""SlackPublisher and the living digest: a new version edits part 1 in place (chat.update,
keeping its metadata), a late climber is a reply in the digest's thread, found there again
after a crash. The real slack_sdk client against the strict fake, on a virtual clock."""

from __future__ import annotations

from datetime import date
from typing import cast

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.publisher import SlackPublisher, post_metadata
from adapters.slack.render import render_digest, render_edit
from adapters.slack.sections import TAGS_SEPARATOR
from bot.domain import ChannelRef, Climber, Digest, DigestEdit, PostKey
from bot.ports import DeliveryError
from tests.adapters.slack.conftest import LoggingTracker, VirtualTime
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.fakes.slack_records import ThreadClosed
from tests.helpers import MemoryTracker, make_paper, tracker_for

C1 = ChannelRef("slack", "T1", "C1")
DAY = date(2026, 11, 26)
REF = DAY.isoformat()


def digest(*upvotes: int) -> Digest:
    papers = tuple(
        make_paper(f"2411.0{i:04d}", DAY, upvotes=u, ai_keywords=("diffusion", "video"))
        for i, u in enumerate(upvotes, 1)
    )
    return Digest(C1, (DAY,), tuple(sorted(papers, key=lambda p: -p.upvotes)))


async def posted(publisher: SlackPublisher) -> tuple[Digest, str, PostKey]:
    first = digest(30, 20, 10)
    tracker = tracker_for(C1, "digest", REF)
    ts = await publisher.publish(first, tracker)
    return first, ts, tracker.key


def edit_of(key: PostKey, ts: str, now: Digest, version: int = 1) -> DigestEdit:
    return DigestEdit(C1, now, key, ts, version)


def edit_tracker(version: int = 1, **state: object) -> MemoryTracker:
    return tracker_for(C1, "edit", f"digest:{REF}#{version:03d}", **state)


# ---------------------------------------------------------------------- edits


async def test_a_new_version_edits_part_1_in_place_keeping_its_metadata(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, key = await posted(publisher)
    parts = len(slack.messages_in("C1"))
    now = digest(30, 20, 45)  # the third paper climbed to the top
    tracker = edit_tracker()
    assert await publisher.publish(edit_of(key, ts, now), tracker) == ts
    assert tracker.events == [("claim", 1), ("sent", 1)] and tracker.ids == {1: ts}
    [edit] = slack.edits_of("C1", ts)
    message = slack.message("C1", ts)
    expected = render_edit(edit_of(key, ts, now))
    assert message.blocks == expected.blocks == render_digest(now)[0].blocks
    assert message.text == expected.text and message.version == 1
    assert message.metadata == post_metadata(key, 1) == edit.metadata  # `find` still knows it
    assert "*1. <https://huggingface.co/papers/2411.00003|" in message.blocks[1]["text"]["text"]
    assert f"diffusion{TAGS_SEPARATOR}video" in message.blocks[1]["text"]["text"]
    assert len(slack.messages_in("C1")) == parts  # nothing posted, the thread untouched
    web = AsyncWebClient(token=slack_fixture.BOT_TOKEN, base_url=slack.api_url)
    history = await web.conversations_history(channel="C1")
    [shown] = [m for m in history["messages"] if m["ts"] == ts]
    assert shown["edited"]["user"] == "UBOTT1" and shown["blocks"] == expected.blocks


async def test_an_edit_already_recorded_is_not_sent_again(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, key = await posted(publisher)
    done = edit_tracker(parts_sent=1, first_id=ts)
    assert await publisher.publish(edit_of(key, ts, digest(1, 2, 3)), done) == ts
    assert slack.edits == [] and done.events == []


async def test_an_edit_is_never_looked_for(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    calls = len(slack.calls)
    assert await publisher.find(edit_tracker().key, 1, vt.since(), None) is None
    assert len(slack.calls) == calls  # the deliverer sends it again: that changes nothing


@pytest.mark.parametrize("error", ["message_not_found", "edit_window_closed"])
async def test_a_message_that_can_no_longer_be_edited_is_a_message_fault(
    slack: SlackFake, publisher: SlackPublisher, error: str
) -> None:
    _, ts, key = await posted(publisher)
    target = ts
    if error == "message_not_found":
        target = "1796000999.000001"
    else:
        slack.script_fault("error", method="chat.update", when="before", status=200, error=error)
    tracker = edit_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(edit_of(key, target, digest(3, 2, 1)), tracker)
    assert str(raised.value) == error
    assert raised.value.message_fault and not raised.value.permanent
    assert not raised.value.uncertain and not raised.value.workspace_fault
    assert tracker.events == [("claim", 1), ("refused", 1)] and slack.edits == []


async def test_someone_elses_message_cannot_be_edited(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, _, key = await posted(publisher)
    theirs = slack.post_as_user("T1", "C1", "UMEMBER", "hello")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(edit_of(key, theirs.ts, digest(3)), edit_tracker())
    assert str(raised.value) == "cant_update_message" and raised.value.message_fault


async def test_a_429_on_chat_update_is_waited_out_through_the_pacer(
    slack: SlackFake, vt: VirtualTime, publisher: SlackPublisher
) -> None:
    _, ts, key = await posted(publisher)
    slack.script_rate_limit("C1", method="chat.update", times=2, retry_after=7)
    vt.now += 10  # the channel's posting bucket is full again
    vt.log.clear()
    tracker = LoggingTracker(edit_tracker().key, vt)
    await publisher.publish(edit_of(key, ts, digest(5, 50, 9)), tracker)
    assert vt.log == ["claim 1", "refused 1", "sleep 7", "claim 1", "refused 1", "sleep 7",
                      "claim 1", "sent 1"]  # fmt: skip
    assert publisher.rate_limited["chat.update"] == 2 and len(slack.edits_of("C1", ts)) == 1


async def test_an_edit_whose_answer_is_lost_is_uncertain(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, key = await posted(publisher)
    slack.script_fault("drop", method="chat.update")
    tracker = edit_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(edit_of(key, ts, digest(5, 50, 9)), tracker)
    assert raised.value.uncertain and tracker.events == [("claim", 1)]
    await publisher.publish(edit_of(key, ts, digest(5, 50, 9)), edit_tracker())  # sent again
    assert [e.version for e in slack.edits_of("C1", ts)] == [1, 2]
    assert slack.edits[0].blocks == slack.edits[1].blocks  # the same content: nothing changed


# ---------------------------------------------------------------------- climbers


def climber(ts: str) -> Climber:
    paper = make_paper("2411.09999", DAY, upvotes=70, title="A late climber")
    return Climber(C1, paper, ts, "now #1 in this digest", "Daily Papers", (DAY,))


def climber_tracker(**state: object) -> MemoryTracker:
    return tracker_for(C1, "climber", f"digest:{REF}:2411.09999", **state)


async def test_a_climber_is_one_reply_in_the_digests_thread(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, _ = await posted(publisher)
    tracker = climber_tracker()
    reply = await publisher.publish(climber(ts), tracker)
    message = slack.messages_in("C1")[-1]
    assert message.ts == reply != ts and message.thread_ts == ts
    assert (tracker.first_id, tracker.thread_id) == (reply, ts)
    assert message.metadata == post_metadata(tracker.key, 1)
    assert message.blocks is not None
    assert message.blocks[0]["text"]["text"] == "📈 *Late climber* · now #1 in this digest"
    assert message.blocks[-1]["elements"][0]["value"] == "pb:save:2411.09999"


async def test_a_climber_lost_in_a_crash_is_found_in_the_thread(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    _, ts, _ = await posted(publisher)
    since = vt.since()
    slack.script_fault("drop")
    tracker = climber_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(climber(ts), tracker)
    assert raised.value.uncertain and tracker.events == [("claim", 1)]
    reply = slack.messages_in("C1")[-1]
    assert await publisher.find(tracker.key, 1, since, ts) == reply.ts
    assert await publisher.find(tracker.key, 1, since, None) is None  # not in the channel itself
    assert slack.calls_to("conversations.replies")[0].args["ts"] == ts


async def test_a_climber_after_its_thread_was_deleted_is_not_found(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    assert await publisher.find(climber_tracker().key, 1, vt.since(), "1796000000.000009") is None


async def test_a_climber_to_a_deleted_digest_is_a_message_fault(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, _ = await posted(publisher)
    slack.delete_message("C1", ts)
    before = len(slack.messages)
    tracker = climber_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(climber(ts), tracker)
    assert str(raised.value) == "thread_not_found"
    assert raised.value.message_fault and not raised.value.permanent
    assert not raised.value.uncertain and not raised.value.workspace_fault
    assert tracker.events == [("claim", 1), ("refused", 1)] and len(slack.messages) == before


@pytest.mark.parametrize(
    "refusal",
    [
        "restricted_action_thread_locked",  # an admin locked the digest's thread
        "cannot_reply_to_message",  # its parent cannot have replies
        "restricted_action_non_threadable_channel",  # the channel takes no thread replies
    ],
)
async def test_a_climber_its_thread_refuses_is_a_message_fault_not_the_channels(
    slack: SlackFake, publisher: SlackPublisher, refusal: str
) -> None:
    _, ts, _ = await posted(publisher)
    if refusal == "restricted_action_non_threadable_channel":
        slack.script_fault("error", when="before", status=200, error=refusal)
    else:
        slack.close_thread("C1", ts, cast(ThreadClosed, refusal))
    before = len(slack.messages)
    tracker = climber_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(climber(ts), tracker)
    assert str(raised.value) == refusal
    assert raised.value.message_fault and not raised.value.permanent
    assert not raised.value.uncertain and not raised.value.workspace_fault
    assert tracker.events == [("claim", 1), ("refused", 1)] and len(slack.messages) == before
    # The channel itself still takes posts.
    assert await publisher.publish(digest(5), tracker_for(C1, "digest", "2026-11-27"))


async def test_a_climber_slack_posts_in_the_channel_instead_is_kept_and_a_message_fault(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    _, ts, _ = await posted(publisher)
    slack.reply_to_deleted = "top_level"
    slack.delete_message("C1", ts)
    tracker = climber_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(climber(ts), tracker)
    [stray] = [m for m in slack.messages_in("C1") if m.thread_ts is None]
    assert str(raised.value).startswith("thread_not_found: ") and stray.ts in str(raised.value)
    assert raised.value.message_fault and not raised.value.permanent
    assert not raised.value.uncertain and not raised.value.workspace_fault
    # Recorded as out: sending the climber again (a retry, a recovery) posts nothing more.
    assert tracker.events == [("claim", 1), ("sent", 1)] and tracker.first_id == stray.ts
    assert await publisher.publish(climber(ts), tracker) == stray.ts
    assert [m.ts for m in slack.messages_in("C1") if m.thread_ts is None] == [stray.ts]
