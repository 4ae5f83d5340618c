"""conversations.history and conversations.replies of the Slack fake, paged like Slack's.

history: top-level messages and thread parents of a channel, newest first; replies: a thread's
parent, then its replies oldest first. Both filter by `oldest`/`latest` (exclusive unless
`inclusive`), page with `limit` and an opaque `cursor`, return message `metadata` only with
`include_all_metadata`, and need channels:history (public) or groups:history (private).
https://docs.slack.dev/reference/methods/conversations.history
https://docs.slack.dev/reference/methods/conversations.replies
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.fakes.slack_records import HISTORY_SCOPES, ApiFailure, Channel, Message, Token
from tests.fakes.slack_state import SlackState

DEFAULT_LIMIT = 100
MAX_LIMIT = 999
_TRUE = ("1", "true", "True")


class HistoryApi(SlackState):
    """The two history readers (registered in slack_web's method table)."""

    def _conversations_history(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        channel = self._readable_channel(token, args)
        oldest, latest, inclusive = _window(args)
        top = [
            m for m in self.messages_in(channel.id, team.id)
            if m.thread_ts is None and _within(m.ts, oldest, latest, inclusive)
        ]  # fmt: skip
        top.sort(key=lambda m: Decimal(m.ts), reverse=True)
        page, cursor = self._page(top, args, newest_first=True)
        return self._answer(page, cursor, args, team.id, channel.id)

    def _conversations_replies(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        channel = self._readable_channel(token, args)
        messages = self.messages_in(channel.id, team.id)
        parent = next((m for m in messages if m.ts == args.get("ts")), None)
        if parent is None:
            raise ApiFailure("thread_not_found")
        if parent.thread_ts is not None:  # a reply's ts: Slack answers with just that message
            return self._answer([parent], None, args, team.id, channel.id)
        oldest, latest, inclusive = _window(args)
        replies = sorted(
            (m for m in messages
             if m.thread_ts == parent.ts and _within(m.ts, oldest, latest, inclusive)),
            key=lambda m: Decimal(m.ts),
        )  # fmt: skip
        first_page = not args.get("cursor")
        page, cursor = self._page(replies, args, newest_first=False, reserve=int(first_page))
        return self._answer(
            [parent, *page] if first_page else page, cursor, args, team.id, channel.id
        )

    def _readable_channel(self, token: Token, args: dict[str, Any]) -> Channel:
        if not token.scopes & set(HISTORY_SCOPES):
            raise ApiFailure(
                "missing_scope",
                needed=",".join(HISTORY_SCOPES),
                provided=",".join(sorted(token.scopes)),
            )
        channel = self._channel(self._team(token), args.get("channel"))
        needed = "groups:history" if channel.is_private else "channels:history"
        if needed not in token.scopes:
            raise ApiFailure(
                "missing_scope", needed=needed, provided=",".join(sorted(token.scopes))
            )
        if channel.state == "not_in_channel":
            raise ApiFailure("not_in_channel")
        return channel

    def _page(
        self,
        messages: list[Message],
        args: dict[str, Any],
        *,
        newest_first: bool,
        reserve: int = 0,
    ) -> tuple[list[Message], str | None]:
        """One page from the cursor on (`reserve` slots go to a thread's parent)."""
        limit = _limit(args.get("limit"))
        if self.history_page_cap is not None:
            limit = min(limit, self.history_page_cap)
        start = _decode_cursor(args.get("cursor"))
        if start is not None:
            messages = [
                m for m in messages
                if (Decimal(m.ts) <= start if newest_first else Decimal(m.ts) >= start)
            ]  # fmt: skip
        size = max(1, limit - reserve)
        page, rest = messages[:size], messages[size:]
        return page, _encode_cursor(rest[0].ts) if rest else None

    def _answer(
        self,
        page: list[Message],
        cursor: str | None,
        args: dict[str, Any],
        team: str,
        channel: str,
    ) -> dict[str, Any]:
        with_metadata = str(args.get("include_all_metadata", "")) in _TRUE
        replies = {
            m.ts: [r for r in self.messages_in(channel, team) if r.thread_ts == m.ts]
            for m in page
            if m.thread_ts is None
        }
        body: dict[str, Any] = {
            "messages": [
                _to_api(m, self.app_id, with_metadata, replies.get(m.ts, [])) for m in page
            ],
            "has_more": cursor is not None,
            "pin_count": 0,
        }
        if cursor is not None:
            body["response_metadata"] = {"next_cursor": cursor}
        return body


def _to_api(
    message: Message, app_id: str, with_metadata: bool, replies: list[Message]
) -> dict[str, Any]:
    """A message object as history and replies return it."""
    out: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text or ""}
    if message.user is not None:
        out["user"] = message.user
    if message.bot_id is not None:
        out.update(bot_id=message.bot_id, app_id=app_id)
    out["team"] = message.team
    if message.blocks:
        out["blocks"] = message.blocks
    if message.edited is not None:  # the latest version, marked as edited
        out["edited"] = dict(message.edited)
    if message.thread_ts is not None:
        out["thread_ts"] = message.thread_ts
    elif replies:
        out.update(thread_ts=message.ts, reply_count=len(replies), latest_reply=replies[-1].ts)
    if with_metadata and message.metadata is not None:
        out["metadata"] = message.metadata
    return out


def _window(args: dict[str, Any]) -> tuple[Decimal, Decimal | None, bool]:
    oldest = _ts(args.get("oldest"), "invalid_ts_oldest") or Decimal(0)
    latest = _ts(args.get("latest"), "invalid_ts_latest")
    return oldest, latest, str(args.get("inclusive", "")) in _TRUE


def _within(ts: str, oldest: Decimal, latest: Decimal | None, inclusive: bool) -> bool:
    value = Decimal(ts)
    if inclusive:
        return value >= oldest and (latest is None or value <= latest)
    return value > oldest and (latest is None or value < latest)


def _ts(value: Any, error: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiFailure(error) from None


def _limit(value: Any) -> int:
    try:
        limit = int(value) if value not in (None, "") else DEFAULT_LIMIT
    except (TypeError, ValueError):
        raise ApiFailure("invalid_limit") from None
    return max(1, min(limit, MAX_LIMIT))


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: Any) -> Decimal | None:
    if not cursor:
        return None
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
        prefix, _, ts = text.partition(":")
        if prefix != "next_ts":
            raise ValueError(prefix)
        return Decimal(ts)
    except (binascii.Error, UnicodeDecodeError, ValueError, InvalidOperation):
        raise ApiFailure("invalid_cursor") from None
