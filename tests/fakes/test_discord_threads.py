"""The fake's Start Thread from Message, as strict as Discord: the message's id, the parent's
type, Create Public Threads, one thread per message (160004), and messages in the thread;
threads archived after their duration on the fake's clock (no edits then: 50083; a new message
opens them again), deleted threads and channels (10003), and forums that require tags
(40067)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, PAPERS, patch_discord, raw, started
from tests.fakes.discord_records import (
    ANNOUNCEMENT_THREAD,
    CREATE_PUBLIC_THREADS,
    NEWS,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
)

discord_fake = discord_fixture.discord_fake

NAME = {"name": "Daily Papers · 26 Nov 2026", "auto_archive_duration": 1440}


async def _message(fake: DiscordFake, channel: int) -> str:
    status, message, _ = await raw(fake, "POST", f"/channels/{channel}/messages", {"content": "x"})
    assert status == 200
    return str(message["id"])


async def _start(fake: DiscordFake, channel: int, message: str, body: Any = NAME) -> Any:
    return await raw(fake, "POST", f"/channels/{channel}/messages/{message}/threads", body)


async def test_a_thread_from_a_message_has_its_id_and_its_parents_type(
    discord_fake: DiscordFake,
) -> None:
    discord_fake.world.add_channel(GUILD, 2101, "announcements", NEWS)
    answers = []
    for channel in (PAPERS, 2101):
        message = await _message(discord_fake, channel)
        status, thread, _ = await _start(discord_fake, channel, message)
        answers.append((status, thread["id"] == message, thread["type"], thread["parent_id"]))
        assert thread["thread_metadata"]["auto_archive_duration"] == 1440
    assert answers == [
        (201, True, PUBLIC_THREAD, str(PAPERS)),
        (201, True, ANNOUNCEMENT_THREAD, "2101"),
    ]


async def test_a_message_has_one_thread_at_most(discord_fake: DiscordFake) -> None:
    message = await _message(discord_fake, PAPERS)
    await _start(discord_fake, PAPERS, message)
    status, error, _ = await _start(discord_fake, PAPERS, message)
    assert (status, error["code"]) == (400, 160004)
    assert error["message"] == "A thread has already been created for this message"


async def test_starting_a_thread_needs_create_public_threads(discord_fake: DiscordFake) -> None:
    message = await _message(discord_fake, PAPERS)
    discord_fake.deny(PAPERS, CREATE_PUBLIC_THREADS)
    with patch_discord(discord_fake):
        client = discord.Client(intents=discord.Intents.none())
        await client.login(discord_fixture.TOKEN)
        try:
            with pytest.raises(discord.Forbidden) as refused:
                await client.http.start_thread_with_message(
                    PAPERS, int(message), name="x", auto_archive_duration=1440
                )
        finally:
            await client.close()
    _, channel, _ = await raw(discord_fake, "GET", f"/channels/{PAPERS}")
    [overwrite] = channel["permission_overwrites"]  # what the doctor reads
    assert refused.value.code == 50013 and int(message) not in discord_fake.world.channels
    assert int(overwrite["deny"]) == CREATE_PUBLIC_THREADS
    discord_fake.allow(PAPERS)
    assert (await _start(discord_fake, PAPERS, message))[0] == 201


async def test_no_thread_starts_from_a_message_in_a_forum_post_or_a_thread(
    discord_fake: DiscordFake,
) -> None:
    message = await _message(discord_fake, PAPERS)
    await _start(discord_fake, PAPERS, message)
    in_thread = await _message(discord_fake, int(message))
    codes = [
        (await _start(discord_fake, int(message), in_thread))[1]["code"],
        (await _start(discord_fake, FORUM_CHANNEL, "1234"))[1]["code"],
    ]
    status, unknown, _ = await _start(discord_fake, PAPERS, "1234")
    assert codes == [50024, 50024] and (status, unknown["code"]) == (404, 10008)


async def test_a_bad_name_or_archive_duration_is_invalid_form_body(
    discord_fake: DiscordFake,
) -> None:
    message = await _message(discord_fake, PAPERS)
    for body in ({"name": "x" * 101}, {"name": "ok", "auto_archive_duration": 30}, {}):
        status, error, _ = await _start(discord_fake, PAPERS, message, body)
        assert (status, error["code"]) == (400, 50035)
    assert int(message) not in discord_fake.world.channels


async def test_messages_in_a_thread_need_send_messages_in_threads_and_are_kept_there(
    discord_fake: DiscordFake,
) -> None:
    async with started(discord_fake, discord.Client(intents=discord.Intents.default())) as bot:
        papers = bot.get_channel(PAPERS)
        assert isinstance(papers, discord.TextChannel)
        listed = await papers.send("the list")
        thread = await listed.create_thread(name="Daily Papers", auto_archive_duration=1440)
        await thread.send("the details")
        discord_fake.deny(PAPERS, SEND_MESSAGES_IN_THREADS)  # a thread has its parent's
        with pytest.raises(discord.Forbidden) as refused:
            await thread.send("more")
        await papers.send("the channel is still open")
    [detail] = discord_fake.messages_in(thread.id)
    assert thread.id == listed.id and refused.value.code == 50013
    assert (detail.channel_id, detail.parent_id, detail.thread_name) == (
        listed.id,
        PAPERS,
        "Daily Papers",
    )
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == [
        "the list",
        "the channel is still open",
    ]
    assert not discord_fake.world.app_permissions(thread.id) & SEND_MESSAGES_IN_THREADS
    assert discord_fake.world.app_permissions(PAPERS) & VIEW_CHANNEL


async def _archived(fake: DiscordFake, thread: str) -> bool:
    status, channel, _ = await raw(fake, "GET", f"/channels/{thread}")
    assert status == 200
    return bool(channel["thread_metadata"]["archived"])


async def _edit(fake: DiscordFake, thread: int | str, message: str) -> tuple[int, Any]:
    path = f"/channels/{thread}/messages/{message}"
    status, answer, _ = await raw(fake, "PATCH", path, {"content": "edited"})
    return status, answer


async def test_a_thread_is_archived_after_its_duration_and_its_messages_cannot_be_edited(
    discord_fake: DiscordFake,
) -> None:
    message = await _message(discord_fake, PAPERS)
    await _start(discord_fake, PAPERS, message, {"name": "t", "auto_archive_duration": 60})
    detail = await _message(discord_fake, int(message))
    discord_fake.advance(59 * 60)
    assert not await _archived(discord_fake, message)
    assert (await _edit(discord_fake, message, detail))[0] == 200
    discord_fake.advance(60)  # an hour since the last message (an edit is no activity)
    assert await _archived(discord_fake, message)
    status, error = await _edit(discord_fake, message, detail)
    assert (status, error["code"], error["message"]) == (400, 50083, "Thread is archived")
    assert (await _edit(discord_fake, PAPERS, message))[0] == 200  # its parent's message


async def test_a_new_message_opens_an_archived_thread_or_forum_post_again(
    discord_fake: DiscordFake,
) -> None:
    status, post, _ = await raw(
        discord_fake,
        "POST",
        f"/channels/{FORUM_CHANNEL}/threads",
        {"name": "a post", "message": {"content": "first"}},
    )
    assert status == 201 and post["thread_metadata"]["auto_archive_duration"] == 1440
    discord_fake.advance(24 * 3600)
    assert await _archived(discord_fake, post["id"])
    reply = await _message(discord_fake, int(post["id"]))
    assert not await _archived(discord_fake, post["id"])
    assert (await _edit(discord_fake, post["id"], post["id"]))[0] == 200
    assert (await _edit(discord_fake, post["id"], reply))[0] == 200


async def test_a_deleted_thread_or_channel_is_unknown_with_its_messages(
    discord_fake: DiscordFake,
) -> None:
    message = await _message(discord_fake, PAPERS)
    await _start(discord_fake, PAPERS, message)
    await _message(discord_fake, int(message))
    discord_fake.delete_channel(int(message))
    status, error, _ = await raw(
        discord_fake, "POST", f"/channels/{message}/messages", {"content": "x"}
    )
    assert (status, error["code"]) == (404, 10003)
    assert discord_fake.messages_in(int(message)) == [] and discord_fake.messages_in(PAPERS)
    await _start(discord_fake, PAPERS, await _message(discord_fake, PAPERS))
    discord_fake.delete_channel(PAPERS)  # its threads go with it
    assert PAPERS not in discord_fake.world.channels and discord_fake.messages == []
    assert (await _edit(discord_fake, PAPERS, message))[0] == 404


async def test_a_forum_that_requires_tags_refuses_a_post_without_one(
    discord_fake: DiscordFake,
) -> None:
    discord_fake.world.channels[FORUM_CHANNEL].flags = REQUIRE_TAG
    post = {**NAME, "message": {"content": "x"}}
    status, error, _ = await raw(discord_fake, "POST", f"/channels/{FORUM_CHANNEL}/threads", post)
    assert (status, error["code"]) == (400, 40067)
    assert "A tag is required" in error["message"]
    tagged = {**post, "applied_tags": ["1"]}
    status, _, _ = await raw(discord_fake, "POST", f"/channels/{FORUM_CHANNEL}/threads", tagged)
    assert status == 201
    status, forum, _ = await raw(discord_fake, "GET", f"/channels/{FORUM_CHANNEL}")
    assert forum["flags"] == REQUIRE_TAG
