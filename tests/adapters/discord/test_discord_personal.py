"""A person's own alerts on Discord end to end: the real discord.py client against the
strict fake, the real core on a real database. Notify me too on a posted alert, then each
poll: the match arrives once in the clicker's DMs, not at all while muted, and once they close
their DMs, once as a mention replying to the channel's alert."""

from __future__ import annotations

from datetime import date

from adapters.actions import notify_id
from adapters.discord.adapter import DiscordAdapter
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.clicking import private_answer, text_of
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, MANAGER, MEMBER, PAPERS
from tests.helpers import StaticFeed, make_paper

DAY = date(2026, 11, 25)


async def test_notify_me_too_then_dms_once_none_while_muted_and_a_mention_once_closed(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, discord_core: Paperboy
) -> None:
    feed = StaticFeed({DAY: []})
    discord_core.feed = feed

    async def poll(paper_id: str) -> None:
        feed.days[DAY].append(make_paper(paper_id, DAY, 5, title=f"Mamba {paper_id}"))
        await discord_core.poll([DAY])

    async def typed(user: int, path: list[str], options: dict[str, object]) -> str:
        record = await discord_fake.send_interaction(GUILD, PAPERS, user, "papers", path, options)
        return text_of(await private_answer(record))

    assert "Alert #1 added" in await typed(MANAGER, ["subscribe"], {"query": "mamba"})
    await poll("2611.00001")
    [first] = discord_fake.messages_in(PAPERS)
    click = await discord_fake.click(GUILD, MEMBER, first.id, notify_id((1,)))
    assert "by direct message too" in text_of(await private_answer(click))

    await poll("2611.00002")
    await discord_core.poll([DAY])  # again: nothing new
    [dm] = discord_fake.dms(MEMBER)
    assert "2611.00002" in str(dm.embeds) and "For you" in dm.content

    [interest] = discord_store.interests(str(MEMBER))
    assert "is muted" in await typed(MEMBER, ["mine", "mute"], {"number": interest.id})
    await poll("2611.00003")
    assert len(discord_fake.dms(MEMBER)) == 1
    assert "is on" in await typed(MEMBER, ["mine", "unmute"], {"number": interest.id})

    discord_fake.close_dms(MEMBER)
    await poll("2611.00004")
    await discord_core.poll([DAY])
    assert len(discord_fake.dms(MEMBER)) == 1
    alert, mention = discord_fake.messages_in(PAPERS)[-2:]
    assert "2611.00004" in str(alert.embeds) + str(alert.content)
    assert mention.content.startswith(f"<@{MEMBER}>")
    assert mention.payload["message_reference"]["message_id"] in (alert.id, str(alert.id))
    assert [str(u) for u in mention.payload["allowed_mentions"]["users"]] == [str(MEMBER)]
    assert discord_store.dms_closed("discord", str(GUILD)) == {str(MEMBER)}
    assert "don't reach you" in await typed(MEMBER, ["mine", "show"], {})
