"""The `/papers` slash command: ack at once, run the core command, answer via response_url."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.errors import LIBRARY_LOG, error_code, readable
from adapters.slack.render import SlackMessage, render_reply
from adapters.slack.retries import Sleep, connection_retry
from bot.commands.table import CommandError, ParsedCommand, parse
from bot.domain import ChannelRef, Invocation, Reply

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLASH_COMMAND = "/papers"
# A response_url accepts at most 5 uses in 30 minutes (docs/reference/slack.md §2).
MAX_RESPONSES = 5

Run = Callable[[ParsedCommand, Invocation], Awaitable[Reply]]


class SlashCommands:
    """Translates Slack slash-command payloads to core commands and replies back."""

    def __init__(
        self, run: Run, *, admins_only: bool = False, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.run = run
        self.admins_only = admins_only
        self.sleep = sleep

    async def on_command(
        self,
        ack: Callable[..., Awaitable[None]],
        command: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        """The bolt listener: ack within Slack's 3 seconds, then work and respond."""
        await ack()
        reply = await self.reply_to(command, client)
        response_type = "ephemeral" if reply.ephemeral else "in_channel"
        await respond(
            str(command.get("response_url", "")),
            render_reply(reply),
            self.sleep,
            response_type=response_type,
        )

    async def reply_to(self, command: dict[str, Any], client: AsyncWebClient) -> Reply:
        """Run the command text as the user who typed it, in the channel it was typed in."""
        channel = ChannelRef(
            PLATFORM, str(command.get("team_id", "")), str(command.get("channel_id", ""))
        )
        user = str(command.get("user_id", ""))
        return await self.run_text(str(command.get("text", "")), channel, user, client)

    async def run_text(
        self,
        text: str,
        channel: ChannelRef,
        user: str,
        client: AsyncWebClient,
    ) -> Reply:
        """Parse and run command text in `channel` for the Slack user `user`, whatever path it
        came by (typed or clicked). A managing command needs a workspace admin when
        `admins_only` is set."""
        try:
            parsed = parse(text)
        except CommandError as exc:
            return Reply(text=str(exc), ok=False)
        can_manage = True
        if parsed.spec.manages and self.admins_only:
            try:
                can_manage = await self._is_admin(client, user)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                reason = error_code(exc)
                log.warning("Slack: users.info for %s failed: %s", user, reason)
                fix = (
                    "reinstall paperboy to grant users:read"
                    if reason == "missing_scope"
                    else "try again in a moment"
                )
                text = (
                    f"Could not check that you are a workspace admin (users.info: {reason}); {fix}."
                )
                return Reply(text=text, ok=False)
        invocation = Invocation(channel=channel, user=user, can_manage=can_manage)
        return await self.run(parsed, invocation)

    async def _is_admin(self, client: AsyncWebClient, user: str) -> bool:
        """Whether `user` is a workspace admin or owner; a refusal of the user means no."""
        try:
            info = await readable(client).users_info(user=user)
        except SlackApiError as exc:
            if error_code(exc) in ("user_not_found", "user_not_visible"):
                return False
            raise
        profile = info.get("user") or {}
        return any(profile.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner"))


async def respond(
    response_url: str, messages: list[SlackMessage], sleep: Sleep, **options: Any
) -> None:
    """Send an answer's messages to a response_url (its first MAX_RESPONSES), each with
    `options` (`response_type`, `replace_original`); a failure is logged in one line."""
    # bolt's `respond` builds a webhook client that logs the response_url at debug level.
    webhook = AsyncWebhookClient(
        response_url, logger=LIBRARY_LOG, retry_handlers=connection_retry(sleep)
    )
    for message in messages[:MAX_RESPONSES]:
        try:
            sent = await webhook.send(text=message.text, blocks=message.blocks, **options)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("Slack: an answer was not delivered (%s)", error_code(exc))
            return
        if sent.status_code >= 300:  # the response_url is spent or expired: nothing more lands
            log.warning(
                "response_url refused the answer (HTTP %s): %s",
                sent.status_code,
                getattr(sent, "body", ""),
            )
            return
