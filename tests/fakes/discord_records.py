"""Records, snowflakes and constants of the Discord fake (`DiscordFake` in discord_api.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

DISCORD_EPOCH_MS = 1_420_070_400_000
API_PREFIX = "/api/v10"

# Permission bits (developers/topics/permissions.mdx)
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_PUBLIC_THREADS = 1 << 35
BASIC_MEMBER = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
DEFAULT_BOT_PERMISSIONS = (
    BASIC_MEMBER | EMBED_LINKS | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
)
ALL_PERMISSIONS = (1 << 51) - 1
# Channel flag REQUIRE_TAG: "whether a tag is required to be specified when creating a thread
# in a GUILD_FORUM or a GUILD_MEDIA channel" (developers/resources/channel.mdx "Channel Flags")
REQUIRE_TAG = 1 << 4

# Channel types (developers/resources/channel.mdx)
TEXT, NEWS, ANNOUNCEMENT_THREAD, PUBLIC_THREAD, FORUM = 0, 5, 10, 11, 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD})

EPHEMERAL = 1 << 6
LOADING = 1 << 7

MessageSource = Literal["channel", "forum_post", "webhook", "interaction", "followup"]

_counter = itertools.count(1)


def snowflake(at: float | None = None) -> int:
    """A fresh, unique snowflake whose timestamp is `at` (default now, real wall clock)."""
    ms = int((time.time() if at is None else at) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | (next(_counter) & 0xFFF)


def iso(at: float | None = None) -> str:
    """An ISO-8601 timestamp like Discord's (`2026-11-29T20:00:00.000000+00:00`)."""
    t = time.time() if at is None else at
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}+00:00"


class DiscordFakeError(AssertionError):
    """The fake could not do what the test asked (unknown command, no shard connected, …)."""


@dataclass
class Channel:
    """A guild channel (text 0, news 5, forum 15) or a thread (announcement 10, public 11)
    created through the API."""

    id: int
    guild_id: int
    name: str
    type: int = TEXT
    parent_id: int | None = None  # for threads: the text or forum channel
    position: int = 0
    owner_id: int | None = None  # for threads: who started it (None: the bot)
    auto_archive: int = 1440  # for threads: minutes without a message before it is archived
    active_at: float = 0.0  # for threads: its creation or last message, by the fake's clock
    flags: int = 0  # channel flags (REQUIRE_TAG on a forum)


@dataclass
class Guild:
    """A guild with its channels and members (user id → guild-wide permissions int)."""

    id: int
    name: str
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    owner_id: int = 1


@dataclass(frozen=True)
class RequestRecord:
    """One REST request: method, path (after /api/v10), status, query and JSON body if any."""

    method: str
    path: str
    status: int
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    code: int | None = None  # Discord error code of an error answer
    at: float = 0.0  # when it arrived, by the fake's clock
    route: str = ""  # the route template, e.g. "/channels/{channel_id}/messages"
    exempt: bool = False  # not counted against the global limit (interaction endpoints)
    scope: str | None = None  # X-RateLimit-Scope of a 429

    @property
    def invalid(self) -> bool:
        """Counts towards Discord's invalid request limit (401, 403, 429 not `shared`)."""
        return self.status in (401, 403) or (self.status == 429 and self.scope != "shared")


@dataclass(frozen=True)
class Message:
    """A message that exists in a channel or thread (not ephemeral interaction messages)."""

    id: int
    channel_id: int  # the thread's id for messages in threads and forum posts
    guild_id: int | None
    content: str
    embeds: list[dict[str, Any]]
    flags: int = 0
    source: MessageSource = "channel"
    parent_id: int | None = None  # the text/forum channel when channel_id is a thread
    thread_name: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    nonce: int | str | None = None
    created_at: float = 0.0  # by the fake's clock
    author_id: int | None = None  # the bot, for messages created over REST
    edited_at: float | None = None  # the latest edit, by the fake's clock
    edited_timestamp: str | None = None  # the same, as Discord's ISO-8601 string
    version: int = 0  # how many edits it has had


@dataclass(frozen=True)
class MessageEdit:
    """One accepted Edit Message (PATCH /channels/{channel_id}/messages/{message_id})."""

    message_id: int
    channel_id: int
    version: int  # 1 for the first edit
    at: float  # by the fake's clock
    age: float  # how old the message was at the edit, in seconds
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    payload: dict[str, Any] = field(default_factory=dict)  # exactly what the client sent


@dataclass(frozen=True)
class Identify:
    """An IDENTIFY (op 2) the gateway received; `shard` is None when the client sent none."""

    token: str
    shard: tuple[int, int] | None
    intents: int | None
    accepted: bool
    raw: dict[str, Any]


@dataclass(frozen=True)
class Callback:
    """An accepted interaction callback (POST /interactions/{id}/{token}/callback)."""

    interaction_id: int
    type: int
    data: dict[str, Any] | None
    elapsed: float  # seconds from dispatch to the callback, by the fake's clock
    with_response: bool

    @property
    def ephemeral(self) -> bool:
        """True when the response (or the deferred message) carries flag 64."""
        return bool((self.data or {}).get("flags", 0) & EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete choices of a type 8 callback (empty for other types)."""
        return list((self.data or {}).get("choices", [])) if self.type == 8 else []


@dataclass(frozen=True)
class Followup:
    """A follow-up or an edit of @original through the interaction webhook."""

    interaction_id: int
    message_id: int
    method: Literal["POST", "PATCH"]
    content: str | None
    embeds: list[dict[str, Any]]
    flags: int  # what the client asked for
    ephemeral: bool  # what the user sees: the defer's flag decides for the message it fills
    fills_deferred: bool  # first POST after a type 5 callback, or a PATCH of @original
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncedCommand:
    """An application command as stored after a bulk overwrite (what GET would return)."""

    id: int
    name: str
    guild_id: int | None
    data: dict[str, Any]  # the stored object, as returned by the PUT
    sent: dict[str, Any]  # exactly what the client sent for it


@dataclass
class InteractionRecord:
    """A dispatched interaction; await `callback()` / `followups_after()` / `choices()`."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    payload: dict[str, Any]
    dispatched_at: float
    callback_record: Callback | None = None
    followups: list[Followup] = field(default_factory=list)
    original_message_id: int | None = None
    deferred_ephemeral: bool | None = None  # set by a type 5 callback
    deferred_filled: bool = False
    _event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _followup_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def callback(self, timeout: float = 3.0) -> Callback:
        """Wait for the accepted callback; raise DiscordFakeError when none comes in time."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            raise DiscordFakeError(f"no callback for interaction {self.id} in {timeout}s") from None
        assert self.callback_record is not None
        return self.callback_record

    async def wait_followups(self, count: int = 1, timeout: float = 3.0) -> list[Followup]:
        """Wait until at least `count` follow-ups/edits arrived; return all of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.followups) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise DiscordFakeError(
                    f"{len(self.followups)} of {count} follow-ups for {self.id} in {timeout}s"
                )
            self._followup_event.clear()
            try:
                await asyncio.wait_for(self._followup_event.wait(), remaining)
            except TimeoutError:
                continue
        return list(self.followups)

    async def choices(self, timeout: float = 3.0) -> list[dict[str, Any]]:
        """For an autocomplete interaction: the choices the bot answered (type 8 callback)."""
        cb = await self.callback(timeout)
        if cb.type != 8:
            raise DiscordFakeError(f"autocomplete answered with callback type {cb.type}")
        return cb.choices

    def _record_callback(self, cb: Callback) -> None:
        self.callback_record = cb
        self._event.set()

    def _record_followup(self, f: Followup) -> None:
        self.followups.append(f)
        self._followup_event.set()


class ApiError(Exception):
    """An error answer of the REST API: HTTP status and Discord's JSON body."""

    def __init__(self, status: int, message: str, code: int, body: dict[str, Any] | None = None):
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body = body if body is not None else {"message": message, "code": code}
        self.code = code

    @classmethod
    def of(cls, status: int, body: dict[str, Any]) -> ApiError:
        """Wrap a ready-made error body (e.g. from `validate_message`)."""
        return cls(status, str(body.get("message")), int(body.get("code", 0)), body)


def unauthorized() -> ApiError:
    """401 for a missing or wrong bot token."""
    return ApiError(401, "401: Unauthorized", 0)


def unknown_channel() -> ApiError:
    """404 10003."""
    return ApiError(404, "Unknown Channel", 10003)


def unknown_message() -> ApiError:
    """404 10008."""
    return ApiError(404, "Unknown Message", 10008)


def unknown_webhook() -> ApiError:
    """404 10015."""
    return ApiError(404, "Unknown Webhook", 10015)


def unknown_interaction() -> ApiError:
    """404 10062: unknown, expired (no callback within 3 s) or wrong token."""
    return ApiError(404, "Unknown interaction", 10062)


def already_acknowledged() -> ApiError:
    """400 40060: a second initial response."""
    return ApiError(400, "Interaction has already been acknowledged.", 40060)


def invalid_webhook_token() -> ApiError:
    """401 50027: the interaction token is older than 15 minutes."""
    return ApiError(401, "Invalid Webhook Token", 50027)


def thread_archived() -> ApiError:
    """400 50083: an edit of a message in an archived thread."""
    return ApiError(400, "Thread is archived", 50083)


def forbidden(code: int) -> ApiError:
    """403 50001 Missing Access or 50013 Missing Permissions."""
    return ApiError(403, "Missing Access" if code == 50001 else "Missing Permissions", code)


@dataclass(frozen=True)
class IncomingWebhook:
    """A channel webhook the test created (`DiscordFake.add_webhook`)."""

    id: int
    token: str
    channel_id: int
    name: str
