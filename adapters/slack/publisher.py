"""Posting digests and alerts to Slack with chat.postMessage: paced, retried, errors translated."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackMessage, render_alert, render_digest
from bot.domain import Alert, ChannelRef, Digest
from bot.ports import DeliveryError

log = logging.getLogger(__name__)

PLATFORM = "slack"
# chat.postMessage "generally allows one message per second per channel" (platforms.md §1.5).
CHANNEL_INTERVAL_SECONDS = 1.0
# 429s are waited out with Retry-After; this bounds a storm, after which the post fails and
# the ledger retries it on the next run.
RATE_LIMIT_RETRIES = 10
# Errors that mean the channel (or the whole install) cannot receive posts: pause it.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "not_authed", "missing_scope", "restricted_action", "team_access_not_granted",
    "org_login_required", "ekm_access_denied", "no_permission",
})
# Errors that mean Slack refused this message itself (chat.postMessage docs): the channel is
# fine, and posting the same message again cannot work.
MESSAGE_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text",
    "invalid_arguments", "too_many_attachments", "invalid_attachments",
})

TokenFor = Callable[[str], Awaitable[str | None]]


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retry connection errors, 5xx and 429 (waiting Retry-After) like the Slack SDK suggests."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=3),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class SlackPublisher:
    """Posts to Slack channels with the bot token of each channel's workspace."""

    platform = PLATFORM

    def __init__(
        self,
        api_url: str,
        token_for: TokenFor,
        *,
        interval: float = CHANNEL_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.api_url = api_url
        self.token_for = token_for
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._clients: dict[str, AsyncWebClient] = {}

    async def send_digest(self, channel: ChannelRef, digest: Digest) -> str:
        """Post a digest; what does not fit in one message continues in its thread."""
        return await self._post_thread(channel, render_digest(digest))

    async def send_alert(self, channel: ChannelRef, alert: Alert) -> str:
        """Post an alert."""
        return await self._post_thread(channel, render_alert(alert))

    async def _client(self, workspace: str) -> AsyncWebClient:
        token = await self.token_for(workspace)
        if not token:
            raise DeliveryError(f"paperboy is not installed in Slack workspace {workspace}",
                                permanent=True)
        client = self._clients.get(token)
        if client is None:
            client = AsyncWebClient(token=token, base_url=self.api_url,
                                    retry_handlers=retry_handlers())
            self._clients[token] = client
        return client

    async def _post_thread(self, channel: ChannelRef, messages: list[SlackMessage]) -> str:
        """Post the first message, then the rest in its thread; only the first may fail."""
        client = await self._client(channel.workspace)
        lock = self._locks.setdefault(channel.key, asyncio.Lock())
        async with lock:  # one post at a time per channel keeps thread order and the pace
            first_ts = await self._post(client, channel, messages[0], None)
            for part, message in enumerate(messages[1:], start=2):
                try:
                    await self._post(client, channel, message, first_ts)
                except DeliveryError as exc:
                    # The post is out: failing it now would make the ledger post it again.
                    log.error("Slack: %s: part %d of %d (a reply in the thread of %s) failed "
                              "(%s); the rest is not posted, the post stays sent",
                              channel.key, part, len(messages), first_ts, exc)
                    break
        return first_ts

    async def _post(
        self, client: AsyncWebClient, channel: ChannelRef, message: SlackMessage,
        thread_ts: str | None,
    ) -> str:
        await self._pace(channel.key)
        try:
            response = await client.chat_postMessage(
                channel=channel.channel,
                text=message.text,
                blocks=message.blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            raise DeliveryError(error, permanent=error in PERMANENT_ERRORS,
                                message_fault=error in MESSAGE_ERRORS) from None
        except Exception as exc:  # network trouble after the SDK's own retries
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return str(response["ts"])

    async def _pace(self, key: str) -> None:
        now = self._monotonic()
        slot = max(self._next_slot.get(key, now), now)
        self._next_slot[key] = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)
