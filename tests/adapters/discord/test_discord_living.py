"""The living digest on Discord, with the real discord.py against the fake: a DigestEdit edits
part 1 in place (PATCH), a message that can no longer be edited is a message fault, and a
late climber goes in the digest's thread with a nonce (a reply to the digest where there is no
thread it can use), sent once after a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from adapters.discord.publisher import NONCE_WINDOW, DiscordPublisher
from adapters.discord.render import render_climber, render_digest
from bot.domain import Digest, Layout
from bot.ports import DeliveryError
from tests.adapters.discord.living import (
    climber_tracker,
    compact_digest,
    digest_edit,
    edit_tracker,
    late_climber,
    post_digest,
    ranked,
)
from tests.adapters.discord.publishing import CH, DAY, FORUM_REF, requests_of
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, MEMBER, PAPERS
from tests.fakes.discord_records import SEND_MESSAGES_IN_THREADS
from tests.helpers import tracker_for

discord_fake = discord_fixture.discord_fake

EDIT_ROUTE = "PATCH /channels/{channel_id}/messages/{message_id}"


# --- edits -----------------------------------------------------------------------------------


async def test_an_edit_patches_the_first_message_in_place(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    before = discord_fake.messages_in(PAPERS)
    tracker = edit_tracker()
    edit = digest_edit(posted)
    assert await publisher.publish(edit, tracker) == posted
    [patch] = requests_of(discord_fake, EDIT_ROUTE)
    expected = render_digest(edit.digest)[0]
    assert patch.path == f"/channels/{PAPERS}/messages/{posted}"
    assert patch.body["embeds"] == [e.to_dict() for e in expected.embeds]
    assert patch.body["components"] == expected.components
    assert patch.body["allowed_mentions"] == {"parse": []} and "nonce" not in patch.body
    stored = discord_fake.message(int(posted))
    assert stored.version == 1 and stored.payload["components"] == expected.components
    assert "Paper 2" in stored.embeds[0]["description"].split("\n")[0]  # now ranked first
    assert [m.id for m in discord_fake.messages_in(PAPERS)] == [m.id for m in before]
    assert tracker.events == [("claim", 1), ("sent", 1)] and tracker.ids == {1: posted}


async def test_an_edit_sent_again_after_a_crash_changes_nothing_more(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    hold = discord_fake.hold_answers(f"/messages/{posted}", method="PATCH")
    crashed = asyncio.create_task(publisher.publish(digest_edit(posted), edit_tracker()))
    await hold.wait_arrived()
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    key = edit_tracker().key
    long_ago = datetime.now(UTC) - NONCE_WINDOW * 10
    assert await publisher.find(key, 1, long_ago, None) is None  # never looked for: re-sent
    await publisher.publish(digest_edit(posted), edit_tracker())
    first, second = discord_fake.edits_of(int(posted))
    assert (first.embeds, first.components) == (second.embeds, second.components)
    in_thread = discord_fake.messages_in(int(posted))  # the details, in the list's thread
    assert len(discord_fake.messages_in(PAPERS)) + len(in_thread) == len(
        render_digest(compact_digest())
    )


async def test_an_edit_is_paced_and_waits_out_a_429(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    granted = publisher.pacer.granted
    discord_fake.script_rate_limit(f"/messages/{posted}", method="PATCH", retry_after=0.001)
    tracker = edit_tracker()
    await publisher.publish(digest_edit(posted), tracker)
    assert tracker.events == [("claim", 1), ("refused", 1), ("claim", 1), ("sent", 1)]
    assert publisher.pacer.granted == granted + 2 and publisher.rate_limited == 1


async def test_a_forum_digest_is_edited_in_its_post(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher, FORUM_REF)
    await publisher.publish(digest_edit(posted, FORUM_REF), edit_tracker(FORUM_REF))
    [patch] = requests_of(discord_fake, EDIT_ROUTE)
    assert patch.path == f"/channels/{posted}/messages/{posted}"  # the post's thread has its id
    assert discord_fake.message(int(posted)).version == 1


async def test_an_old_message_past_its_edits_is_a_message_fault(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    discord_fake.rest.old_message_age = 0.0  # it counts as older than an hour
    discord_fake.rest.old_edit_limit = 1
    await publisher.publish(digest_edit(posted), edit_tracker())
    tracker = edit_tracker(version=2)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(digest_edit(posted, version=2), tracker)
    assert raised.value.message_fault and not raised.value.permanent
    assert "can no longer be edited" in str(raised.value) and not raised.value.uncertain
    assert [r.code for r in discord_fake.requests if r.status >= 400] == [30046]
    assert tracker.events == [("claim", 1), ("refused", 1)]


async def test_a_deleted_or_foreign_message_is_a_message_fault_not_a_gone_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    theirs = discord_fake.post_as_user(PAPERS, MEMBER, "a member's message")
    errors = []
    for message_id in ("123456789", str(theirs.id)):
        with pytest.raises(DeliveryError) as raised:
            await publisher.publish(digest_edit(message_id), edit_tracker())
        errors.append(raised.value)
    assert [r.code for r in discord_fake.requests if r.status >= 400] == [10008, 50005]
    assert all(e.message_fault and not e.permanent and not e.workspace_fault for e in errors)


async def test_an_edit_in_a_channel_that_is_gone_is_still_permanent(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    discord_fake.forbid(PAPERS)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(digest_edit(posted), edit_tracker())
    assert raised.value.permanent and not raised.value.message_fault


# --- late climbers ---------------------------------------------------------------------------


async def test_a_climber_goes_in_the_digests_thread_with_its_nonce(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)  # compact: its details are in the thread of its list
    details = len(discord_fake.messages_in(int(posted)))
    tracker = climber_tracker()
    climber_id = await publisher.publish(late_climber(posted), tracker)
    [request] = requests_of(discord_fake, "POST /channels/{channel_id}/messages")[-1:]
    stored = discord_fake.message(int(climber_id))
    expected = render_climber(late_climber(posted))
    assert request.path == f"/channels/{posted}/messages"  # the thread has the digest's id
    assert "message_reference" not in request.body
    assert request.body["nonce"] == tracker.key.token(1) and request.body["enforce_nonce"]
    assert request.body["allowed_mentions"] == {"parse": []}
    assert stored.channel_id == int(posted) and stored.parent_id == PAPERS
    assert stored.content == expected.content and stored.payload["components"] == (
        expected.components
    )
    assert len(discord_fake.messages_in(int(posted))) == details + 1
    assert len(discord_fake.messages_in(PAPERS)) == 1  # the channel still shows the list only
    assert tracker.events == [("claim", 1), ("sent", 1)]


async def test_a_climber_of_a_digest_without_a_thread_is_a_reply_to_it(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    full = Digest(CH, (DAY,), ranked(30, 20, 10), layout=Layout.FULL)  # no thread
    posted = await publisher.publish(full, tracker_for(CH, "digest", DAY.isoformat()))
    tracker = climber_tracker()
    reply_id = await publisher.publish(late_climber(posted), tracker)
    tried, replied = requests_of(discord_fake, "POST /channels/{channel_id}/messages")[-2:]
    assert (tried.path, tried.status, tried.code) == (f"/channels/{posted}/messages", 404, 10003)
    assert replied.path == f"/channels/{PAPERS}/messages"
    assert replied.body["message_reference"] == {"message_id": posted, "fail_if_not_exists": True}
    assert replied.body["nonce"] == tracker.key.token(1)
    assert discord_fake.message(int(reply_id)).channel_id == PAPERS
    assert tracker.events == [("claim", 1), ("refused", 1), ("claim", 1), ("sent", 1)]


async def test_a_climber_the_thread_cannot_take_is_a_reply_to_the_digest(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    details = len(discord_fake.messages_in(int(posted)))
    discord_fake.deny(PAPERS, SEND_MESSAGES_IN_THREADS)  # the thread is there, closed to paperboy
    reply_id = await publisher.publish(late_climber(posted), climber_tracker())
    reply = discord_fake.message(int(reply_id))
    assert reply.channel_id == PAPERS and reply.payload["message_reference"]["message_id"] == posted
    assert len(discord_fake.messages_in(int(posted))) == details
    assert [r.code for r in discord_fake.requests if r.status >= 400] == [50013]


async def test_a_climber_cut_off_by_a_crash_is_sent_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher)
    before = len(discord_fake.messages_in(int(posted)))
    hold = discord_fake.hold_answers(f"/channels/{posted}/messages")
    tracker = climber_tracker()
    crashed = asyncio.create_task(publisher.publish(late_climber(posted), tracker))
    await hold.wait_arrived()
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    since = datetime.now(UTC)
    assert await publisher.find(tracker.key, 1, since, posted) is None  # resend: the nonce
    climber_id = await publisher.publish(late_climber(posted), tracker)
    climbers = discord_fake.messages_in(int(posted))[before:]
    assert [str(m.id) for m in climbers] == [climber_id]
    assert len(discord_fake.messages_in(PAPERS)) == 1


async def test_a_climber_in_a_forum_replies_inside_the_digests_post(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher, FORUM_REF)
    reply_id = await publisher.publish(late_climber(posted, FORUM_REF), climber_tracker(FORUM_REF))
    reply = discord_fake.message(int(reply_id))
    assert reply.channel_id == int(posted) and reply.parent_id == FORUM_CHANNEL
    assert reply.payload["message_reference"]["message_id"] == posted


async def test_a_forum_climber_cut_off_by_a_crash_is_posted_once_in_the_post(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await post_digest(publisher, FORUM_REF)
    before = len(discord_fake.messages_in(int(posted)))
    hold = discord_fake.hold_answers(f"/channels/{posted}/messages")
    tracker = climber_tracker(FORUM_REF)
    crashed = asyncio.create_task(publisher.publish(late_climber(posted, FORUM_REF), tracker))
    await hold.wait_arrived()  # the reply is stored in the post, its answer never comes
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    assert tracker.events == [("claim", 1)] and tracker.parts_sent == 0
    # A reply carries its nonce also in a forum post: not looked for, sent again.
    assert await publisher.find(tracker.key, 1, datetime.now(UTC), posted) is None
    reply_id = await publisher.publish(late_climber(posted, FORUM_REF), tracker)
    replies = discord_fake.messages_in(int(posted))[before:]
    assert [str(m.id) for m in replies] == [reply_id]
    assert replies[0].nonce == tracker.key.token(1)
    assert tracker.events == [("claim", 1), ("claim", 1), ("sent", 1)]


async def test_a_climber_whose_digest_was_deleted_is_dropped_not_posted_on_its_own(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    full = Digest(CH, (DAY,), ranked(30, 20, 10), layout=Layout.FULL)  # no thread: a reply
    posted = await publisher.publish(full, tracker_for(CH, "digest", DAY.isoformat()))
    discord_fake.delete_message(int(posted))
    before = len(discord_fake.messages_in(PAPERS))
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(late_climber(posted), climber_tracker())
    assert raised.value.message_fault and not raised.value.permanent
    replied = requests_of(discord_fake, "POST /channels/{channel_id}/messages")[-1]
    assert replied.body["message_reference"]["fail_if_not_exists"] is True
    assert (replied.status, replied.code) == (400, 50035)
    assert len(discord_fake.messages_in(PAPERS)) == before  # no orphan in the channel
