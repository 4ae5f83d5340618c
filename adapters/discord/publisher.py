"""Posting digests and alerts to Discord channels exactly once (forum channels get a new post),
editing a posted digest in place and posting its late climbers.

Every message carries a nonce (`PostKey.token(part)`) with `enforce_nonce`: when the same
author sends the same nonce again within a few minutes, Discord returns the first message
instead of creating a second (developers/resources/message "Create Message"). So a part whose
fate is unknown after a crash or a dropped connection is simply sent again. An edit
(`PATCH`, docs/reference/discord.md §10) needs no nonce: sending it twice changes nothing.

A compact digest's details go in a thread started from part 1 (§14): its id is part 1's, so
the ledger's `thread_id` is known when part 1 is out, and the thread is started right before
the first detail is sent (again after a crash: 160004 says it is there). Where no thread can
be started the details follow in the channel, and a climber goes in the digest's thread when
it has one, else it replies to the digest (refused where the digest is gone: the climber is
dropped, never posted on its own). A request to the digest's own thread (a forum post, the
details' thread) that finds it deleted, locked or, for an edit, archived is the digest's
fault, never a reason to pause its channel (`errors.delivery_error`, §14).

A `DirectMessage` goes to the person's DM channel, opened with Create DM (`POST
/users/@me/channels`, the same channel every time; its id is kept per user) and then posted to
with its nonce like any message. A person who takes no DMs from the bot (50007) or is unknown
(10013) is `recipient_closed` (`errors.direct_error`): never a fault of a channel or the guild.
A `Mention` (that refused DM, in the channel instead) replies to the channel's alert for the
paper (posted on its own if the alert is gone), notifying only its person.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord.http import MultipartParameters

from adapters.discord.channel_kinds import (
    FORUM,
    THREAD,
    ChannelKinds,
    MemoryChannelKinds,
    kind_of,
)
from adapters.discord.client import ClientOwner, NewClient
from adapters.discord.errors import (
    TokenRefused,
    delivery_error,
    describe,
    direct_error,
    refuses_token,
    unknown_channel,
)
from adapters.discord.pacing import DiscordPacer
from adapters.discord.payloads import Part, edit_params, params, render_post
from adapters.discord.render import DiscordMessage
from adapters.discord.send import Attempt, done, sending
from adapters.discord.threads import details_in, send_climber, send_detail
from bot.domain import (
    ChannelRef,
    Climber,
    DigestEdit,
    DirectMessage,
    Mention,
    Post,
    PostKey,
    direct_user,
)
from bot.ports import ClaimLost, DeliveryError, ResolveUnsupported, Tracker

__all__ = [
    "DiscordPublisher",
    "TokenRefused",
    "delivery_error",
    "describe",
]

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Discord deduplicates a resent nonce "in the past few minutes" (Create Message,
# docs/reference/discord.md §5): past this, a resend may post twice, so it is not promised.
NONCE_WINDOW = timedelta(minutes=3)
# What a post can fail with. discord.py lets aiohttp's errors (ServerDisconnectedError,
# ClientPayloadError) and timeouts through unwrapped.
SEND_ERRORS = (
    discord.DiscordException,
    aiohttp.ClientError,
    OSError,
    TimeoutError,
    ValueError,
    RuntimeError,
)  # RuntimeError: "Session is closed", a client swapped mid-post
# A digest edit is never looked for after a crash: it is sent again.
EDIT_KIND = "edit"
# Kinds whose part 1 is a reply with a nonce (also in a forum post), never a new forum post.
REPLY_KINDS = frozenset({"climber"})


class DiscordPublisher(ClientOwner):
    """Posts through discord.py's HTTP layer on the client it owns (`ClientOwner`: paced,
    logged in once, renewed after a failed login)."""

    platform = PLATFORM

    def __init__(
        self,
        new_client: NewClient,
        token: str,
        *,
        pacer: DiscordPacer | None = None,
        kinds: ChannelKinds | None = None,
    ) -> None:
        super().__init__(new_client, token, pacer=pacer)
        self.kinds: ChannelKinds = kinds if kinds is not None else MemoryChannelKinds()
        self._dm_channels: dict[str, str] = {}  # user id → their DM channel's id

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Send the post's parts after `tracker.parts_sent`, each claimed right before its
        request and with its nonce; return part 1's message id. A `DigestEdit` edits its
        message in place; a `Climber` goes in its digest's thread, or replies to the digest."""
        messages, title = render_post(post)
        first_id = tracker.first_id
        attempt: Attempt | None = None
        later: str | None = None  # where this call sends the parts after the first
        try:
            await self._ensure_login()
            for part in range(tracker.parts_sent + 1, len(messages) + 1):
                message, nonce = messages[part - 1], tracker.key.token(part)
                attempt = Attempt(tracker, part)
                thread_id: str | None = None
                if isinstance(post, DigestEdit):
                    message_id = await self._edit(post, edit_params(message), attempt)
                elif isinstance(post, DirectMessage):
                    body = params(message, nonce, False, title)
                    message_id, thread_id = await self._direct(post.user, body, attempt)
                elif isinstance(post, Mention):
                    message_id = await self._mention(post, message, nonce, title, attempt)
                elif isinstance(post, Climber):
                    message_id = await self._climber(post, message, nonce, title, attempt)
                elif part == 1:
                    body = params(message, nonce, True, title)
                    threaded = any(m.in_thread for m in messages[1:])
                    message_id, thread_id = await self._first(post.channel, body, attempt, threaded)
                else:
                    if later is None:
                        later = await self._later_in(post.channel, tracker, title)
                    body = params(message, nonce, False, title)
                    message_id, later = await self._later(
                        post.channel, later, body, attempt, message.in_thread
                    )
                    if later != tracker.thread_id:
                        thread_id = later  # the details fell back to the channel: recorded
                if part == 1:
                    first_id = message_id
                attempt = None  # answered: a failure of `sent` is the ledger's, not ours
                await tracker.sent(part, message_id, thread_id=thread_id)
        except ClaimLost:
            raise
        except SEND_ERRORS as exc:
            if refuses_token(exc) and self.refused is None:
                self.refused = describe(exc)
            uncertain = attempt is not None and attempt.uncertain
            if isinstance(post, DirectMessage):
                raise direct_error(exc, uncertain=uncertain) from None
            edit = isinstance(post, DigestEdit)
            # Sent to the digest's own thread (a forum post, its details' thread), not its
            # channel: that thread being gone is the digest's fault, not the channel's.
            in_thread = attempt is not None and attempt.channel not in (None, post.channel.channel)
            raise delivery_error(exc, uncertain=uncertain, edit=edit, in_thread=in_thread) from None
        if first_id is None:
            raise DeliveryError("Discord: part 1 has no message id")
        return first_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """None: send the part again, its nonce makes Discord return the message if it was
        posted (nonces are per channel: a later part or a climber is sent again where it went,
        in the thread `thread_id`). Discord cannot be asked for a message by nonce, so past its
        nonce window ("a few minutes") this is at least once. A forum post (part 1 in a forum)
        has no nonce: ResolveUnsupported. An edit is never looked for: it is sent again."""
        if key.kind == EDIT_KIND:
            return None
        direct = direct_user(key.channel) is not None  # a DM channel: never a forum
        if part == 1 and key.kind not in REPLY_KINDS and not direct:
            try:
                await self._ensure_login()
                kind = await self._kind(key.channel)
            except SEND_ERRORS as exc:
                raise delivery_error(exc) from None
            if kind == FORUM:
                raise ResolveUnsupported("Discord takes no nonce for a forum post's first message")
        if datetime.now(UTC) - since > NONCE_WINDOW:
            raise ResolveUnsupported("past Discord's nonce window, a resend is not deduplicated")
        return None

    # --- sending ------------------------------------------------------------------------

    async def _first(
        self, ref: ChannelRef, body: Part, attempt: Attempt, threaded: bool
    ) -> tuple[str, str]:
        """Send part 1; return its message id and where the later parts go (`threaded`: in a
        channel that takes threads, the thread to be started from it, which will have its id)."""
        kind = await self._kind(ref)
        if kind == FORUM:
            token = sending(attempt, ref.channel)
            try:
                thread: Any = await self.client.http.start_thread_in_forum(
                    int(ref.channel), params=body.forum
                )
            finally:
                done(token)
            # A forum post's first message has the thread's id.
            return str((thread.get("message") or thread)["id"]), str(thread["id"])
        message_id = await self._send(ref.channel, body, attempt)
        return message_id, message_id if threaded and kind != THREAD else ref.channel

    async def _later_in(self, ref: ChannelRef, tracker: Tracker, title: str) -> str:
        """Where the parts after the first go: a forum post's thread, the channel, or the
        thread planned from part 1, started now (160004: it already was), else the channel."""
        planned = tracker.thread_id or ref.channel
        if planned == ref.channel or planned != tracker.first_id:
            return planned
        kind = await self._kind(ref)
        if kind == FORUM:
            return planned  # the post's own thread
        if kind == THREAD:  # planned before its kind was known (a crash, an older version)
            return ref.channel
        return await details_in(
            self.client.http, ref, planned, title, lambda: self.kinds.set(ref, THREAD)
        )

    async def _later(
        self, ref: ChannelRef, where: str, body: Part, attempt: Attempt, in_thread: bool
    ) -> tuple[str, str]:
        """Send a part after the first to `where` (in a channel, only a part `in_thread`: a
        list continued past 25 papers stays beside part 1); its id, and where the next go."""
        if where == ref.channel or await self._kind(ref) == FORUM:
            return await self._send(where, body, attempt), where
        if not in_thread:
            return await self._send(ref.channel, body, attempt), where
        return await send_detail(self._send, ref, where, body, attempt)

    async def _send(self, channel_id: str, body: Part, attempt: Attempt) -> str:
        token = sending(attempt, channel_id)
        try:
            message = await self.client.http.send_message(int(channel_id), params=body.message)
        finally:
            done(token)
        return str(message["id"])

    async def _edit(self, edit: DigestEdit, body: MultipartParameters, attempt: Attempt) -> str:
        """PATCH the digest's first message (in a forum, the post's thread has its id)."""
        forum = await self._kind(edit.channel) == FORUM
        channel = edit.message_id if forum else edit.channel.channel
        token = sending(attempt, channel)
        try:
            message = await self.client.http.edit_message(
                int(channel), int(edit.message_id), params=body
            )
        finally:
            done(token)
        return str(message["id"])

    async def _climber(
        self, climber: Climber, message: DiscordMessage, nonce: str, title: str, attempt: Attempt
    ) -> str:
        """A late climber: in the digest's thread, else a reply to the digest (in a forum,
        a reply inside the digest's post; in a thread, which holds no thread, a reply there)."""
        reply = params(message, nonce, False, title, reply_to=climber.thread)
        kind = await self._kind(climber.channel)
        if kind == FORUM:
            return await self._send(climber.thread, reply, attempt)
        if kind == THREAD:
            return await self._send(climber.channel.channel, reply, attempt)
        in_thread = params(message, nonce, False, title)
        return await send_climber(self._send, climber, in_thread, reply, attempt)

    async def _direct(self, user: str, body: Part, attempt: Attempt) -> tuple[str, str]:
        """Send to the person's DM channel (opened once, then kept); the message's id and the
        channel's. A kept channel Discord no longer knows (10003) is opened again, once."""
        cached = user in self._dm_channels
        channel = await self._dm_channel(user)
        try:
            return await self._send(channel, body, attempt), channel
        except discord.NotFound as exc:
            if not cached or not unknown_channel(exc):
                raise
        self._dm_channels.pop(user, None)
        channel = await self._dm_channel(user)
        return await self._send(channel, body, attempt), channel

    async def _dm_channel(self, user: str) -> str:
        """The id of the DM channel with `user`: kept, else from Create DM (not a part's
        request: nothing is claimed for it)."""
        channel = self._dm_channels.get(user)
        if channel is None:
            data: Any = await self.client.http.start_private_message(int(user))
            channel = self._dm_channels[user] = str(data["id"])
        return channel

    async def _mention(
        self, mention: Mention, message: DiscordMessage, nonce: str, title: str, attempt: Attempt
    ) -> str:
        """A refused DM in its channel: a reply to the channel's alert for the paper (in a
        forum, inside the alert's post), posted on its own if the alert is gone; top level
        (in a forum, a post of its own) when the channel has no alert for it."""
        if mention.thread is None:
            body = params(message, nonce, True, title)
            message_id, _ = await self._first(mention.channel, body, attempt, False)
            return message_id
        reply = params(message, nonce, False, title, reply_to=mention.thread, orphan=True)
        if await self._kind(mention.channel) == FORUM:
            return await self._send(mention.thread, reply, attempt)  # the post has its id
        return await self._send(mention.channel.channel, reply, attempt)

    async def _kind(self, ref: ChannelRef) -> str:
        """The channel's kind: cached, else from the gateway's cache, else one GET."""
        kind = self.kinds.get(ref)
        if kind is not None:
            return kind
        channel: Any = self.client.get_channel(int(ref.channel))
        if channel is not None:
            kind = kind_of(channel.type.value)
        else:
            data: Any = await self.client.http.get_channel(int(ref.channel))
            kind = kind_of(int(data["type"]))
        self.kinds.set(ref, kind)
        return kind
