"""A forum that requires a tag on every post, with the real discord.py client against the fake,
the real core and a real Store: Discord refuses paperboy's post (400 40067), which is the
forum's fault, not the post's, so the forum is paused with Discord's reason and status shows it."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from bot.domain import ChannelSettings
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.publishing import FORUM_REF
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, MANAGER, PAPERS
from tests.fakes.discord_records import REQUIRE_TAG
from tests.helpers import alert_on, make_paper

discord_fake = discord_fixture.discord_fake


async def test_a_forum_that_requires_tags_is_paused_with_its_reason_shown_by_status(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, discord_core: Paperboy
) -> None:
    discord_fake.world.channels[FORUM_CHANNEL].flags = REQUIRE_TAG
    discord_store.save_channel(ChannelSettings(FORUM_REF))
    discord_store.add_subscription(FORUM_REF, "diffusion", "3000", discord_core.clock())
    outcomes = await alert_on(
        discord_core, [make_paper("2411.00010", "2026-11-25", title="Diffusion")]
    )
    assert outcomes == {"failed": 1}
    assert [(r.status, r.code) for r in discord_fake.requests if r.status >= 400] == [(400, 40067)]
    settings = discord_store.channel(FORUM_REF)
    assert settings is not None and settings.paused
    assert "A tag is required" in str(settings.paused_reason)
    record = await discord_fake.send_interaction(GUILD, PAPERS, MANAGER, "papers", ["status"], {})
    await record.callback()
    status = " ".join(str(f.content) + str(f.embeds) for f in await record.wait_followups(1))
    assert f"discord:{GUILD}:{FORUM_CHANNEL}" in status and "A tag is required" in status
