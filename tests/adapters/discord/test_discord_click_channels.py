"""Where a click or a typed command counts on Discord, with the real discord.py client against
the fake, the real handlers and a real Store: in the server and channel of its message; in a
forum post, in the forum; in the thread paperboy started from a digest, in the digest's
channel; in a thread of someone else's in a text channel, in that thread, but a click on
paperboy's own post there (and its Undo) in the digest's channel."""

from __future__ import annotations

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.domain import ChannelRef, Climber, Layout
from storage.store import Store
from tests.adapters.discord.clicking import (
    DAY,
    SEEDED,
    post_seeded,
    private_answer,
    text_of,
    undo_of,
)
from tests.adapters.discord.publishing import CH, FORUM_REF
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, MANAGER, MEMBER, PAPERS
from tests.fakes.discord_records import BASIC_MEMBER, PUBLIC_THREAD
from tests.helpers import tracker_for

discord_fake = discord_fixture.discord_fake

ELSEWHERE, ITS_CHANNEL = 1001, 2100  # a second server MEMBER is in too


def _saved(store: Store, ref: ChannelRef) -> list[tuple[str, str]]:
    return [(c.user, c.paper_id) for c in store.clicks(ref)]


async def test_a_click_counts_in_the_server_and_channel_of_its_message(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    discord_fake.add_guild(
        ELSEWHERE,
        "Elsewhere",
        channels={ITS_CHANNEL: {"name": "p"}},
        members={MEMBER: BASIC_MEMBER},
    )
    there = ChannelRef("discord", str(ELSEWHERE), str(ITS_CHANNEL))
    here_message = await post_seeded(adapter, discord_store, CH)
    there_message = await post_seeded(adapter, discord_store, there)
    for guild, message, paper in ((GUILD, here_message, 0), (ELSEWHERE, there_message, 1)):
        record = await discord_fake.click(guild, MEMBER, message, "pb:save", [SEEDED[paper]])
        await private_answer(record)
    assert _saved(discord_store, CH) == [(str(MEMBER), SEEDED[0])]
    assert _saved(discord_store, there) == [(str(MEMBER), SEEDED[1])]


async def test_a_click_in_a_forum_digests_post_counts_in_the_forum(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    post = await post_seeded(adapter, discord_store, FORUM_REF)  # its list is the post's start
    assert discord_fake.message(post).parent_id == FORUM_CHANNEL
    record = await discord_fake.click(GUILD, MEMBER, post, "pb:save", [SEEDED[0]])
    await private_answer(record)
    assert _saved(discord_store, FORUM_REF) == [(str(MEMBER), SEEDED[0])]
    assert discord_store.clicks(ChannelRef("discord", str(GUILD), str(post))) == []


async def test_a_click_on_a_climber_in_a_digests_thread_counts_in_the_digests_channel(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    digest = await post_seeded(adapter, discord_store, CH)  # compact: its details' thread
    paper = discord_store.get_paper(SEEDED[1])
    assert paper is not None
    climber = Climber(CH, paper, str(digest), "now #1", "Daily Papers", (DAY,))
    tracker = tracker_for(CH, "climber", f"digest:{SEEDED[1]}")
    reply = int(await adapter.publisher.publish(climber, tracker))
    assert discord_fake.message(reply).channel_id == digest  # in the thread paperboy started
    record = await discord_fake.click(GUILD, MEMBER, reply, f"pb:save:{SEEDED[1]}")
    await private_answer(record)
    assert _saved(discord_store, CH) == [(str(MEMBER), SEEDED[1])]


@pytest.mark.parametrize("parent", [FORUM_CHANNEL, PAPERS], ids=["forum-post", "text-thread"])
async def test_a_typed_command_in_someone_elses_thread_counts_in_a_forum_not_a_text_channel(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, parent: int
) -> None:
    # A member's forum post, or a member's thread in a text channel: paperboy started neither.
    thread = discord_fake.world.add_channel(
        GUILD, 2200, "a member's thread", PUBLIC_THREAD, parent_id=parent, owner_id=MEMBER
    )
    record = await discord_fake.send_interaction(
        GUILD, thread.id, MANAGER, "papers", ["save"], {"id": SEEDED[0]}
    )
    assert "Saved" in text_of(await private_answer(record))
    counted = parent if parent == FORUM_CHANNEL else thread.id
    [click] = discord_store.clicks(ChannelRef("discord", str(GUILD), str(counted)))
    assert (click.user, click.paper_id) == (str(MANAGER), SEEDED[0])


async def test_a_click_on_paperboys_post_in_a_members_thread_counts_in_the_digests_channel(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    digest = await post_seeded(adapter, discord_store, CH, layout=Layout.FULL)  # no thread
    # A member starts a thread from the digest's message (it has the message's id), so the
    # digest's climber goes in the member's thread.
    discord_fake.world.add_channel(
        GUILD, digest, "about it", PUBLIC_THREAD, parent_id=PAPERS, owner_id=MEMBER
    )
    paper = discord_store.get_paper(SEEDED[1])
    assert paper is not None
    climber = Climber(CH, paper, str(digest), "now #1", "Daily Papers", (DAY,))
    reply = int(
        await adapter.publisher.publish(climber, tracker_for(CH, "climber", f"digest:{SEEDED[1]}"))
    )
    assert discord_fake.message(reply).channel_id == digest
    record = await discord_fake.click(GUILD, MEMBER, reply, f"pb:save:{SEEDED[1]}")
    confirmation = await private_answer(record)
    assert _saved(discord_store, CH) == [(str(MEMBER), SEEDED[1])]
    assert discord_store.clicks(ChannelRef("discord", str(GUILD), str(digest))) == []
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, undo_of(confirmation)
    )
    assert "Took back" in text_of(await private_answer(undo)) and _saved(discord_store, CH) == []


async def test_the_undo_of_a_typed_save_in_a_members_thread_undoes_it_there(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    thread = discord_fake.world.add_channel(
        GUILD, 2200, "a member's thread", PUBLIC_THREAD, parent_id=PAPERS, owner_id=MEMBER
    )
    there = ChannelRef("discord", str(GUILD), str(thread.id))
    record = await discord_fake.send_interaction(
        GUILD, thread.id, MEMBER, "papers", ["save"], {"id": SEEDED[0]}
    )
    confirmation = await private_answer(record)
    assert _saved(discord_store, there) == [(str(MEMBER), SEEDED[0])]
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, undo_of(confirmation)
    )
    assert "Took back" in text_of(await private_answer(undo))
    assert _saved(discord_store, there) == []
