"""Workspace state and inspection records of the Slack fake (`SlackFake` in slack_api.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

ChannelState = Literal["ok", "not_found", "archived", "not_in_channel"]
TokenKind = Literal["bot", "user", "app"]
TokenState = Literal["active", "revoked", "inactive"]
MessageSource = Literal["chat.postMessage", "response_url", "user"]
# When a scripted fault strikes: before the method runs (nothing done) or after (done, recorded).
FaultWhen = Literal["before", "after"]
# What a scripted fault answers: wait (until released), a text, HTML or broken-JSON body with
# `status`, `{"ok": false, "error": …}` with `status`, or a closed connection without an answer.
FaultAnswer = Literal["hang", "non_json", "html", "bad_json", "error", "drop"]
# A reply to a deleted message: refused, or posted in the channel (SlackState.reply_to_deleted).
ReplyToDeleted = Literal["thread_not_found", "top_level"]
# What chat.postMessage answers a reply to a thread that takes none (docs/reference/slack.md §5):
# an admin locked it, or its parent is a message type that cannot have replies.
ThreadClosed = Literal["restricted_action_thread_locked", "cannot_reply_to_message"]
CHANNEL_STATES: tuple[ChannelState, ...] = ("ok", "not_found", "archived", "not_in_channel")
DEFAULT_BOT_SCOPES = (
    "chat:write", "commands", "users:read", "channels:read", "groups:read", "channels:history",
    "groups:history",
)  # fmt: skip
HISTORY_SCOPES = ("channels:history", "groups:history", "mpim:history", "im:history")


class SlackFakeError(AssertionError):
    """The fake could not do what the test asked (no Socket Mode client, no ack in time, …)."""


class ApiFailure(Exception):
    """Internal: answer `{"ok": false, "error": …}` (plus extra fields) with `status`."""

    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.status, self.extra = error, status, extra


@dataclass
class Channel:
    """A conversation in a workspace; `state` decides what chat.postMessage answers."""

    id: str
    name: str
    state: ChannelState = "ok"
    is_private: bool = False


@dataclass
class User:
    """A workspace member as users.info returns it."""

    id: str
    team_id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The `user` object of a users.info response."""
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.name.title(),
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {"real_name": self.name.title(), "display_name": self.name},
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }


@dataclass
class Team:
    """A workspace with its channels and users."""

    id: str
    name: str
    domain: str
    channels: dict[str, Channel] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class Token:
    """An access token the fake knows: its kind, team, bot identity, scopes and state."""

    value: str
    kind: TokenKind
    team_id: str | None
    scopes: frozenset[str] = frozenset()
    bot_user_id: str | None = None
    bot_id: str | None = None
    state: TokenState = "active"


@dataclass(frozen=True)
class Message:
    """A message that appeared in a channel (chat.postMessage or an in_channel response)."""

    team: str
    channel: str
    ts: str
    text: str | None
    blocks: list[Any] | None
    thread_ts: str | None = None
    user: str | None = None
    source: MessageSource = "chat.postMessage"
    payload: dict[str, Any] = field(default_factory=dict)  # everything the client sent
    metadata: dict[str, Any] | None = None  # {"event_type": …, "event_payload": {…}}
    bot_id: str | None = None  # the posting bot's id (B…), None for response_url messages
    edited: dict[str, str] | None = None  # {"user": …, "ts": …} of the latest edit
    version: int = 0  # how many times it was edited (chat.update or replace_original)


@dataclass(frozen=True)
class Edit:
    """One accepted edit of a message (chat.update, or a response_url `replace_original`)."""

    team: str
    channel: str
    ts: str  # the edited message's ts (unchanged by an edit)
    edited_ts: str  # when it was edited, as a Slack ts
    version: int  # 1 for the first edit
    text: str | None
    blocks: list[Any] | None
    metadata: dict[str, Any] | None  # what the message carries after the edit
    by: str | None  # the bot user (chat.update) or None (response_url)
    source: Literal["chat.update", "response_url"] = "chat.update"
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One Web API call: method, team and token kind (when known), and the outcome."""

    method: str
    team: str | None
    token_kind: TokenKind | None
    ok: bool
    error: str | None
    status: int = 200
    args: dict[str, Any] = field(default_factory=dict)
    http_method: str = "POST"
    content_type: str | None = None  # of the request body, None without one


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url, accepted or not (`ok`, `status`, `error`)."""

    url_id: str
    team: str
    channel: str
    user: str
    response_type: str
    text: str | None
    blocks: list[Any] | None
    ok: bool
    status: int
    error: str | None = None
    replace_original: bool = False
    delete_original: bool = False
    thread_ts: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # An accepted ephemeral answer is a message only `user` sees: its ts (to click its buttons)
    # and the clicker's own workspace (`team` is the channel's).
    message_ts: str | None = None
    user_team: str | None = None


@dataclass(frozen=True)
class Ack:
    """A Socket Mode ack: envelope, the payload sent with it, and its validation error. (One
    later than Slack's 3 seconds never arrives: `send_envelope` raises instead.)"""

    envelope_id: str
    type: str
    payload: dict[str, Any] | None
    raw: dict[str, Any]
    error: str | None = None  # what Slack would say about the ack payload (None: fine)
    late: bool = False  # arrived after the 3 seconds (`deliver` only): the user saw an error


@dataclass
class ResponseUrl:
    """A response_url the fake issued: 5 uses within 30 minutes of issue."""

    id: str
    team: str
    channel: str
    user: str
    issued_at: float
    uses: int = 0
    message_ts: str | None = None  # the message a block_actions click came from
    user_team: str | None = None  # the clicker's workspace, when not the channel's


@dataclass(frozen=True)
class Click:
    """A button click the fake delivered (`SlackFake.click`) and how the app answered it.

    `acked` within Slack's 3 seconds, else `late` and `user_saw_error` (Slack shows the clicker
    an error). `ack` is the Socket Mode ack or the HTTP status; `response_url` is the one issued
    for this click.
    """

    team: str  # the clicker's workspace
    user: str
    channel: str
    message_ts: str
    action_id: str
    value: str | None  # a button's value, or the overflow option chosen
    via: Literal["socket", "http"]
    payload: dict[str, Any]
    response_url: str
    acked: bool
    late: bool
    status: int | None = None  # HTTP mode: the app's status (None when it did not answer)
    ack: Ack | None = None  # Socket Mode: the ack (None when none came in time)
    ephemeral: bool = False  # on an ephemeral answer (`SlackFake.click_response`)

    @property
    def user_saw_error(self) -> bool:
        """What the clicker sees: an error unless a 200/ack came within 3 seconds."""
        return not self.acked or self.late or (self.status is not None and self.status != 200)


@dataclass
class OAuthCode:
    """A one-shot code for oauth.v2.access, issued by the test (10 minute lifetime like Slack)."""

    code: str
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    scopes: tuple[str, ...]
    installer: str
    issued_at: float
    redirect_uri: str | None = None
    used: bool = False


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second up to `burst`; `take` answers a Retry-After or 0."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def wait(self, now: float) -> int:
        """0 when a token is available now, else the whole seconds until one is."""
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        if self.tokens >= 1.0 - 1e-9:
            return 0
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))

    def take(self, now: float) -> int:
        """Consume one token and return 0, or return the whole seconds until one is available."""
        wait = self.wait(now)
        if wait == 0:
            self.tokens = max(0.0, self.tokens - 1.0)
        return wait


@dataclass
class ScriptedFault:
    """A scripted failure of `method` (to `channel`, when set) for the next `times` calls."""

    method: str
    channel: str | None
    times: int
    when: FaultWhen
    answer: FaultAnswer
    status: int = 500
    error: str = "internal_error"
    hang: float | None = None  # seconds a "hang" lasts; None: until released (or the fake stops)


@dataclass
class ScriptedLimit:
    """Forced 429s for a method (and channel, when set): `times` more, each with `retry_after`."""

    method: str
    channel: str | None
    times: int
    retry_after: int
