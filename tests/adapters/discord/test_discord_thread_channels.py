"""A digest whose channel is itself a thread (a forum post, a member's thread), with the real
discord.py against the fake: no thread is tried there (50024), its details follow in it, a
climber replies to the digest at once; a thread stored as a text channel is learned once."""

from __future__ import annotations

import logging

import pytest

from adapters.discord import threads
from adapters.discord.channel_kinds import TEXT, THREAD
from adapters.discord.publisher import DiscordPublisher
from bot.domain import ChannelRef, Climber, Digest
from tests.adapters.discord.publishing import DAY, long_papers, requests_of
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD
from tests.fakes.discord_records import PUBLIC_THREAD
from tests.helpers import MemoryTracker, tracker_for

discord_fake = discord_fixture.discord_fake

THREADS_ROUTE = "POST /channels/{channel_id}/messages/{message_id}/threads"


def _digest(ref: ChannelRef) -> Digest:
    """A compact digest of 12 papers: its list and two messages of details."""
    return Digest(ref, (DAY,), long_papers(12))


def _tracker(ref: ChannelRef) -> MemoryTracker:
    return tracker_for(ref, "digest", DAY.isoformat())


def _nonces(fake: DiscordFake, channel: int | str) -> list[object]:
    return [m.nonce for m in fake.messages_in(int(channel))]


def _a_thread_channel(fake: DiscordFake) -> ChannelRef:
    """A forum post (a thread already) as a digest's channel."""
    post = fake.world.add_channel(GUILD, 2100, "a post", PUBLIC_THREAD, parent_id=FORUM_CHANNEL)
    return ChannelRef("discord", str(GUILD), str(post.id))


async def test_a_digest_in_a_thread_keeps_its_details_there_trying_no_thread(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    ref = _a_thread_channel(discord_fake)  # its kind learned from its type: a thread
    tracker = _tracker(ref)
    await publisher.publish(_digest(ref), tracker)
    assert requests_of(discord_fake, THREADS_ROUTE) == []  # a thread takes none (50024)
    assert _nonces(discord_fake, ref.channel) == [tracker.key.token(p) for p in (1, 2, 3)]
    assert tracker.thread_id == ref.channel and publisher.kinds.get(ref) == THREAD


async def test_a_thread_known_as_text_is_learned_on_its_first_refusal(
    publisher: DiscordPublisher, discord_fake: DiscordFake, caplog: pytest.LogCaptureFixture
) -> None:
    ref = _a_thread_channel(discord_fake)
    publisher.kinds.set(ref, TEXT)  # as stored before threads were a kind of their own
    with caplog.at_level(logging.INFO, logger=threads.__name__):
        await publisher.publish(_digest(ref), _tracker(ref))
        await publisher.publish(_digest(ref), tracker_for(ref, "digest", "next"))
    [start] = requests_of(discord_fake, THREADS_ROUTE)  # once, not with every digest
    assert (start.status, start.code) == (400, 50024) and publisher.kinds.get(ref) == THREAD
    [line] = [r.getMessage() for r in caplog.records]
    assert "takes no threads" in line and "Create Public Threads" not in line
    assert len(discord_fake.messages_in(int(ref.channel))) == 6


async def test_a_climber_of_a_digest_in_a_thread_replies_to_it_at_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    ref = _a_thread_channel(discord_fake)
    posted = await publisher.publish(_digest(ref), _tracker(ref))
    climber = Climber(ref, long_papers(13)[12], posted, "now #1", "Daily Papers", (DAY,))
    reply = await publisher.publish(climber, tracker_for(ref, "climber", "digest:x"))
    assert discord_fake.message(int(reply)).channel_id == int(ref.channel)
    assert [r.code for r in discord_fake.requests if r.status >= 400] == []  # no 10003 first
