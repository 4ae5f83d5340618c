"""Edit Message on the Discord fake, driven by the real discord.py client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import pytest

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import (
    APP_ID,
    MEMBER,
    PAPERS,
    RANDOM,
    TOKEN,
    raw,
    started,
)

discord_fake = discord_fixture.discord_fake


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def client(fake: DiscordFake) -> AsyncIterator[discord.Client]:
    """A logged-in, READY discord.py client against `fake`; closed after."""
    async with started(fake, discord.Client(intents=discord.Intents.default())) as bot:
        yield bot


def text_channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_message_edit_replaces_what_is_sent_and_keeps_the_rest(
    discord_fake: DiscordFake,
) -> None:
    async with client(discord_fake) as bot:
        channel = text_channel(bot, PAPERS)
        sent = await channel.send("Daily Papers", embed=discord.Embed(title="10 upvotes"))
        assert sent.edited_at is None
        edited = await sent.edit(embed=discord.Embed(title="25 upvotes"))
        again = await channel.get_partial_message(sent.id).edit(content="Daily Papers (live)")
        fetched = await channel.fetch_message(sent.id)
    assert edited.edited_at is not None and again.edited_at is not None
    assert edited.content == "Daily Papers" and edited.embeds[0].title == "25 upvotes"
    assert again.content == "Daily Papers (live)" and again.embeds[0].title == "25 upvotes"
    assert fetched.edited_at is not None and fetched.content == "Daily Papers (live)"
    stored = discord_fake.message(sent.id)
    assert stored.version == 2 and stored.embeds[0]["title"] == "25 upvotes"
    assert [e.version for e in discord_fake.edits_of(sent.id)] == [1, 2]
    assert len(discord_fake.messages_in(PAPERS)) == 1


async def test_editing_another_authors_message_or_an_unknown_one(
    discord_fake: DiscordFake,
) -> None:
    theirs = discord_fake.post_as_user(PAPERS, MEMBER, "a member's words")
    async with client(discord_fake) as bot:
        channel = text_channel(bot, PAPERS)
        with pytest.raises(discord.Forbidden) as other:
            await channel.get_partial_message(theirs.id).edit(content="x")
        with pytest.raises(discord.NotFound) as unknown:
            await channel.get_partial_message(123456789).edit(content="x")
        ours = await channel.send("ours")
        with pytest.raises(discord.NotFound) as elsewhere:
            await text_channel(bot, RANDOM).get_partial_message(ours.id).edit(content="x")
        fetched = await channel.fetch_message(theirs.id)
    assert other.value.code == 50005
    assert other.value.text == "Cannot edit a message authored by another user"
    assert unknown.value.code == 10008 and elsewhere.value.code == 10008
    assert fetched.author.id == MEMBER and not fetched.author.bot
    assert discord_fake.edits == []


async def test_an_edit_is_validated_like_a_post(discord_fake: DiscordFake) -> None:
    async with client(discord_fake) as bot:
        sent = await text_channel(bot, PAPERS).send("keep me")
        with pytest.raises(discord.HTTPException) as too_long:
            await sent.edit(embed=discord.Embed(description="x" * 4097))
        with pytest.raises(discord.HTTPException) as content:
            await sent.edit(content="y" * 2001)
        with pytest.raises(discord.HTTPException) as empty:
            await sent.edit(content="")
    assert too_long.value.code == 50035 and "embeds.0.description" in too_long.value.text
    assert content.value.code == 50035 and "content" in content.value.text
    assert empty.value.code == 50006
    assert discord_fake.message(sent.id).content == "keep me" and discord_fake.edits == []


async def test_edits_have_their_own_bucket_per_channel(discord_fake: DiscordFake) -> None:
    discord_fake.set_rate_limit(2, 0.5)
    status, posted, post_headers = await raw(
        discord_fake, "POST", f"/channels/{PAPERS}/messages", {"content": "x"}
    )
    path = f"/channels/{PAPERS}/messages/{posted['id']}"
    answers = [await raw(discord_fake, "PATCH", path, {"content": str(i)}) for i in range(3)]
    (s1, body1, h1), (_, _, h2), (s3, body3, h3) = answers
    assert status == 200 and s1 == 200 and body1["edited_timestamp"] is not None
    assert h1["X-RateLimit-Bucket"] != post_headers["X-RateLimit-Bucket"]
    assert h1["X-RateLimit-Bucket"] == h2["X-RateLimit-Bucket"]
    assert (h1["X-RateLimit-Remaining"], h2["X-RateLimit-Remaining"]) == ("1", "0")
    assert s3 == 429 and body3["global"] is False and h3["X-RateLimit-Scope"] == "user"
    other = await raw(discord_fake, "POST", f"/channels/{PAPERS}/messages", {"content": "y"})
    assert other[0] == 200  # posting is not held back by the edit bucket
    assert [e.content for e in discord_fake.edits] == ["0", "1"]


async def test_old_messages_get_30046_after_a_few_edits() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        discord_fixture.configure(fake)
        fake.rest.old_edit_limit = 2
        _, posted, _ = await raw(fake, "POST", f"/channels/{PAPERS}/messages", {"content": "v0"})
        path = f"/channels/{PAPERS}/messages/{posted['id']}"
        for i in range(5):  # the first hour: as many edits as the bucket allows
            clock.now += 60
            assert (await raw(fake, "PATCH", path, {"content": f"young {i}"}))[0] == 200
        clock.now = 100.0 + 3601
        assert (await raw(fake, "PATCH", path, {"content": "old 1"}))[0] == 200
        clock.now += 10
        assert (await raw(fake, "PATCH", path, {"content": "old 2"}))[0] == 200
        clock.now += 10
        status, body, _ = await raw(fake, "PATCH", path, {"content": "old 3"})
        assert (status, body["code"]) == (400, 30046)
        assert body["message"].startswith("Maximum number of edits to messages older than 1 hour")
        assert fake.message(int(posted["id"])).content == "old 2"
        clock.now += 3600  # "Try again later"
        assert (await raw(fake, "PATCH", path, {"content": "old 3"}))[0] == 200
        ages = [round(e.age) for e in fake.edits_of(int(posted["id"]))]
        assert ages[:5] == [60, 120, 180, 240, 300] and len(ages) == 8


async def test_discord_py_surfaces_30046(discord_fake: DiscordFake) -> None:
    discord_fake.rest.old_edit_limit = 0
    discord_fake.rest.old_message_age = -1.0  # every message counts as old
    async with client(discord_fake) as bot:
        sent = await text_channel(bot, PAPERS).send("frozen")
        with pytest.raises(discord.HTTPException) as info:
            await sent.edit(content="never")
    assert (info.value.status, info.value.code) == (400, 30046)
