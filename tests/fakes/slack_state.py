"""Workspace state of the Slack fake: teams, tokens, channels, records and scripting knobs.

`SlackState` is the base of `SlackFake` (slack_api.py); tests use it through `SlackFake`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tests.fakes.slack_records import (
    CHANNEL_STATES,
    DEFAULT_BOT_SCOPES,
    Ack,
    ApiFailure,
    Bucket,
    Call,
    Channel,
    ChannelState,
    Click,
    Edit,
    Message,
    MessageSource,
    OAuthCode,
    ReplyToDeleted,
    ResponsePost,
    ResponseUrl,
    ScriptedFault,
    ScriptedLimit,
    Team,
    ThreadClosed,
    Token,
    User,
)
from tests.fakes.slack_socket import SocketModeHub

TIER3_PER_MINUTE = 50  # https://docs.slack.dev/apis/web-api/rate-limits


class SlackState:
    """Everything the fake knows and records; configure it before or while clients run."""

    def __init__(self, clock: Callable[[], float] = time.time, *, app_id: str = "A1") -> None:
        self.clock = clock
        self.app_id = app_id
        self.client_id = "1111.2222"
        self.client_secret = "fake-client-secret"
        self.verification_token = "fake-verification-token"  # the deprecated `token` field
        # chat.postMessage limits (https://docs.slack.dev/apis/web-api/rate-limits): about one
        # per second per channel with short bursts, and a workspace-wide ceiling (undocumented).
        self.post_rate = 1.0  # per second per (team, channel)
        self.post_burst = 3
        self.workspace_rate = 10.0  # per second per team, all channels together
        self.workspace_burst = 10
        # Served as Retry-After on every 429 when set (0: the client may retry at once).
        self.retry_after_override: int | None = None
        # Caps `limit` of conversations.history/replies (15 for new non-Marketplace apps).
        self.history_page_cap: int | None = None
        # chat.update is Tier 3, "50+ per minute" per method per workspace per app (same page).
        self.update_rate = TIER3_PER_MINUTE / 60.0  # per second per team
        self.update_burst = TIER3_PER_MINUTE
        self.strict_text = True  # reject `text` > 40,000 (production truncates)
        # What chat.postMessage does with the thread_ts of a message removed by
        # `delete_message`: refuse it (`thread_not_found`), or, as reported of Slack
        # (docs/reference/slack.md §5), post the reply in the channel and answer ok with a
        # `message` that has no `thread_ts`.
        self.reply_to_deleted: ReplyToDeleted = "thread_not_found"
        self.deleted: set[tuple[str, str, str]] = set()  # (team, channel, ts) of deleted messages
        # (team, channel, parent ts) -> the error a reply there gets (`close_thread`)
        self.closed_threads: dict[tuple[str, str, str], ThreadClosed] = {}
        self.teams: dict[str, Team] = {}
        self.tokens: dict[str, Token] = {}
        self.messages: list[Message] = []  # each message's current version
        self.edits: list[Edit] = []  # accepted edits (slack_edits.py), oldest first
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self.clicks: list[Click] = []  # button clicks delivered (slack_interactive.py)
        self.missing_fallback: list[Message] = []  # messages with blocks but no top-level text
        self.rate_limited_count = 0
        self.socket = SocketModeHub(app_id)
        self._app_token: str | None = None
        self.app_token = "xapp-test"
        self._response_urls: dict[str, ResponseUrl] = {}
        self._codes: dict[str, OAuthCode] = {}
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._team_buckets: dict[str, Bucket] = {}
        self._update_buckets: dict[str, Bucket] = {}
        self._scripted: list[ScriptedLimit] = []
        self.faults_served = 0  # scripted faults answered (slack_faults.py)
        self.hanging = 0  # requests waiting in a scripted "hang" right now
        self._faults: list[ScriptedFault] = []
        self._release = asyncio.Event()
        self._hang_started = asyncio.Event()
        self._last_ts = 0
        self._port = 0

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321`, while the fake is started."""
        if not self._port:
            raise RuntimeError("SlackFake is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def app_token(self) -> str | None:
        """The app-level `xapp-` token that may call apps.connections.open (None: no app token)."""
        return self._app_token

    @app_token.setter
    def app_token(self, value: str | None) -> None:
        if self._app_token is not None:
            self.tokens.pop(self._app_token, None)
        self._app_token = value
        if value is not None:
            self.tokens[value] = Token(value, "app", None)

    # ------------------------------------------------------------------ workspace setup

    def add_team(
        self,
        team_id: str,
        *,
        bot_token: str,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        channels: Iterable[str] | Mapping[str, str] = (),
        name: str | None = None,
        domain: str | None = None,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
    ) -> Team:
        """Add (or extend) a workspace with a bot token, users `{id: {"is_admin": …}}`, channels.

        `channels` is a list of ids or a mapping id → name. User flags: is_admin, is_owner,
        is_primary_owner, is_bot, name. Another app's bot in the same team: a second call with
        its own `bot_token`, `bot_user_id` and `bot_id`.
        """
        team = self.teams.get(team_id)
        if team is None:
            label = name or f"Team {team_id}"
            team = Team(team_id, label, domain or team_id.lower())
            self.teams[team_id] = team
        names = channels if isinstance(channels, Mapping) else {c: c.lower() for c in channels}
        for channel_id, channel_name in names.items():
            team.channels[channel_id] = Channel(channel_id, channel_name)
        for user_id, flags in (users or {}).items():
            self.add_user(team_id, user_id, **flags)
        bot_user = bot_user_id or f"UBOT{team_id}"
        self.tokens[bot_token] = Token(
            bot_token, "bot", team_id, frozenset(scopes), bot_user, bot_id or f"B{team_id}"
        )
        return team

    def add_user(
        self,
        team_id: str,
        user_id: str,
        *,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
    ) -> User:
        """Add a member to a workspace (owners are admins too, as in Slack)."""
        user = User(
            user_id,
            team_id,
            name or user_id.lower(),
            is_admin=is_admin or is_owner or is_primary_owner,
            is_owner=is_owner or is_primary_owner,
            is_primary_owner=is_primary_owner,
            is_bot=is_bot,
        )
        self.teams[team_id].users[user_id] = user
        return user

    def set_channel(
        self,
        team_id: str,
        channel_id: str,
        state: ChannelState = "ok",
        *,
        private: bool | None = None,
    ) -> None:
        """Set a channel's state (ok, not_found, archived, not_in_channel) and, if given, whether
        it is private (its history then needs groups:history); creates it if new."""
        if state not in CHANNEL_STATES:
            raise ValueError(f"unknown channel state {state!r}; use one of {CHANNEL_STATES}")
        team = self.teams[team_id]
        channel = team.channels.setdefault(channel_id, Channel(channel_id, channel_id.lower()))
        channel.state = state
        if private is not None:
            channel.is_private = private

    def grant(self, token: str, *scopes: str) -> None:
        """Add scopes to a token (as a reinstall granting them would)."""
        self.tokens[token].scopes |= frozenset(scopes)

    def withhold(self, token: str, *scopes: str) -> None:
        """Take scopes from a token (an install that never granted them)."""
        self.tokens[token].scopes -= frozenset(scopes)

    def revoke(self, token: str) -> None:
        """Revoke a token: every later call with it answers `token_revoked`."""
        self.tokens[token].state = "revoked"

    def deactivate(self, token: str) -> None:
        """Make the token's account inactive: later calls answer `account_inactive`."""
        self.tokens[token].state = "inactive"

    def issue_oauth_code(
        self,
        team_id: str,
        *,
        team_name: str | None = None,
        bot_token: str,
        bot_user_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
        installer: str = "UINSTALLER",
        redirect_uri: str | None = None,
    ) -> str:
        """A one-shot code for oauth.v2.access that installs `bot_token` into `team_id`."""
        code = f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(8)}"
        self._codes[code] = OAuthCode(
            code,
            team_id,
            team_name or f"Team {team_id}",
            bot_token,
            bot_user_id or f"UBOT{team_id}",
            tuple(scopes),
            installer,
            self.clock(),
            redirect_uri,
        )
        return code

    def script_rate_limit(
        self,
        channel: str | None = None,
        *,
        times: int = 1,
        retry_after: int = 1,
        method: str = "chat.postMessage",
    ) -> None:
        """Force the next `times` calls of `method` (to `channel`, if given) to get a 429."""
        self._scripted.append(ScriptedLimit(method, channel, times, retry_after))

    # ------------------------------------------------------------------ inspection

    @property
    def acks(self) -> list[Ack]:
        """Every Socket Mode ack received, in order."""
        return self.socket.acks

    def messages_in(self, channel: str, team: str | None = None) -> list[Message]:
        """Messages that appeared in `channel` (of `team`, if given), oldest first."""
        return [
            m for m in self.messages if m.channel == channel and (team is None or m.team == team)
        ]

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one Web API method."""
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------------ recording

    def _record(
        self,
        team: str,
        channel: str,
        payload: dict[str, Any],
        thread_ts: str | None,
        user: str | None,
        source: MessageSource = "chat.postMessage",
        *,
        metadata: dict[str, Any] | None = None,
        bot_id: str | None = None,
    ) -> Message:
        blocks = payload.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks) if blocks.strip() else None
        message = Message(
            team=team,
            channel=channel,
            ts=self._next_ts(),
            text=str_or_none(payload.get("text")),
            blocks=blocks or None,
            thread_ts=thread_ts,
            user=user,
            source=source,
            payload=dict(payload),
            metadata=metadata,
            bot_id=bot_id,
        )
        self.messages.append(message)  # seen from now on, whatever the answer becomes
        if message.blocks and not message.text:
            self.missing_fallback.append(message)
        return message

    def _team(self, token: Token) -> Team:
        if token.team_id is None or token.team_id not in self.teams:
            raise ApiFailure("invalid_auth")
        return self.teams[token.team_id]

    def _channel(self, team: Team, channel_id: Any) -> Channel:
        channel = team.channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or channel.state == "not_found":
            raise ApiFailure("channel_not_found")
        return channel

    def _next_ts(self) -> str:
        micros = max(int(self.clock() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def str_or_none(value: Any) -> str | None:
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None
