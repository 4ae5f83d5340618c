"""A digest's own thread (its forum post, or the thread of its details) deleted or archived, with
the real discord.py against the fake: its edits stop and its climbers are dropped as message
faults, its channel is never paused for it; a climber opens an archived thread again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.errors import delivery_error
from adapters.discord.limits import ARCHIVE_MINUTES
from adapters.discord.publisher import DiscordPublisher
from bot.delivery.living_kinds import GIVEN_UP, message_gone
from bot.domain import LedgerEntry
from bot.ports import ClaimLost, DeliveryError
from tests.adapters.discord import living
from tests.adapters.discord.publishing import CH, DAY, FORUM_REF
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, PAPERS
from tests.helpers import tracker_for

discord_fake = discord_fixture.discord_fake

# A forum post's and a digest thread's auto-archive duration: past it without a message, archived.
ARCHIVED_AFTER = ARCHIVE_MINUTES * 60.0 + 60
LIVE_FOR = 72 * 3600.0  # the living digest is edited for 72 h after it was posted


def _errors(fake: DiscordFake) -> list[tuple[int, int | None]]:
    return [(r.status, r.code) for r in fake.requests if r.status >= 400]


def _a_message_fault(error: DeliveryError) -> bool:
    return error.message_fault and not error.permanent and not error.workspace_fault


async def test_an_edit_of_a_deleted_forum_post_is_a_message_fault_not_a_gone_forum(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    discord_fake.delete_channel(int(posted))  # a moderator deleted the post
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(
            living.digest_edit(posted, FORUM_REF), living.edit_tracker(FORUM_REF)
        )
    assert _a_message_fault(raised.value) and "thread is gone" in str(raised.value)
    assert _errors(discord_fake) == [(404, 10003)]


@pytest.mark.parametrize("kind", ["edit", "climber"])
async def test_a_deleted_forum_post_is_a_gone_digest_for_the_core(
    publisher: DiscordPublisher, discord_fake: DiscordFake, kind: str
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    discord_fake.delete_channel(int(posted))
    post, tracker = (
        (living.digest_edit(posted, FORUM_REF), living.edit_tracker(FORUM_REF))
        if kind == "edit"
        else (living.late_climber(posted, FORUM_REF), living.climber_tracker(FORUM_REF))
    )
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(post, tracker)
    # Given up with this line, the core edits that digest no more and sends it no climber.
    given_up = LedgerEntry(tracker.key, GIVEN_UP, error=str(raised.value))
    assert message_gone(given_up)


async def test_a_climber_of_a_deleted_forum_post_is_dropped_not_a_gone_forum(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    discord_fake.delete_channel(int(posted))
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(
            living.late_climber(posted, FORUM_REF), living.climber_tracker(FORUM_REF)
        )
    assert _a_message_fault(raised.value)
    assert _errors(discord_fake) == [(404, 10003)]
    assert all(m.parent_id != FORUM_CHANNEL for m in discord_fake.messages)


async def test_a_forum_post_deleted_before_its_details_fails_the_digest_not_the_forum(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = tracker_for(FORUM_REF, "digest", DAY.isoformat(), lose_at=2)
    with pytest.raises(ClaimLost):  # part 1 is out when the process stops
        await publisher.publish(living.compact_digest(FORUM_REF), tracker)
    assert tracker.first_id is not None
    discord_fake.delete_channel(int(tracker.first_id))
    tracker.lose_at = None
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(living.compact_digest(FORUM_REF), tracker)
    assert _a_message_fault(raised.value)
    assert _errors(discord_fake) == [(404, 10003)]


async def test_an_edit_of_a_digest_whose_channel_was_deleted_is_still_a_gone_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher)
    discord_fake.delete_channel(PAPERS)  # the channel itself, not a thread of the digest's
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(living.digest_edit(posted), living.edit_tracker())
    assert raised.value.permanent and not raised.value.message_fault
    assert _errors(discord_fake) == [(404, 10003)]


async def test_an_edit_in_an_archived_forum_post_is_a_message_fault_not_a_pause(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    discord_fake.advance(ARCHIVED_AFTER)  # 3 days without a message: the post is archived
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(
            living.digest_edit(posted, FORUM_REF), living.edit_tracker(FORUM_REF)
        )
    assert _a_message_fault(raised.value) and "can no longer be edited" in str(raised.value)
    assert _errors(discord_fake) == [(400, 50083)]
    assert discord_fake.message(int(posted)).version == 0


async def test_a_forum_digest_stays_editable_while_it_lives(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    [start] = [r for r in discord_fake.requests if r.route == "/channels/{channel_id}/threads"]
    assert start.body["auto_archive_duration"] == ARCHIVE_MINUTES == 4320
    discord_fake.advance(LIVE_FOR - 60)  # no message since: a day's default would archive it
    await publisher.publish(living.digest_edit(posted, FORUM_REF), living.edit_tracker(FORUM_REF))
    assert discord_fake.message(int(posted)).version == 1 and _errors(discord_fake) == []


async def test_a_digests_details_thread_stays_open_while_it_lives(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, CH)
    discord_fake.advance(LIVE_FOR - 60)
    assert not discord_fake.world.archived(discord_fake.world.channels[int(posted)])


async def test_a_climber_opens_an_archived_forum_post_again_and_edits_follow(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher, FORUM_REF)
    discord_fake.advance(ARCHIVED_AFTER)
    reply_id = await publisher.publish(
        living.late_climber(posted, FORUM_REF), living.climber_tracker(FORUM_REF)
    )
    assert discord_fake.message(int(reply_id)).channel_id == int(posted)
    await publisher.publish(living.digest_edit(posted, FORUM_REF), living.edit_tracker(FORUM_REF))
    assert discord_fake.message(int(posted)).version == 1 and _errors(discord_fake) == []


async def test_a_climber_goes_in_the_archived_thread_of_a_digests_details(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    posted = await living.post_digest(publisher)  # compact: its details are in its list's thread
    details = len(discord_fake.messages_in(int(posted)))
    discord_fake.advance(ARCHIVED_AFTER)
    reply_id = await publisher.publish(living.late_climber(posted), living.climber_tracker())
    assert discord_fake.message(int(reply_id)).channel_id == int(posted)
    assert len(discord_fake.messages_in(int(posted))) == details + 1
    assert len(discord_fake.messages_in(PAPERS)) == 1 and _errors(discord_fake) == []
    await publisher.publish(
        living.digest_edit(posted), living.edit_tracker()
    )  # the list is in the channel
    assert discord_fake.message(int(posted)).version == 1


def _refusal(status: int, code: int) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="test")
    kind = discord.NotFound if status == 404 else discord.HTTPException  # as discord.py raises
    return kind(response, {"message": "test", "code": code})


@pytest.mark.parametrize(
    ("status", "code", "from_the_channel"),
    [(404, 10003, "permanent"), (400, 50083, "permanent"), (400, 160005, "message_fault")],
    ids=["deleted", "archived", "locked"],
)
def test_a_thread_gone_or_closed_is_the_digests_fault_where_the_request_went_to_it(
    status: int, code: int, from_the_channel: str
) -> None:
    in_thread = delivery_error(_refusal(status, code), in_thread=True)
    assert _a_message_fault(in_thread)
    assert getattr(delivery_error(_refusal(status, code)), from_the_channel)
