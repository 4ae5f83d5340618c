"""Posting digests and alerts to Slack exactly once: paced, claimed part by part, found again.

A post is one or more messages ("parts"): part 1 goes to the channel, the rest in its thread.
Each part carries message metadata naming the post and part (`PostKey.token`), so that after a
crash `find` can tell from the channel's history whether it went out
(https://docs.slack.dev/messaging/message-metadata). A late climber is a reply in its digest's
thread; a digest's new version edits the posted message in place (chat.update, keeping its
metadata), which is never looked for: sending an edit again changes nothing. A reply whose
thread is gone (the digest was deleted) is a message fault, whether Slack refuses it or posts
it in the channel instead; so is one the thread refuses (locked, or no replies allowed there):
the channel is fine.

A direct message (`DirectMessage`, whose ledger channel is `@<user>`) goes to the person's D
channel, opened with conversations.open (im:write) and found again in its history (im:history).
A DM Slack refuses (a bot, a deactivated member, no im:write) is `recipient_closed`: the core
mentions the person in the channel instead (`Mention`), in the thread of the channel's alert for
the paper, or at top level when that thread is gone or refuses replies (a mention posted in the
channel all the same has reached its person). A person's DM never pauses a channel or the
workspace.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import (
    DM_CLOSED,
    LIBRARY_LOG,
    THREAD_ERRORS,
    THREAD_GONE,
    SlackClient,
    answer_of,
    describe,
    dm_refused_error,
    not_sent,
    refused_error,
    uncertain_error,
)
from adapters.slack.lookup import BotIdentity, HistoryLookup
from adapters.slack.pacing import SlackPacer
from adapters.slack.render import (
    SlackMessage,
    render_alert,
    render_climber,
    render_digest,
    render_direct,
    render_edit,
    render_mention,
    render_reply,
)
from bot.domain import (
    POST_EVENT_TYPE,
    Alert,
    ChannelRef,
    Climber,
    Digest,
    DigestEdit,
    DirectMessage,
    Mention,
    Notice,
    Post,
    PostKey,
    direct_user,
)
from bot.ports import DeliveryError, Tracker

log = logging.getLogger(__name__)

PLATFORM = "slack"
POST_METHOD = "chat.postMessage"
UPDATE_METHOD = "chat.update"
OPEN_METHOD = "conversations.open"
# The ledger kind of a DigestEdit (bot.delivery): never looked for by `find`.
EDIT_KIND = "edit"
# The ledger kind of a Mention (bot.delivery.direct): looked for in its alert's thread, then in
# the channel (where it goes when that thread is gone).
MENTION_KIND = "mention"
# 429s in a row for one part; past this the post fails and the ledger retries it later.
RATE_LIMIT_RETRIES = 5
# Connection failures before the request went out (refused, DNS): retried in place, waiting
# CONNECT_BACKOFF seconds, then twice that, and so on.
CONNECT_RETRIES = 3
CONNECT_BACKOFF = 1.0
# Seconds to wait for Slack's answer; past it the post may be out (an uncertain failure).
REQUEST_TIMEOUT = 30

TokenFor = Callable[[str], Awaitable[str | None]]


def _unthreaded(response: Any, thread_ts: str) -> bool:
    """Whether a reply's answer shows the message outside the thread `thread_ts`: Slack may
    answer ok and post a reply to a deleted message in the channel, its answer's `message`
    then carrying no `thread_ts` (docs/reference/slack.md §5). An answer without a `message`
    proves nothing."""
    message = response.get("message")
    return isinstance(message, dict) and message.get("thread_ts") != thread_ts


def post_metadata(key: PostKey, part: int) -> dict[str, Any]:
    """The message metadata that names one part of a post (what `find` looks for)."""
    return {
        "event_type": POST_EVENT_TYPE,
        "event_payload": {"kind": key.kind, "ref": key.ref, "part": part, "token": key.token(part)},
    }


def render(post: Post) -> list[SlackMessage]:
    """A post's messages: part 1 first (a DigestEdit is one: the new part 1)."""
    if isinstance(post, Notice):
        return render_reply(post.as_reply())
    if isinstance(post, Digest):
        return render_digest(post)
    if isinstance(post, Alert):
        return render_alert(post)
    if isinstance(post, Climber):
        return render_climber(post)
    if isinstance(post, DirectMessage):
        return render_direct(post)
    if isinstance(post, Mention):
        return render_mention(post)
    return [render_edit(post)]


class _ThreadRefused(DeliveryError):
    """A reply its thread refused (gone, locked): a message fault, unless the post may go to
    the channel instead (a Mention)."""


@dataclass(frozen=True)
class _Request:
    """One request that sends a part: chat.postMessage (in a thread, or not) or chat.update.

    `channel`: the Slack channel it goes to (a person's D channel for a DM; else the post's).
    `stray_ok`: a reply Slack posts in the channel instead of its thread is fine (a Mention)."""

    message: SlackMessage
    channel: str
    thread_ts: str | None = None
    edit: DigestEdit | None = None
    stray_ok: bool = False

    @property
    def method(self) -> str:
        """The Web API method it calls."""
        return POST_METHOD if self.edit is None else UPDATE_METHOD

    async def send(self, client: AsyncWebClient, key: PostKey, part: int) -> Any:
        """Make the call (the answer, or a SlackApiError)."""
        if self.edit is not None:
            return await client.chat_update(
                channel=self.channel,
                ts=self.edit.message_id,
                text=self.message.text,
                blocks=self.message.blocks,
                # the posted digest's own metadata, so `find` still knows the message
                metadata=post_metadata(self.edit.of, 1),
            )
        return await client.chat_postMessage(
            channel=self.channel,
            text=self.message.text,
            blocks=self.message.blocks,
            thread_ts=self.thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            metadata=post_metadata(key, part),
        )


class SlackPublisher:
    """Posts to Slack channels with the bot token of each channel's workspace.

    `rate_limited` counts the 429s Slack answered, by method. `history_denied` holds the
    workspaces whose install lacks channels:history / groups:history, where `find` cannot tell
    (in a channel; a DM's lookup without im:history is ResolveUnsupported, and not held here).
    """

    platform = PLATFORM

    def __init__(
        self,
        api_url: str,
        token_for: TokenFor,
        *,
        pacer: SlackPacer | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.api_url = api_url
        self.token_for = token_for
        self.pacer = pacer or SlackPacer()
        self.timeout = timeout
        self.rate_limited: Counter[str] = Counter()
        self.history_denied: set[str] = set()
        self._lookup = HistoryLookup(self._sleep, self.rate_limited, self.history_denied)
        self._locks: dict[str, asyncio.Lock] = {}
        self._clients: dict[str, AsyncWebClient] = {}
        self._dms: dict[tuple[str, str], str] = {}  # (workspace, user) → D channel id

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Send the parts after `tracker.parts_sent`, each claimed right before its request."""
        channel = post.channel
        messages = render(post)
        client = await self._client(channel)
        # One post at a time per channel keeps the order and each thread in one piece.
        async with self._locks.setdefault(channel.key, asyncio.Lock()):
            if isinstance(post, DigestEdit):
                return await self._edit(client, post, messages[0], tracker)
            target = await self._target(client, channel)
            # A climber's (a mention's) every part goes in its thread; a post's later parts in
            # its own.
            reply_to = post.thread if isinstance(post, Climber | Mention) else None
            for part in range(tracker.parts_sent + 1, len(messages) + 1):
                thread_ts = reply_to or (
                    None if part == 1 else tracker.first_id or tracker.thread_id
                )
                if part > 1 and thread_ts is None:
                    raise DeliveryError(f"part {part} has no thread: part 1 is not recorded")
                stray_ok = isinstance(post, Mention)
                request = _Request(messages[part - 1], target, thread_ts, stray_ok=stray_ok)
                try:
                    ts = await self._send(client, tracker, part, request)
                except _ThreadRefused:
                    if not (stray_ok and part == 1):
                        raise
                    # The alert's thread is gone or takes no reply: mention them in the channel.
                    reply_to = None
                    ts = await self._send(client, tracker, part, replace(request, thread_ts=None))
                await tracker.sent(part, ts, thread_id=(reply_to or ts) if part == 1 else None)
        if tracker.first_id is None:
            raise DeliveryError("part 1 is not recorded")
        return tracker.first_id

    async def _edit(
        self, client: AsyncWebClient, edit: DigestEdit, message: SlackMessage, tracker: Tracker
    ) -> str:
        """Edit the posted digest's part 1 in place: one request, claimed like a part."""
        if tracker.parts_sent < 1:
            request = _Request(message, edit.channel.channel, edit=edit)
            ts = await self._send(client, tracker, 1, request)
            await tracker.sent(1, ts)
        return edit.message_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """The ts of `part` of this post if it is in Slack (posted at or after `since`): in the
        thread `thread_id` when given (a later part, a climber), else in the channel. An edit
        is never looked for (None: the deliverer sends it again, which changes nothing). A DM
        is looked for in the person's D channel; a mention not in its alert's thread, in the
        channel too (where it goes when that thread is gone)."""
        if key.kind == EDIT_KIND:
            return None
        if part > 1 and thread_id is None:
            return None  # a continuation only ever goes in part 1's thread
        client = await self._client(key.channel)
        bot = await self._bot(client, key.channel.workspace)
        channel_id: str | None = None
        if direct_user(key.channel) is not None:
            try:
                channel_id = await self._target(client, key.channel)
            except DeliveryError as exc:
                if exc.recipient_closed:
                    # Slack will not open their DM: sending it again fails the same way, and
                    # the core mentions them in the channel instead.
                    return None
                raise DeliveryError(str(exc), uncertain=True) from None
        found = await self._lookup.find(client, key, part, since, thread_id, bot, channel_id)
        if found is None and key.kind == MENTION_KIND and part == 1 and thread_id is not None:
            found = await self._lookup.find(client, key, part, since, None, bot)
        return found

    async def _send(
        self, client: AsyncWebClient, tracker: Tracker, part: int, request: _Request
    ) -> str:
        """Send one part; the claim is taken after every wait and given back before the next."""
        channel = tracker.key.channel
        direct = direct_user(channel) is not None
        limited = unreachable = 0
        while True:
            await self.pacer.acquire(channel.workspace, request.channel)
            await tracker.claim(part)
            try:
                response = await request.send(client, tracker.key, part)
            except SlackApiError as exc:
                answer = answer_of(exc)
                if answer.rate_limited:
                    await tracker.refused(part)
                    self.rate_limited[request.method] += 1
                    limited += 1
                    if limited > RATE_LIMIT_RETRIES:
                        raise DeliveryError(f"ratelimited: {limited} times in a row") from None
                    self.pacer.hold(channel.workspace, request.channel, answer.retry_after)
                    continue
                if answer.refused:
                    await tracker.refused(part)
                    if direct:
                        if answer.error in DM_CLOSED:  # open it again next time
                            self._dms.pop((channel.workspace, direct_user(channel) or ""), None)
                        raise dm_refused_error(answer) from None
                    error = refused_error(answer)
                    if request.thread_ts is not None and answer.error in THREAD_ERRORS:
                        raise _ThreadRefused(str(error), message_fault=True) from None
                    raise error from None
                raise uncertain_error(describe(answer)) from None
            except Exception as exc:
                what = f"{type(exc).__name__}: {exc}"
                if not not_sent(exc):  # a timeout, a dropped connection: it may be out
                    raise uncertain_error(what) from None
                await tracker.refused(part)  # the connection failed: nothing went out
                unreachable += 1
                if unreachable > CONNECT_RETRIES:
                    raise DeliveryError(what) from None
                log.info("Slack: %s unreachable (%s); trying again", self.api_url, what)
                await self.pacer.sleep(CONNECT_BACKOFF * 2 ** (unreachable - 1))
                continue
            ts = response.get("ts")
            if not isinstance(ts, str) or not ts:
                raise uncertain_error(f"{request.method} answered ok without a ts")
            if request.stray_ok:
                return ts
            if request.thread_ts is not None and _unthreaded(response, request.thread_ts):
                # It is out (and cannot be taken back): recorded, so it is never sent again.
                await tracker.sent(part, ts)
                raise DeliveryError(
                    f"{THREAD_GONE}: Slack posted part {part} in the channel (message {ts}), "
                    f"not in the thread {request.thread_ts}, which is gone",
                    message_fault=True,
                )
            return ts

    async def _client(self, channel: ChannelRef) -> AsyncWebClient:
        workspace = channel.workspace
        token = await self.token_for(workspace)
        if not token:
            direct = direct_user(channel) is not None  # a person's DM pauses nothing
            raise DeliveryError(
                f"paperboy is not installed in Slack workspace {workspace}",
                permanent=not direct,
                workspace_fault=not direct,
            )
        client = self._clients.get(token)
        if client is None:
            # No retry handlers: the SDK's would resend a post whose answer was lost, and sleep
            # out a 429 while the part is claimed. `_send` does both itself.
            client = SlackClient(
                token=token,
                base_url=self.api_url,
                retry_handlers=[],
                timeout=self.timeout,  # type: ignore[arg-type]  # aiohttp takes float seconds
                logger=LIBRARY_LOG,
            )
            self._clients[token] = client
        return client

    async def _target(self, client: AsyncWebClient, channel: ChannelRef) -> str:
        """The Slack channel a post to `channel` goes to: the channel itself, or for a DM
        (`@U123`) the person's D channel, opened once (conversations.open needs im:write)."""
        user = direct_user(channel)
        if user is None:
            return channel.channel
        known = self._dms.get((channel.workspace, user))
        if known is not None:
            return known
        limited = 0
        while True:
            try:
                response = await client.conversations_open(users=user)
            except SlackApiError as exc:
                answer = answer_of(exc)
                if answer.rate_limited and limited < RATE_LIMIT_RETRIES:
                    self.rate_limited[OPEN_METHOD] += 1
                    limited += 1
                    await self._sleep(answer.retry_after)
                    continue
                if answer.error in DM_CLOSED:
                    raise dm_refused_error(answer, OPEN_METHOD) from None
                # Nothing was posted (opening a DM again is harmless): retried later.
                raise DeliveryError(f"{OPEN_METHOD}: {describe(answer)}") from None
            except Exception as exc:
                raise DeliveryError(f"{OPEN_METHOD}: {type(exc).__name__}: {exc}") from None
            opened = response.get("channel")
            channel_id = opened.get("id") if isinstance(opened, dict) else None
            if not isinstance(channel_id, str) or not channel_id:
                raise DeliveryError(f"{OPEN_METHOD} answered ok without a channel id")
            self._dms[(channel.workspace, user)] = channel_id
            return channel_id

    async def _bot(self, client: AsyncWebClient, workspace: str) -> BotIdentity:
        return await self._lookup.bot(client, workspace)

    async def _sleep(self, seconds: float) -> None:
        await self.pacer.sleep(seconds)  # the pacer's clock, even when a test swaps the pacer
