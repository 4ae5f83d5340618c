"""Sharding: the adapter asks Discord how many shards it needs and serves guilds on each."""

from __future__ import annotations

from pathlib import Path

from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from bot.commands.handlers import Handlers
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_records import BASIC_MEMBER, TEXT
from tests.helpers import Clock, StaticFeed

# Guild ids chosen so that (id >> 22) % 2 puts one on each shard.
GUILD_A, GUILD_B = 1 << 22, 2 << 22


async def test_two_shards_each_answer_their_guilds(tmp_path: Path, clock: Clock) -> None:
    async with DiscordFake(
        token=discord_fixture.TOKEN, application_id=discord_fixture.APP_ID, shard_count=2
    ) as fake:
        for guild, channel in ((GUILD_A, 11), (GUILD_B, 12)):
            fake.add_guild(
                guild,
                f"guild {guild}",
                channels={channel: {"name": "papers", "type": TEXT}},
                members={7: BASIC_MEMBER},
            )
        core = Paperboy(Store(tmp_path / "p.db"), StaticFeed(), {}, clock=clock)
        handlers = Handlers(core)
        adapter = DiscordAdapter(
            DiscordConfig(
                token=discord_fixture.TOKEN,
                api_url=fake.api_base,
                gateway_url=fake.gateway_url,
                guild_ready_timeout=0.1,
            ),
            handlers.run,
            handlers.suggest,
        )
        await adapter.start()
        try:
            await adapter.wait_until_ready(timeout=30)
            assert sorted(i.shard for i in fake.identifies if i.shard) == [(0, 2), (1, 2)]
            for guild, channel in ((GUILD_A, 11), (GUILD_B, 12)):
                record = await fake.send_interaction(guild, channel, 7, "papers", ["status"], {})
                [followup] = await record.wait_followups(1)
                assert "Papers stored: 0" in str(followup.content)
        finally:
            await adapter.stop()
