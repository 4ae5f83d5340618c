"""Finding a post again after a crash: paperboy's own messages, by metadata token, in history.

Part 1 is looked up in the channel (https://docs.slack.dev/reference/methods/conversations.history),
later parts and a climber's reply in their thread
(https://docs.slack.dev/reference/methods/conversations.replies), both with
`include_all_metadata`. Reading history needs channels:history (public channels) or
groups:history (private ones), im:history in a direct message (a person's D channel, which
`SlackPublisher` opens and names); without it Slack answers `missing_scope`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import (
    CHANNEL_ERRORS,
    WORKSPACE_ERRORS,
    Answer,
    answer_of,
    describe,
)
from bot.domain import POST_EVENT_TYPE, PostKey
from bot.ports import DeliveryError, ResolveUnsupported

# Our clock and Slack's differ a little: look back this much before the claim.
CLOCK_SKEW = timedelta(seconds=60)
# Messages per page. Non-Marketplace apps created since 2025-05-29 get at most 15 per call
# (https://docs.slack.dev/apis/web-api/rate-limits); Slack then pages with a cursor.
PAGE_LIMIT = 100
# A bound on paging through a busy channel since the claim.
MAX_PAGES = 50
# Only messages this soon after the claim can be the post (the request's own timeout is far
# shorter): a lookup after a long backoff does not page through hours of history.
LOOKUP_WINDOW = timedelta(minutes=10)
# History errors that say this channel cannot be read, not that it cannot take posts.
READ_REFUSED = frozenset({"not_in_channel", "channel_not_found"})
# 429s waited out (Retry-After) per lookup; no claim is held while waiting.
RATE_LIMIT_RETRIES = 3

Sleep = Callable[[float], Awaitable[None]]
_METHODS = {
    "auth.test": "auth_test",
    "conversations.history": "conversations_history",
    "conversations.replies": "conversations_replies",
}


class _ThreadGone(Exception):
    """conversations.replies answered thread_not_found."""


@dataclass(frozen=True)
class BotIdentity:
    """Who paperboy is in a workspace (auth.test): its bot user and bot id."""

    user_id: str | None
    bot_id: str | None

    def posted(self, message: dict[str, Any]) -> bool:
        """True when `message` was posted by this bot."""
        if self.bot_id and message.get("bot_id"):
            return bool(message.get("bot_id") == self.bot_id)
        return bool(self.user_id) and message.get("user") == self.user_id


def slack_ts(moment: datetime) -> str:
    """A datetime as a Slack timestamp string (`1700000000.000000`)."""
    return f"{moment.timestamp():.6f}"


def _ts_order(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros or 0)


class HistoryLookup:
    """Reads history for `SlackPublisher.find`; counts 429s and workspaces without the scope."""

    def __init__(self, sleep: Sleep, rate_limited: Counter[str], history_denied: set[str]) -> None:
        self.sleep = sleep
        self.rate_limited = rate_limited
        self.history_denied = history_denied
        self._bots: dict[str, BotIdentity] = {}

    async def bot(self, client: AsyncWebClient, workspace: str) -> BotIdentity:
        """Our bot's identity in a workspace (auth.test, asked once per workspace)."""
        bot = self._bots.get(workspace)
        if bot is None:
            data = await self._call(client, "auth.test", {}, workspace)
            bot = BotIdentity(_str(data.get("user_id")), _str(data.get("bot_id")))
            self._bots[workspace] = bot
        return bot

    async def find(
        self,
        client: AsyncWebClient,
        key: PostKey,
        part: int,
        since: datetime,
        thread_id: str | None,
        bot: BotIdentity,
        channel_id: str | None = None,
    ) -> str | None:
        """The oldest ts of our message carrying `key.token(part)`, or None. `channel_id` is
        the Slack channel to read when it is not `key.channel`'s (a person's D channel)."""
        token = key.token(part)
        direct = channel_id is not None
        # In a thread when one is given (a later part, a climber's reply), else the channel.
        method = "conversations.history" if thread_id is None else "conversations.replies"
        args: dict[str, Any] = {
            "channel": channel_id or key.channel.channel,
            "oldest": slack_ts(since - CLOCK_SKEW),
            "latest": slack_ts(since + LOOKUP_WINDOW),
            "inclusive": True,
            "include_all_metadata": True,
            "limit": PAGE_LIMIT,
        }
        if thread_id is not None:
            args["ts"] = thread_id
        found: list[str] = []
        for _ in range(MAX_PAGES):
            try:
                data = await self._call(client, method, args, key.channel.workspace, direct)
            except _ThreadGone:
                return None  # part 1 was deleted, and its thread with it
            for message in data.get("messages") or []:
                if isinstance(message, dict) and _carries(message, token) and bot.posted(message):
                    found.append(str(message["ts"]))
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
            args["cursor"] = cursor
        else:
            raise DeliveryError(
                f"{method}: more than {MAX_PAGES} pages since {since}", uncertain=True
            )
        if not direct:
            self.history_denied.discard(key.channel.workspace)
        return min(found, key=_ts_order) if found else None

    async def _call(
        self,
        client: AsyncWebClient,
        method: str,
        args: dict[str, Any],
        workspace: str,
        direct: bool = False,
    ) -> dict[str, Any]:
        """One read, with 429s waited out; errors become ResolveUnsupported or DeliveryError."""
        limited = 0
        call = getattr(client, _METHODS[method])
        while True:
            try:
                response = await call(**args)
                data = response.data
                return data if isinstance(data, dict) else {}
            except SlackApiError as exc:
                answer = answer_of(exc)
                if answer.rate_limited and limited < RATE_LIMIT_RETRIES:
                    self.rate_limited[method] += 1
                    limited += 1
                    await self.sleep(answer.retry_after)
                    continue
                if answer.error == "thread_not_found":
                    raise _ThreadGone from None
                raise self._failure(method, answer, workspace, direct) from None
            except Exception as exc:
                raise DeliveryError(
                    f"{method}: {type(exc).__name__}: {exc}", uncertain=True
                ) from None

    def _failure(self, method: str, answer: Answer, workspace: str, direct: bool) -> Exception:
        if answer.error == "missing_scope" and direct:
            # A DM's history: `history_denied` is about channels, whose posts this does not touch.
            return ResolveUnsupported(
                f"{method} needs the im:history scope to read direct messages; reinstall "
                "paperboy to grant it"
            )
        if direct:  # never a channel's or the workspace's fault (a person's DMs pause nothing)
            if answer.error in READ_REFUSED:
                return ResolveUnsupported(f"{method} refused ({answer.error}) in a direct message")
            return DeliveryError(f"{method}: {describe(answer)}", uncertain=True)
        if answer.error == "missing_scope":
            self.history_denied.add(workspace)
            return ResolveUnsupported(
                f"{method} needs the channels:history / groups:history scope; reinstall "
                "paperboy to grant it"
            )
        error = answer.error or ""
        if error in READ_REFUSED:
            # paperboy posts to public channels it never joined (chat:write.public), but may
            # read only the history of channels it is in: this post cannot be looked up.
            return ResolveUnsupported(
                f"{method} refused ({error}): invite paperboy to the channel so it can find "
                "its posts after a crash"
            )
        return DeliveryError(
            f"{method}: {describe(answer)}",
            uncertain=True,
            permanent=error in WORKSPACE_ERRORS or error in CHANNEL_ERRORS,
            workspace_fault=error in WORKSPACE_ERRORS,
        )


def _carries(message: dict[str, Any], token: str) -> bool:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != POST_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("token") == token


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
