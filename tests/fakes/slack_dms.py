"""Direct messages in the Slack fake: conversations.open with one user, and the D channel.

`conversations.open` with `users=U…` (one user of the token's workspace) answers
`{"channel": {"id": "D…"}}`, the same id every time for the same (team, user), and needs
`im:write` (docs: https://docs.slack.dev/reference/methods/conversations.open/). An unknown user
answers `user_not_found`, one the test deactivated (`deactivate_user`) `user_disabled`, a bot
user (an `is_bot` member, or a bot token's own user) `cannot_dm_bot`. The D channel is a channel
of the workspace from then on: chat.postMessage posts there like anywhere else (recorded on
arrival, metadata, threads, rate limits) and conversations.history / .replies read it, with
`im:history` instead of channels:history. Opening several users at once (a group DM) and
`channel=` instead of `users=` are not modelled: the fake answers its own `fake_not_modelled`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.fakes.slack_history import HistoryApi
from tests.fakes.slack_records import ApiFailure, Channel, Message, Team, Token
from tests.fakes.slack_state import str_or_none

IM_HISTORY = "im:history"  # features.md: reading DM history needs im:history


class DirectMessageApi(HistoryApi):
    """conversations.open, the D channels it opens, and `dms(user)` to read them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dm_channels: dict[tuple[str, str], str] = {}  # (team, user) → D channel id
        self._dm_users: dict[tuple[str, str], str] = {}  # (team, D channel id) → user
        self.deactivated_users: set[tuple[str, str]] = set()  # (team, user)

    # ------------------------------------------------------------------ setup, inspection

    def deactivate_user(self, team_id: str, user_id: str) -> None:
        """Mark a member as deactivated: conversations.open with them answers `user_disabled`."""
        if user_id not in self.teams[team_id].users:
            raise KeyError(f"no user {user_id} in team {team_id}")
        self.deactivated_users.add((team_id, user_id))

    def dm_channel(self, user_id: str, team: str | None = None) -> str | None:
        """The D channel opened with `user_id` (in `team`, if given), or None."""
        return next(
            (c for (t, u), c in self.dm_channels.items() if u == user_id and team in (None, t)),
            None,
        )

    def dms(self, user_id: str, team: str | None = None) -> list[Message]:
        """Messages posted in the D channel(s) opened with `user_id` (of `team`, if given),
        oldest first, thread replies included."""
        opened = {(t, c) for (t, u), c in self.dm_channels.items() if u == user_id}
        return [
            m
            for m in self.messages
            if (m.team, m.channel) in opened and (team is None or m.team == team)
        ]

    # ------------------------------------------------------------------ Web API

    def _conversations_open(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        users = [u.strip() for u in (str_or_none(args.get("users")) or "").split(",")]
        users = [u for u in users if u]
        if args.get("channel") not in (None, "") or len(users) > 1:
            raise ApiFailure("fake_not_modelled")  # the fake's own: only one-user DMs
        if users and users[0] in _bot_users(self.tokens.values(), team):
            raise ApiFailure("cannot_dm_bot")  # an installed app's bot (not in `team.users`)
        user = team.users.get(users[0]) if users else None
        if user is None:
            raise ApiFailure("user_not_found")
        if user.is_bot:
            raise ApiFailure("cannot_dm_bot")
        if (team.id, user.id) in self.deactivated_users:
            raise ApiFailure("user_disabled")
        return {"channel": {"id": self._open_dm(team, user.id)}}

    def _open_dm(self, team: Team, user_id: str) -> str:
        channel_id = self.dm_channels.get((team.id, user_id))
        if channel_id is None:
            channel_id = f"D{len(self.dm_channels) + 1:010d}"
            self.dm_channels[(team.id, user_id)] = channel_id
            self._dm_users[(team.id, channel_id)] = user_id
        # (Re)made a channel of the workspace, so posting and history find it.
        team.channels.setdefault(channel_id, Channel(channel_id, user_id.lower()))
        return channel_id

    def _readable_channel(self, token: Token, args: dict[str, Any]) -> Channel:
        channel_id = args.get("channel")
        team = self._team(token)
        if not isinstance(channel_id, str) or (team.id, channel_id) not in self._dm_users:
            return super()._readable_channel(token, args)
        if IM_HISTORY not in token.scopes:
            raise ApiFailure(
                "missing_scope", needed=IM_HISTORY, provided=",".join(sorted(token.scopes))
            )
        return self._channel(team, channel_id)


def _bot_users(tokens: Iterable[Token], team: Team) -> set[str]:
    """The bot users of the apps installed in `team` (their bot tokens' users)."""
    return {
        t.bot_user_id
        for t in tokens
        if t.kind == "bot" and t.team_id == team.id and t.bot_user_id is not None
    }
