"""A compact digest's details in a thread started from its first message, with the real
discord.py against the fake: the thread and its parts, crashes around it, the channels where
no thread can be started, and the full layout that keeps its parts in the channel."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.discord import threads
from adapters.discord.limits import ARCHIVE_MINUTES
from adapters.discord.publisher import DiscordPublisher
from adapters.discord.render import render_digest, thread_name
from bot.domain import ChannelRef, Digest, Layout
from bot.ports import ClaimLost, DeliveryError
from tests.adapters.discord.publishing import CH, DAY, FORUM_REF, long_papers, requests_of
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, PAPERS
from tests.fakes.discord_records import (
    ANNOUNCEMENT_THREAD,
    CREATE_PUBLIC_THREADS,
    NEWS,
    PUBLIC_THREAD,
    SEND_MESSAGES_IN_THREADS,
)
from tests.helpers import MemoryTracker, make_paper, tracker_for

discord_fake = discord_fixture.discord_fake

THREADS_ROUTE = "POST /channels/{channel_id}/messages/{message_id}/threads"


def _digest(ref: ChannelRef = CH, layout: Layout = Layout.COMPACT) -> Digest:
    """A digest of 12 papers: compact, its list and two messages of details."""
    return Digest(ref, (DAY,), long_papers(12), layout=layout)


def _tracker(ref: ChannelRef = CH, **state: object) -> MemoryTracker:
    return tracker_for(ref, "digest", DAY.isoformat(), **state)


def _nonces(fake: DiscordFake, channel: int | str) -> list[object]:
    return [m.nonce for m in fake.messages_in(int(channel))]


async def test_the_details_go_in_a_thread_started_from_the_list(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = _tracker()
    first_id = await publisher.publish(_digest(), tracker)
    [start] = requests_of(discord_fake, THREADS_ROUTE)
    [listed] = discord_fake.messages_in(PAPERS)  # the channel shows the ranked list only
    thread = discord_fake.world.channels[int(first_id)]  # the thread has the list's id
    messages = render_digest(_digest())
    assert [m.in_thread for m in messages] == [False, True, True]
    assert str(listed.id) == first_id and listed.nonce == tracker.key.token(1)
    assert start.path == f"/channels/{PAPERS}/messages/{first_id}/threads"
    assert start.body["name"] == thread_name(_digest())
    assert start.body["auto_archive_duration"] == ARCHIVE_MINUTES == 4320
    assert thread.type == PUBLIC_THREAD and thread.parent_id == PAPERS
    assert _nonces(discord_fake, first_id) == [tracker.key.token(2), tracker.key.token(3)]
    assert [m.embeds for m in discord_fake.messages_in(int(first_id))] == [
        [e.to_dict() for e in m.embeds] for m in messages[1:]
    ]
    assert tracker.thread_id == first_id and tracker.parts_sent == 3
    assert tracker.events == [(e, p) for p in (1, 2, 3) for e in ("claim", "sent")]


async def test_a_list_continued_past_25_papers_stays_in_the_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    many = Digest(CH, (DAY,), tuple(make_paper(f"2411.2{i:04d}", DAY) for i in range(30)))
    messages = render_digest(many)
    tracker = _tracker()
    first_id = await publisher.publish(many, tracker)
    lists = [p for p, m in enumerate(messages, 1) if not m.in_thread]
    assert lists == [1, 2] and len(messages) > 2
    assert _nonces(discord_fake, PAPERS) == [tracker.key.token(p) for p in lists]
    assert _nonces(discord_fake, first_id) == [
        tracker.key.token(p) for p in range(3, len(messages) + 1)
    ]


async def test_a_crash_before_the_thread_was_started_resumes_by_starting_it(
    publisher: DiscordPublisher, discord_fake: DiscordFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_start = threads.start_thread

    async def crash(*args: object, **kwargs: object) -> str | None:
        raise asyncio.CancelledError  # the process dies right before the request

    monkeypatch.setattr(threads, "start_thread", crash)
    tracker = _tracker()
    with pytest.raises(asyncio.CancelledError):
        await publisher.publish(_digest(), tracker)
    [listed] = discord_fake.messages_in(PAPERS)
    assert tracker.parts_sent == 1 and tracker.thread_id == str(listed.id)
    assert int(listed.id) not in discord_fake.world.channels  # no thread yet

    monkeypatch.setattr(threads, "start_thread", real_start)
    assert await publisher.publish(_digest(), tracker) == str(listed.id)
    assert [m.id for m in discord_fake.messages_in(PAPERS)] == [listed.id]
    assert _nonces(discord_fake, listed.id) == [tracker.key.token(2), tracker.key.token(3)]
    assert [r.status for r in requests_of(discord_fake, THREADS_ROUTE)] == [201]


async def test_a_thread_started_before_a_crash_is_taken_as_started(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.hold_answers("/threads", drop=True)  # started, but its answer never comes
    tracker = _tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_digest(), tracker)
    assert not raised.value.uncertain  # the thread is no part: nothing to look for
    first_id = tracker.first_id
    assert first_id is not None and int(first_id) in discord_fake.world.channels
    assert tracker.parts_sent == 1

    await publisher.publish(_digest(), tracker)
    starts = requests_of(discord_fake, THREADS_ROUTE)
    assert [(r.status, r.code) for r in starts][-1] == (400, 160004)  # "already created"
    assert len(discord_fake.messages_in(PAPERS)) == 1
    assert _nonces(discord_fake, first_id) == [tracker.key.token(2), tracker.key.token(3)]


async def test_a_detail_cut_off_in_the_thread_is_posted_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = _tracker(lose_at=2)  # another process takes over once the thread is there
    with pytest.raises(ClaimLost):
        await publisher.publish(_digest(), tracker)
    first_id = tracker.first_id
    assert first_id is not None
    tracker.lose_at = None
    hold = discord_fake.hold_answers(f"/channels/{first_id}/messages")
    crashed = asyncio.create_task(publisher.publish(_digest(), tracker))
    await hold.wait_arrived()  # part 2 is stored in the thread, its answer never comes
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    assert tracker.parts_sent == 1

    await publisher.publish(_digest(), tracker)  # part 2 again, with its nonce, in the thread
    in_thread = discord_fake.messages_in(int(first_id))
    assert [m.nonce for m in in_thread] == [tracker.key.token(2), tracker.key.token(3)]
    assert tracker.parts_sent == 3 and len(discord_fake.messages_in(PAPERS)) == 1


async def test_without_create_public_threads_the_details_follow_in_the_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake, caplog: pytest.LogCaptureFixture
) -> None:
    discord_fake.deny(PAPERS, CREATE_PUBLIC_THREADS)
    tracker = _tracker()
    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        first_id = await publisher.publish(_digest(), tracker)
    [start] = requests_of(discord_fake, THREADS_ROUTE)
    assert (start.status, start.code) == (403, 50013)
    assert _nonces(discord_fake, PAPERS) == [tracker.key.token(p) for p in (1, 2, 3)]
    assert int(first_id) not in discord_fake.world.channels
    assert tracker.thread_id == str(PAPERS)  # the ledger learns where the details went
    assert tracker.events == [(e, p) for p in (1, 2, 3) for e in ("claim", "sent")]
    [line] = caplog.records
    assert "Create Public Threads" in line.getMessage() and "50013" in line.getMessage()


async def test_a_thread_paperboy_may_not_post_in_sends_the_details_to_the_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake, caplog: pytest.LogCaptureFixture
) -> None:
    # A channel that took digests before threads: Send Messages in Threads denied there must
    # not pause it (a 403 on a message is otherwise a channel that is gone).
    discord_fake.deny(PAPERS, SEND_MESSAGES_IN_THREADS)
    tracker = _tracker()
    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        first_id = await publisher.publish(_digest(), tracker)
    assert _nonces(discord_fake, PAPERS) == [tracker.key.token(p) for p in (1, 2, 3)]
    assert discord_fake.messages_in(int(first_id)) == []  # the thread was started, stays empty
    assert [r.code for r in discord_fake.requests if r.status >= 400] == [50013]
    assert tracker.thread_id == str(PAPERS)
    assert tracker.events == [
        ("claim", 1),
        ("sent", 1),
        ("claim", 2),
        ("refused", 2),
        ("claim", 2),
        ("sent", 2),
        ("claim", 3),
        ("sent", 3),
    ]
    [line] = caplog.records
    assert "Send Messages in Threads" in line.getMessage()


async def test_a_fallen_back_digest_resumed_stays_in_the_channel(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.deny(PAPERS, CREATE_PUBLIC_THREADS)
    tracker = _tracker(lose_at=3)
    with pytest.raises(ClaimLost):
        await publisher.publish(_digest(), tracker)
    discord_fake.allow(PAPERS)  # even once it could: the details are not split
    tracker.lose_at = None
    await publisher.publish(_digest(), tracker)
    assert len(requests_of(discord_fake, THREADS_ROUTE)) == 1
    assert _nonces(discord_fake, PAPERS) == [tracker.key.token(p) for p in (1, 2, 3)]


async def test_an_announcement_channel_gets_an_announcement_thread(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    news = discord_fake.world.add_channel(GUILD, 2101, "announcements", NEWS)
    ref = ChannelRef("discord", str(GUILD), str(news.id))
    first_id = await publisher.publish(_digest(ref), _tracker(ref))  # kind learned: one GET
    assert discord_fake.world.channels[int(first_id)].type == ANNOUNCEMENT_THREAD
    assert len(discord_fake.messages_in(news.id)) == 1
    assert len(discord_fake.messages_in(int(first_id))) == 2


async def test_a_forum_digest_keeps_its_details_in_its_post(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = _tracker(FORUM_REF)
    first_id = await publisher.publish(_digest(FORUM_REF), tracker)
    assert requests_of(discord_fake, THREADS_ROUTE) == []  # the post is the thread
    assert len(discord_fake.messages_in(int(first_id))) == 3


async def test_a_full_digest_starts_no_thread(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    full = _digest(layout=Layout.FULL)
    tracker = _tracker()
    await publisher.publish(full, tracker)
    count = len(render_digest(full))
    assert count > 1 and not any(m.in_thread for m in render_digest(full))
    assert requests_of(discord_fake, THREADS_ROUTE) == []
    assert _nonces(discord_fake, PAPERS) == [tracker.key.token(p) for p in range(1, count + 1)]
    assert tracker.thread_id == str(PAPERS)
