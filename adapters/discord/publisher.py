"""Posting digests and alerts to Discord channels exactly once (forum channels get a new post).

Every message carries a nonce (`PostKey.token(part)`) with `enforce_nonce`: when the same
author sends the same nonce again within a few minutes, Discord returns the first message
instead of creating a second (developers/resources/message "Create Message"). So a part whose
fate is unknown after a crash or a dropped connection is simply sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord.http import MultipartParameters, handle_message_parameters

from adapters.discord.channel_kinds import FORUM, ChannelKinds, MemoryChannelKinds, kind_of
from adapters.discord.limits import THREAD_NAME_MAX
from adapters.discord.pacing import DiscordPacer
from adapters.discord.render import (
    DiscordMessage,
    render_alert,
    render_digest,
    render_reply,
    thread_name,
)
from adapters.discord.send import Attempt, RequestHooks, done, sending
from bot.domain import Alert, ChannelRef, Digest, Notice, Post, PostKey
from bot.ports import ClaimLost, DeliveryError, ResolveUnsupported, Tracker

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Discord deduplicates a resent nonce "in the past few minutes" (Create Message,
# docs/reference/discord.md §5): past this, a resend may post twice, so it is not promised.
NONCE_WINDOW = timedelta(minutes=3)
# Paper titles and queries are user text: never let them ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()
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
# 400s that are about the channel, not the message (JSON error codes, Discord's
# opcodes-and-status-codes page): "Cannot send messages in a non-text channel" and
# "Thread is archived". Any other 400 (50035 Invalid Form Body, 50006 Cannot send an empty
# message, …) is Discord refusing this message itself.
CHANNEL_400_CODES = frozenset({50008, 50083})
MESSAGE_FAULT_STATUSES = frozenset({400, 413})  # Bad Request, Payload Too Large
UNAUTHORIZED = 401

NewClient = Callable[[], discord.Client]


class TokenRefused(discord.LoginFailure):
    """Discord refused the token before: no login is tried again until paperboy restarts."""


class DiscordPublisher:
    """Posts through discord.py's HTTP layer, which waits out rate limits per route; a
    `DiscordPacer` keeps all requests together under Discord's global limit.

    It owns the discord.py client: a client that was closed (or half-opened by a failed
    login) cannot log in again, so `renew()` swaps it for a fresh one from `new_client`.
    A refused token is remembered: later posts fail at once, without another login.
    """

    platform = PLATFORM

    def __init__(
        self,
        new_client: NewClient,
        token: str,
        *,
        pacer: DiscordPacer | None = None,
        kinds: ChannelKinds | None = None,
    ) -> None:
        self._new_client = new_client
        self.token = token
        self.pacer = pacer or DiscordPacer()
        self.kinds: ChannelKinds = kinds if kinds is not None else MemoryChannelKinds()
        self._hooks = RequestHooks(lambda: self.pacer)
        self.client = self._make_client()
        self._login = asyncio.Lock()
        self._used = False  # a login was attempted on this client: it must be closed
        self.logged_in = False
        self._closed = False  # paperboy is stopping: no new logins
        self.refused: str | None = None  # why Discord refused the token, once it has

    @property
    def rate_limited(self) -> int:
        """How many 429s Discord answered (discord.py retries most of them itself)."""
        return self._hooks.rate_limited

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Send the post's parts after `tracker.parts_sent`, each claimed right before its
        request and with its nonce; return part 1's message id."""
        messages, title = _render(post)
        first_id = tracker.first_id
        attempt: Attempt | None = None
        try:
            await self._ensure_login()
            for part in range(tracker.parts_sent + 1, len(messages) + 1):
                params = _params(messages[part - 1], tracker.key.token(part), part == 1, title)
                attempt = Attempt(tracker, part)
                if part == 1:
                    message_id, thread_id = await self._first(post.channel, params, attempt)
                    first_id = message_id
                else:
                    target = tracker.thread_id or post.channel.channel
                    message_id = await self._send(target, params, attempt)
                    thread_id = None
                attempt = None  # answered: a failure of `sent` is the ledger's, not ours
                await tracker.sent(part, message_id, thread_id=thread_id)
        except ClaimLost:
            raise
        except SEND_ERRORS as exc:
            if _refuses_token(exc) and self.refused is None:
                self.refused = describe(exc)
            raise delivery_error(exc, uncertain=attempt is not None and attempt.uncertain) from None
        if first_id is None:
            raise DeliveryError("Discord: part 1 has no message id")
        return first_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """None: send the part again, its nonce makes Discord return the message if it was
        posted. Discord cannot be asked for a message by nonce, so past its nonce window
        ("a few minutes") this is at least once. A forum post (part 1 in a forum) has no
        nonce: ResolveUnsupported."""
        if part == 1:
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

    async def login(self) -> None:
        """Log in over REST once (no gateway); `close()` closes the session."""
        await self._ensure_login()

    async def renew(self) -> None:
        """Close the current client, if it was ever used, and start over with a fresh one."""
        async with self._login:
            await self._renew()

    async def close(self) -> None:
        """Close the client, if a login was ever attempted on it. Does not wait for a login
        in progress: closing the session aborts it."""
        self._closed = True
        await self._close()

    # --- sending ------------------------------------------------------------------------

    async def _first(self, ref: ChannelRef, params: _Part, attempt: Attempt) -> tuple[str, str]:
        """Send part 1; return its message id and where the later parts go."""
        if await self._kind(ref) == FORUM:
            token = sending(attempt)
            try:
                thread: Any = await self.client.http.start_thread_in_forum(
                    int(ref.channel), params=params.forum
                )
            finally:
                done(token)
            # A forum post's first message has the thread's id.
            return str((thread.get("message") or thread)["id"]), str(thread["id"])
        return await self._send(ref.channel, params, attempt), ref.channel

    async def _send(self, channel_id: str, params: _Part, attempt: Attempt) -> str:
        token = sending(attempt)
        try:
            message = await self.client.http.send_message(int(channel_id), params=params.message)
        finally:
            done(token)
        return str(message["id"])

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

    # --- the client ---------------------------------------------------------------------

    def _make_client(self) -> discord.Client:
        # paperboy joins no voice channel: without this, creating a client logs "PyNaCl / davey
        # is not installed, voice will NOT be supported" (discord.Client.__init__).
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        client = self._new_client()
        # discord.py's `http_trace` client option (read when `login` opens the session), set
        # here so that every client `new_client` builds is paced.
        client.http.http_trace = self._hooks.trace
        return client

    async def _ensure_login(self) -> None:
        # Posting needs only REST: `paperboy digest --send` logs in without a gateway.
        async with self._login:
            if self._closed:
                raise DeliveryError(
                    "paperboy is stopping; the post waits for the next start", stopping=True
                )
            if self.refused is not None:
                raise TokenRefused(self.refused)
            if self.logged_in:
                return
            self._used = True
            try:
                await self.client.login(self.token)
            except BaseException as exc:
                if isinstance(exc, discord.LoginFailure):
                    self.refused = describe(exc)
                # A failed login leaves a half-open session behind and the client unable to
                # log in again: the next attempt starts from a fresh client.
                await self._renew()
                raise
            self.logged_in = True

    async def _renew(self) -> None:
        if self._used and not self._closed:
            await self._close()
            self.client = self._make_client()
            self._used = False

    async def _close(self) -> None:
        if self._used:
            with contextlib.suppress(Exception):
                # Shielded: a cancelled caller must not cancel discord.py's own close task,
                # which the next close() would then re-raise.
                await asyncio.shield(self.client.close())
        self.logged_in = False


@dataclass(frozen=True)
class _Part:
    """One message's request body, for a channel (with its nonce) or as a new forum post."""

    message: MultipartParameters
    forum: MultipartParameters


def _render(post: Post) -> tuple[list[DiscordMessage], str]:
    """The post's messages and its forum post title."""
    if isinstance(post, Digest):
        return render_digest(post), thread_name(post)
    if isinstance(post, Notice):
        return render_reply(post.as_reply()), post.title[:THREAD_NAME_MAX]
    alert: Alert = post
    name = " ".join(alert.paper.title.split())[:THREAD_NAME_MAX] or alert.paper.id
    return render_alert(alert), name


def _params(message: DiscordMessage, nonce: str, first: bool, title: str) -> _Part:
    """Request bodies built like discord.py's `Messageable.send` and
    `ForumChannel.create_thread` build them."""
    params = handle_message_parameters(
        content=message.content or None,
        embeds=message.embeds,
        allowed_mentions=NO_MENTIONS,
        nonce=nonce,
    )
    assert params.payload is not None  # no files: a JSON body
    params.payload["enforce_nonce"] = True  # discord.py 2.7 sets it too; older ones did not
    forum = params
    if first:
        # "Start Thread in Forum or Media Channel" documents no nonce for the message.
        forum = handle_message_parameters(
            content=message.content or None,
            embeds=message.embeds,
            allowed_mentions=NO_MENTIONS,
            channel_payload={"name": title},
        )
    return _Part(params, forum)


def describe(exc: BaseException) -> str:
    """A discord.py (or network) failure in one line."""
    if isinstance(exc, TokenRefused):
        return str(exc)  # already the first refusal's line
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return f"{type(exc).__name__}: {exc.text or exc.status}"
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}: {exc.text}"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _refuses_token(exc: BaseException) -> bool:
    return isinstance(exc, discord.LoginFailure) or (
        isinstance(exc, discord.HTTPException) and exc.status == UNAUTHORIZED
    )


def delivery_error(exc: Exception, *, uncertain: bool = False) -> DeliveryError:
    """Translate a discord.py (or network) failure.

    A refused token fails the whole bot. 403 and 404 mean the channel is gone (permanent); a
    400 is Discord refusing this message (a message fault, not the channel's), except for the
    codes that are about the channel. `uncertain`: a request left and no answer proved that
    nothing was posted (a timeout, a dropped connection, a 5xx).
    """
    if _refuses_token(exc):
        return DeliveryError(
            f"the token was refused ({describe(exc)})", permanent=True, whole_platform=True
        )
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return DeliveryError(describe(exc), permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 400 and exc.code in CHANNEL_400_CODES:
            return DeliveryError(describe(exc), permanent=True)
        return DeliveryError(
            describe(exc),
            message_fault=exc.status in MESSAGE_FAULT_STATUSES,
            uncertain=uncertain and exc.status >= 500,
        )
    if isinstance(exc, ValueError):  # discord.py refused to build the message (> 10 embeds)
        return DeliveryError(describe(exc), message_fault=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return DeliveryError(describe(exc))  # never connected: nothing left
    return DeliveryError(describe(exc), uncertain=uncertain)
