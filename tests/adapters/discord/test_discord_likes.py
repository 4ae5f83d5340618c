""" "Papers like these" on Discord end to end: the real discord.py client against the fake,
the real core on a real database. `/papers subscribe like` makes the alert, a poll posts the
paper like its seed (saying why), and More like this on it offers an alert seeded by it."""

from __future__ import annotations

import re

from adapters.actions import LABELS, LIKE, like_id
from adapters.discord.adapter import DiscordAdapter
from bot.domain import ChannelRef
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.clicking import button_of, private_answer, text_of
from tests.data import similar_papers as sp
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, MANAGER, PAPERS
from tests.helpers import StaticFeed, at

CH = ChannelRef("discord", str(GUILD), str(PAPERS))


async def test_a_similarity_alert_is_made_posted_with_why_and_seeds_another_by_button(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, discord_core: Paperboy
) -> None:
    discord_store.upsert_papers(sp.archive(), at("2026-11-23 10:00"))
    discord_core.feed = StaticFeed({sp.NEW_DAY: sp.new_day()})
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MANAGER, "papers", ["subscribe"], {"query": f"like {sp.SEED}"}
    )
    assert "Alert #1 added: papers like" in text_of(await private_answer(record))

    await discord_core.poll([sp.NEW_DAY])
    [alert] = discord_fake.messages_in(PAPERS)
    shown = str(alert.content) + str(alert.embeds)
    assert sp.LIKE in shown and sp.UNLIKE not in shown
    assert re.search(rf"similar to {sp.SEED}, score 0\.\d\d", shown)

    click = await discord_fake.click(GUILD, MANAGER, alert.id, f"pb:more-like:{sp.LIKE}")
    confirmation = await private_answer(click)
    assert button_of(confirmation, LABELS[LIKE]) == like_id(sp.LIKE)
    again = await discord_fake.click_ephemeral(click, confirmation.message_id, like_id(sp.LIKE))
    assert "Alert #2 added" in text_of(await private_answer(again))
    assert [s.query for s in discord_store.subscriptions(CH)] == [
        f"like {sp.SEED}",
        f"like {sp.LIKE}",
    ]
