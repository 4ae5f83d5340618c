"""Clicks on paperboy's controls (`block_actions`): a button or an overflow menu option whose
value is a button id (adapters/actions.py) runs that command, as if the clicker had typed it.

One bolt listener for every `pb:` action id, in Socket Mode and HTTP mode alike: ack at once,
run the command through the same path as `/papers` (adapters/slack/commands.py: parsing,
the admins-only check), then answer only the clicker through the click's response_url
(`ephemeral`, never replacing the message clicked). A click's confirmation carries an Undo
button, whose click comes back here. Sources: docs/reference/slack.md §13.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.actions import PREFIX, command_text
from adapters.slack.commands import PLATFORM, SlashCommands, respond
from adapters.slack.render import render_reply
from bot.domain import ChannelRef, Reply

log = logging.getLogger(__name__)

# Every action id paperboy renders starts with this (buttons, overflow menus, Undo).
ACTION_IDS = re.compile(rf"^{PREFIX}:")
UNKNOWN = (
    "Sorry, paperboy does not know that button (it may be from an older message). "
    "Try `/papers help`."
)


def clicked_value(action: dict[str, Any]) -> str | None:
    """The button id a click carries: a button's value, or the chosen overflow option's."""
    value = action.get("value")
    if value is None:
        option = action.get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def _id(value: Any) -> str:
    return value if isinstance(value, str) else ""


def where(body: dict[str, Any]) -> tuple[ChannelRef, str]:
    """The channel the clicked message is in (in the payload's team: the workspace paperboy is
    installed in, which holds the channel) and who clicked: their plain user id, also for a
    user of another workspace in a shared channel, as a typed `/papers` names them (so their
    clicks and typed commands are one person's: docs/reference/slack.md §13)."""
    container = body.get("container") or {}
    channel = _id(container.get("channel_id")) or _id((body.get("channel") or {}).get("id"))
    user = body.get("user") or {}
    # An org-wide install's payload may have no team: the user's is the one (as bolt reads it).
    team = _id((body.get("team") or {}).get("id")) or _id(user.get("team_id"))
    return ChannelRef(PLATFORM, team, channel), _id(user.get("id"))


class ButtonClicks:
    """The `block_actions` listener; runs commands through `commands` (the slash path)."""

    def __init__(self, commands: SlashCommands) -> None:
        self.commands = commands

    async def on_action(
        self,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        """The bolt listener: ack within Slack's 3 seconds, then run and answer privately."""
        await ack()
        reply = await self.reply_to(body, action, client)
        await respond(
            _id(body.get("response_url")),
            render_reply(reply),
            self.commands.sleep,
            response_type="ephemeral",
            replace_original=False,
        )

    async def reply_to(
        self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> Reply:
        """Run the clicked control's command as the clicker, where the message is."""
        value = clicked_value(action)
        text = command_text(value) if value is not None else None
        if text is None:
            log.info("Slack: a click on an unknown control %r", _id(action.get("action_id")))
            return Reply(text=UNKNOWN)
        channel, user = where(body)
        return await self.commands.run_text(text, channel, user, client)
