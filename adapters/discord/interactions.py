"""Clicks on paperboy's controls, and how an interaction is answered.

A paper's button (`pb:save:2401.12345`), a confirmation's Undo (`pb:undo:17`) and a digest's
select (`pb:save`, the chosen option being the paper) are discord.py dynamic items
(`DynamicItem`, registered with `Client.add_dynamic_items` in the client's `setup_hook`): the
custom_id carries everything, so a click on a message posted before a restart is answered
too. A click runs the command of the same name (`adapters.actions.command_text`) through the
desk, as if the clicker had typed `/papers save 2401.12345` in that channel, and is answered
privately within Discord's 3 s (a deferral at once, then the reply as a follow-up), with the
Undo button when the reply names its click.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.actions import command_text
from adapters.discord.components import BUTTON, STRING_SELECT, Component
from adapters.discord.errors import describe
from adapters.discord.payloads import NO_MENTIONS
from adapters.discord.render import render_reply
from bot.commands.table import CommandError, ParsedCommand, parse
from bot.domain import ChannelRef, Invocation, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
# A button's id has the action and its argument; a select's only the action. Disjoint, so one
# click never reaches both items.
BUTTON_TEMPLATE = r"pb:(?P<verb>[^:]+):(?P<arg>.+)"
SELECT_TEMPLATE = r"pb:(?P<verb>[^:]+)"
UNKNOWN_CONTROL = (
    "That control isn't one this version of paperboy knows (the message may be older). "
    "Type `/papers help` to see what it can do."
)
FAILED = "Sorry, that click could not be handled. Please try again in a moment."

Run = Callable[[ParsedCommand, Invocation], Awaitable[Reply]]


def invocation(interaction: discord.Interaction[Any]) -> Invocation:
    """Who ran a command or clicked, and where, with their Manage Channels permission in that
    channel."""
    channel = ChannelRef(
        PLATFORM, str(interaction.guild_id or "dm"), str(interaction.channel_id or "")
    )
    return Invocation(
        channel=channel,
        user=str(interaction.user.id),
        can_manage=interaction.permissions.manage_channels,
    )


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
        return PaperButton(button)
    assert data["type"] == STRING_SELECT, data
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=data["custom_id"],
        placeholder=data.get("placeholder"),
        options=[discord.SelectOption(label=o["label"], value=o["value"]) for o in data["options"]],
        row=row,
    )
    return PaperSelect(select)


class Clicks:
    """Answers clicks: runs the command a control stands for, as its clicker, in its channel."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def answer(self, interaction: discord.Interaction[Any], control: str) -> None:
        """Defer privately at once, run `control`'s command, answer with the reply."""
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                reply = await self.reply(interaction, control)
            except Exception:
                log.exception("Discord: a click on %s failed", control)
                reply = Reply(text=FAILED, ok=False)
            await send_reply(interaction, reply, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("Discord: could not answer a click on %s (%s)", control, describe(exc))

    async def reply(self, interaction: discord.Interaction[Any], control: str) -> Reply:
        """The reply to a click on `control` (a button's id, or a select's id and choice)."""
        text = command_text(control)
        if text is None:
            return Reply(text=UNKNOWN_CONTROL, ok=False)
        try:
            parsed = parse(text)
        except CommandError as exc:
            return Reply(text=str(exc), ok=False)
        return await self.run(parsed, invocation(interaction))


async def _answer(interaction: discord.Interaction[Any], control: str) -> None:
    clicks = getattr(interaction.client, "clicks", None)
    if isinstance(clicks, Clicks):
        await clicks.answer(interaction, control)
    else:
        log.warning("Discord: a click on %s reached a client that answers none", control)


class PaperButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """A paper's button or a confirmation's Undo: the custom_id is the whole command."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperButton:
        """The clicked button, rebuilt from the message."""
        if not isinstance(item, discord.ui.Button):
            raise TypeError(f"{item.custom_id!r} is not a button")  # type: ignore[attr-defined]
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the button's command."""
        await _answer(interaction, self.custom_id)


class PaperSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """A digest's select of one action: the chosen option is the paper."""

    def __init__(self, item: discord.ui.Select[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PaperSelect:
        """The used select, rebuilt from the message."""
        if not isinstance(item, discord.ui.Select):
            raise TypeError(f"{item.custom_id!r} is not a string select")  # type: ignore[attr-defined]
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the action on the chosen paper."""
        values = self.item.values
        await _answer(interaction, f"{self.custom_id}:{values[0]}" if values else self.custom_id)
