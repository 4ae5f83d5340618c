"""Button clicks on the Discord fake, answered by real discord.py views and dynamic items."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
import pytest

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake, DiscordFakeError
from tests.fakes.discord_fixture import GUILD, MANAGER, MEMBER, PAPERS, started

discord_fake = discord_fixture.discord_fake
PAPER = "2411.00001"


TEMPLATE = r"pb:(?P<action>save|nr|more):(?P<paper>[0-9.]+)"


class PaperButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=TEMPLATE):
    """What paperboy's buttons look like: the action and the paper live in the custom_id."""

    def __init__(self, action: str, paper: str) -> None:
        super().__init__(discord.ui.Button(label=action.title(), custom_id=f"pb:{action}:{paper}"))
        self.action, self.paper = action, paper

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperButton:
        return cls(match["action"], match["paper"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, ClickBot)
        client.clicks.append((self.action, self.paper, interaction.user.id))
        await asyncio.sleep(client.delay)
        try:
            if client.mode == "ephemeral":
                await interaction.response.send_message(f"Saved {self.paper}", ephemeral=True)
            elif client.mode == "update":
                await interaction.response.edit_message(content=f"Saved by {interaction.user.id}")
            elif client.mode == "defer":
                await interaction.response.defer()
                await interaction.edit_original_response(content="updated after a defer")
                await interaction.followup.send("Undo?", ephemeral=True)
        except discord.HTTPException as exc:
            client.errors.append(exc)


class ClickBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.clicks: list[tuple[str, str, int]] = []
        self.errors: list[discord.HTTPException] = []
        self.mode = "ephemeral"
        self.delay = 0.0

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PaperButton)


def paper_view(paper: str = PAPER) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("save", "nr", "more"):
        view.add_item(PaperButton(action, paper))
    return view


@asynccontextmanager
async def running(fake: DiscordFake) -> AsyncIterator[ClickBot]:
    async with started(fake, ClickBot()) as bot:
        yield bot


async def post_digest(bot: ClickBot) -> discord.Message:
    channel = bot.get_channel(PAPERS)
    assert isinstance(channel, discord.TextChannel)
    return await channel.send("Daily Papers", view=paper_view())


async def test_a_dynamic_item_answers_a_click_with_an_ephemeral_reply(
    discord_fake: DiscordFake,
) -> None:
    async with running(discord_fake) as bot:
        sent = await post_digest(bot)
        record = await discord_fake.click(GUILD, MEMBER, sent.id, f"pb:save:{PAPER}")
        callback = await record.callback()
    assert bot.clicks == [("save", PAPER, MEMBER)]
    assert record.type == 3 and record.payload["data"] == {
        "custom_id": f"pb:save:{PAPER}", "component_type": 2,
    }  # fmt: skip
    assert record.payload["message"]["id"] == str(sent.id)
    assert (callback.type, callback.ephemeral) == (4, True) and callback.elapsed < 3
    assert [m.id for m in discord_fake.messages_in(PAPERS)] == [sent.id]  # ephemeral: not kept


async def test_update_message_edits_the_clicked_message(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        bot.mode = "update"
        sent = await post_digest(bot)
        record = await discord_fake.click(GUILD, MEMBER, sent.id, f"pb:nr:{PAPER}")
        callback = await record.callback()
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        fetched = await channel.fetch_message(sent.id)
    assert callback.type == 7
    stored = discord_fake.message(sent.id)
    assert stored.content == f"Saved by {MEMBER}" and stored.version == 1
    assert len(stored.payload["components"]) == 1  # the buttons stay (not sent: kept)
    assert fetched.edited_at is not None and fetched.content == f"Saved by {MEMBER}"
    (edit,) = discord_fake.edits_of(sent.id)
    assert edit.content == f"Saved by {MEMBER}"


async def test_deferred_update_then_edit_original_and_an_ephemeral_followup(
    discord_fake: DiscordFake,
) -> None:
    async with running(discord_fake) as bot:
        bot.mode = "defer"
        sent = await post_digest(bot)
        record = await discord_fake.click(GUILD, MEMBER, sent.id, f"pb:more:{PAPER}")
        callback = await record.callback()
        followups = await record.wait_followups(2)
    assert callback.type == 6 and bot.errors == []
    edit, undo = followups
    assert (edit.method, edit.message_id) == ("PATCH", sent.id)
    assert (undo.method, undo.ephemeral, undo.content) == ("POST", True, "Undo?")
    stored = discord_fake.message(sent.id)
    assert stored.content == "updated after a defer" and stored.author_id == bot.user.id  # type: ignore[union-attr]
    assert [m.id for m in discord_fake.messages_in(PAPERS)] == [sent.id]


async def test_a_late_answer_gets_10062(discord_fake: DiscordFake) -> None:
    discord_fake.interaction_deadline = 0.1
    async with running(discord_fake) as bot:
        bot.delay = 0.3
        sent = await post_digest(bot)
        record = await discord_fake.click(GUILD, MEMBER, sent.id, f"pb:save:{PAPER}")
        async with asyncio.timeout(3):
            while not bot.errors:
                await asyncio.sleep(0.01)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    assert record.callback_record is None
    assert discord_fake.hub.late_callbacks[0][0] == record.id


async def test_a_persistent_view_survives_a_restart(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        sent = await post_digest(bot)
    async with running(discord_fake) as restarted:  # a new process: only the dynamic item
        record = await discord_fake.click(GUILD, MEMBER, sent.id, f"pb:save:{PAPER}")
        await record.callback()
    assert restarted.clicks == [("save", PAPER, MEMBER)] and bot.clicks == []


async def test_a_member_of_another_guild_and_missing_buttons(discord_fake: DiscordFake) -> None:
    discord_fake.add_guild(1001, "Elsewhere", channels={2100: {"name": "p"}}, members={3999: 0})
    async with running(discord_fake) as bot:
        ours = await post_digest(bot)
        channel = bot.get_channel(2100)
        assert isinstance(channel, discord.TextChannel)
        theirs = await channel.send("Daily Papers", view=paper_view())
        record = await discord_fake.click(1001, 3999, theirs.id, f"pb:save:{PAPER}")
        await record.callback()
        with pytest.raises(DiscordFakeError, match="cannot see"):
            await discord_fake.click(1001, 3999, ours.id, f"pb:save:{PAPER}")
        with pytest.raises(DiscordFakeError, match="no button"):
            await discord_fake.click(GUILD, MEMBER, ours.id, "pb:save:9999.99999")
        with pytest.raises(DiscordFakeError, match="no message"):
            await discord_fake.click(GUILD, MEMBER, 123, f"pb:save:{PAPER}")
    assert record.payload["guild_id"] == "1001" and record.payload["member"]["user"]["id"] == "3999"
    assert bot.clicks == [("save", PAPER, 3999)]


# --- selects, ephemeral answers and component limits ------------------------------------------

SELECT_TEMPLATE = r"pick:(?P<action>save|nr)"


class PaperPick(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]], template=SELECT_TEMPLATE
):
    """A select of papers for one action; its answer carries an Undo button."""

    def __init__(self, action: str, papers: tuple[str, ...] = (PAPER,)) -> None:
        options = [
            discord.SelectOption(label=f"{n}. {p}", value=p) for n, p in enumerate(papers, 1)
        ]
        super().__init__(discord.ui.Select(custom_id=f"pick:{action}", options=options))
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperPick:
        pick = cls(match["action"])
        assert isinstance(item, discord.ui.Select)
        pick.item = item
        return pick

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, ClickBot)
        client.clicks.append((self.action, self.item.values[0], interaction.user.id))
        undo = discord.ui.View(timeout=None)
        undo.add_item(PaperButton("save", "0000.00000"))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("Saved. Undo?", ephemeral=True, view=undo)


class PickBot(ClickBot):
    async def setup_hook(self) -> None:
        self.add_dynamic_items(PaperButton, PaperPick)


async def post_picks(bot: ClickBot, papers: tuple[str, ...]) -> discord.Message:
    channel = bot.get_channel(PAPERS)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    for action in ("save", "nr"):
        view.add_item(PaperPick(action, papers))
    return await channel.send("Daily Papers", view=view)


async def test_a_select_is_used_by_choosing_one_of_its_options(discord_fake: DiscordFake) -> None:
    papers = ("2411.00001", "2411.00002")
    async with started(discord_fake, PickBot()) as bot:
        sent = await post_picks(bot, papers)
        record = await discord_fake.click(GUILD, MEMBER, sent.id, "pick:nr", ["2411.00002"])
        callback = await record.callback()
        [answer] = await record.wait_followups(1)
        with pytest.raises(DiscordFakeError, match="offers"):
            await discord_fake.click(GUILD, MEMBER, sent.id, "pick:nr", ["9999.99999"])
        with pytest.raises(DiscordFakeError, match="offers"):
            await discord_fake.click(GUILD, MEMBER, sent.id, "pick:nr", list(papers))  # max 1
        with pytest.raises(DiscordFakeError, match="choosing values"):
            await discord_fake.click(GUILD, MEMBER, sent.id, "pick:nr")
    assert record.payload["data"] == {
        "custom_id": "pick:nr", "component_type": 3, "values": ["2411.00002"],
    }  # fmt: skip
    assert bot.clicks == [("nr", "2411.00002", MEMBER)]
    assert (callback.type, callback.ephemeral) == (5, True)
    assert answer.ephemeral and answer.payload["components"][0]["components"][0]["custom_id"]


async def test_a_button_on_an_ephemeral_answer_is_clicked_by_the_user_it_answered(
    discord_fake: DiscordFake,
) -> None:
    async with started(discord_fake, PickBot()) as bot:
        sent = await post_picks(bot, (PAPER,))
        first = await discord_fake.click(GUILD, MEMBER, sent.id, "pick:save", [PAPER])
        [answer] = await first.wait_followups(1)
        with pytest.raises(DiscordFakeError, match="cannot see the ephemeral"):
            await discord_fake.click_ephemeral(
                first, answer.message_id, "pb:save:0000.00000", user_id=MANAGER
            )
        with pytest.raises(DiscordFakeError, match="no message"):
            await discord_fake.click(GUILD, MEMBER, answer.message_id, "pb:save:0000.00000")
        undo = await discord_fake.click_ephemeral(first, answer.message_id, "pb:save:0000.00000")
        callback = await undo.callback()
    assert undo.payload["message"]["flags"] & 64 and undo.user_id == MEMBER
    assert undo.payload["data"] == {"custom_id": "pb:save:0000.00000", "component_type": 2}
    assert callback.type == 4 and bot.clicks[-1] == ("save", "0000.00000", MEMBER)
