"""Clicks on paperboy's controls, and how an interaction is answered.

A paper's button (`pb:save:2401.12345`), a confirmation's Undo (`pb:undo:17`) and a digest's
select (`pb:save`, the chosen option being the paper) are one discord.py dynamic item
(`DynamicItem`, registered with `Client.add_dynamic_items` in the client's `setup_hook`) for
every `pb:` id: the custom_id carries everything, so a click on a message posted before a
restart is answered too, and an id of another shape gets the one polite unknown-control line.
A click runs the command of the same name (`adapters.actions.command_text`) through the
desk, as if the clicker had typed `/papers save 2401.12345` in that channel, and is answered
privately within Discord's 3 s (a deferral at once, then the reply as a follow-up), with the
Undo button when the reply names its click.

A command or click in a forum post, or in the thread paperboy started from a digest (its
details, its late climbers), counts in the channel the thread is in: the forum or the digest's
channel, where its settings, clicks and reading list are (docs/reference/discord.md §11). So
does a click on paperboy's own post in a member's thread (one started from a digest's list
before paperboy's, or where paperboy could start none), and on the answer to such a click.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.actions import PREFIX, command_text
from adapters.discord.channel_kinds import FORUM, kind_of
from adapters.discord.components import BUTTON, STRING_SELECT, Component, select_choice
from adapters.discord.errors import describe
from adapters.discord.payloads import NO_MENTIONS
from adapters.discord.render import render_reply
from bot.commands.table import CommandError, ParsedCommand, parse
from bot.domain import ChannelRef, Invocation, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Every id of paperboy's (a button's has the action and its argument, a select's only the
# action), also one of a shape this version does not make: one item answers them all.
TEMPLATE = rf"{PREFIX}:.*"
UNKNOWN_CONTROL = (
    "That control isn't one this version of paperboy knows (the message may be older). "
    "Type `/papers help` to see what it can do."
)
FAILED = "Sorry, that click could not be handled. Please try again in a moment."

Run = Callable[[ParsedCommand, Invocation], Awaitable[Reply]]


def invocation(interaction: discord.Interaction[Any]) -> Invocation:
    """Who ran a command or clicked, and where (a forum post or a digest's thread: the channel
    it is in), with their Manage Channels permission in that channel."""
    channel = ChannelRef(PLATFORM, str(interaction.guild_id or "dm"), home(interaction))
    return Invocation(
        channel=channel,
        user=str(interaction.user.id),
        can_manage=interaction.permissions.manage_channels,
    )


def home(interaction: discord.Interaction[Any]) -> str:
    """The channel an interaction counts in: where it was sent, but for a thread in a forum (a
    post) or one paperboy started (a digest's thread, or its own forum post), the thread's
    parent; so for a click on paperboy's own post in any thread (a member's thread on a
    digest). A thread's parent kind is in the guild cache (the guilds intent)."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        bot = interaction.client.user
        forum = parent is not None and kind_of(parent.type.value) == FORUM
        if forum or (bot is not None and channel.owner_id == bot.id) or _on_a_post(interaction):
            return str(channel.parent_id)
    return str(interaction.channel_id or "")


def _on_a_post(interaction: discord.Interaction[Any]) -> bool:
    """A click on paperboy's own message that is not its answer to a typed command: a post
    (a digest, a climber, an alert) or the answer to a click on one. A command's answer, its
    Undo, counts where the command did."""
    message, bot = interaction.message, interaction.client.user
    if message is None or bot is None or message.author.id != bot.id:
        return False
    answered = message.interaction_metadata
    return answered is None or answered.type != discord.InteractionType.application_command


async def send_reply(
    interaction: discord.Interaction[Any], reply: Reply, *, ephemeral: bool
) -> None:
    """The reply as follow-ups of a deferred interaction (the first fills the deferral)."""
    for message in render_reply(reply):
        await interaction.followup.send(
            content=message.content,
            embeds=message.embeds,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            view=view_of(message.components) or discord.utils.MISSING,
        )


def view_of(components: list[Component]) -> discord.ui.View | None:
    """paperboy's components as a discord.py view of dynamic items (None for none): sent
    with a follow-up, it stores nothing per message."""
    if not components:
        return None
    view = discord.ui.View(timeout=None)
    for row, action_row in enumerate(components):
        for item in action_row["components"]:
            view.add_item(_item(item, row))
    return view


def _item(data: Component, row: int) -> discord.ui.Item[Any]:
    if data["type"] == BUTTON:
        button: discord.ui.Button[Any] = discord.ui.Button(
            style=discord.ButtonStyle(data["style"]),
            label=data["label"],
            custom_id=data["custom_id"],
            row=row,
        )
        return PaperControl(button)
    assert data["type"] == STRING_SELECT, data
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=data["custom_id"],
        placeholder=data.get("placeholder"),
        options=[discord.SelectOption(label=o["label"], value=o["value"]) for o in data["options"]],
        row=row,
    )
    return PaperControl(select)


class Clicks:
    """Answers clicks: runs the command a control stands for, as its clicker, in its channel."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def answer(
        self, interaction: discord.Interaction[Any], control: str, button: str | None
    ) -> None:
        """Defer privately at once, run the command of `button` (the id of the button the
        clicked `control` stands for, None for none), answer with the reply."""
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                reply = await self.reply(interaction, button)
            except Exception:
                log.exception("Discord: a click on %s failed", control)
                reply = Reply(text=FAILED, ok=False)
            await send_reply(interaction, reply, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("Discord: could not answer a click on %s (%s)", control, describe(exc))

    async def reply(self, interaction: discord.Interaction[Any], button: str | None) -> Reply:
        """The reply to a click on `button` (a button's id, or what a select's choice stands
        for)."""
        text = command_text(button) if button is not None else None
        if text is None:
            return Reply(text=UNKNOWN_CONTROL, ok=False)
        try:
            parsed = parse(text)
        except CommandError as exc:
            return Reply(text=str(exc), ok=False)
        return await self.run(parsed, invocation(interaction))


async def _answer(interaction: discord.Interaction[Any], control: str, button: str | None) -> None:
    clicks = getattr(interaction.client, "clicks", None)
    if isinstance(clicks, Clicks):
        await clicks.answer(interaction, control, button)
    else:
        log.warning("Discord: a click on %s reached a client that answers none", control)


class PaperControl(discord.ui.DynamicItem[discord.ui.Item[Any]], template=TEMPLATE):
    """One of paperboy's controls: a paper's button or a confirmation's Undo (the custom_id is
    the whole command), or a digest's select of one action (the chosen option is the paper)."""

    def __init__(self, item: discord.ui.Item[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperControl:
        """The used control, rebuilt from the message (whatever its shape)."""
        return cls(item)

    def button(self) -> str | None:
        """The button id the control stands for: a button's own, a select's choice's; None for
        a control of another kind."""
        if isinstance(self.item, discord.ui.Select):
            return select_choice(self.custom_id, self.item.values)
        if isinstance(self.item, discord.ui.Button):
            return self.custom_id
        return None

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the control's command."""
        await _answer(interaction, self.custom_id, self.button())
