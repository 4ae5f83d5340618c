"""Replies on the Discord fake (Create Message with a message_reference), with real discord.py."""

from __future__ import annotations

import discord
import pytest

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, PAPERS, RANDOM, started

discord_fake = discord_fixture.discord_fake


async def _channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = await bot.fetch_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_reply_names_the_message_it_answers(discord_fake: DiscordFake) -> None:
    async with started(discord_fake, discord.Client(intents=discord.Intents.none())) as bot:
        channel = await _channel(bot, PAPERS)
        digest = await channel.send("Daily Papers")
        reply = await channel.send("📈 Late climber", reference=digest)
    reference = discord_fake.message(reply.id).payload["message_reference"]
    assert {k: reference[k] for k in ("message_id", "channel_id", "guild_id")} == {
        "message_id": str(digest.id),
        "channel_id": str(PAPERS),
        "guild_id": str(GUILD),
    }
    assert reply.type is discord.MessageType.reply
    assert reply.reference is not None and reply.reference.message_id == digest.id


async def test_a_reply_to_a_missing_message_is_refused_unless_allowed(
    discord_fake: DiscordFake,
) -> None:
    async with started(discord_fake, discord.Client(intents=discord.Intents.none())) as bot:
        elsewhere = await (await _channel(bot, RANDOM)).send("in another channel")
        channel = await _channel(bot, PAPERS)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send("reply", reference=elsewhere)
        gone = discord.MessageReference(
            message_id=elsewhere.id, channel_id=PAPERS, fail_if_not_exists=False
        )
        plain = await channel.send("reply anyway", reference=gone)
    assert refused.value.status == 400 and refused.value.code == 50035
    assert "message_reference" not in discord_fake.message(plain.id).payload
    assert plain.type is discord.MessageType.default
