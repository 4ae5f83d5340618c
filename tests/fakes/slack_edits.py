"""chat.update of the Slack fake: a bot edits its own message, recorded edit by edit.

Like Slack (docs/reference/slack.md §12): the message is found by `channel` + `ts`
(`message_not_found` otherwise); a bot token may only edit what that bot posted
(`cant_update_message`); the new version is validated like chat.postMessage (`no_text`,
`msg_too_long`, `invalid_blocks`, `msg_blocks_too_long`, `invalid_metadata_*`); `blocks` given
replace the old ones, `blocks` left out remove them; `metadata` given replaces the old, left out
keeps it [inf]; history then shows the latest version with `edited: {user, ts}`; the method is
Tier 3 (50+ per minute per workspace per app): a token bucket of `update_rate` per second up to
`update_burst`, HTTP 429 + `Retry-After` beyond it. `edit_window_closed` is the team's edit
setting for people, not for bots [inf]: script it with
`script_fault("error", method="chat.update", when="before", status=200,
error="edit_window_closed")`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.fakes.slack_blocks import check_message
from tests.fakes.slack_records import ApiFailure, Bucket, Edit, Message, ThreadClosed, Token
from tests.fakes.slack_state import SlackState, str_or_none


class EditApi(SlackState):
    """`chat.update` (registered in slack_web's method table), `edits`, `post_as_user`,
    `delete_message`, `close_thread`."""

    # ------------------------------------------------------------------ test helpers

    def post_as_user(
        self, team_id: str, channel_id: str, user_id: str, text: str, **payload: Any
    ) -> Message:
        """A message a person wrote in a channel (the bot can read it but not edit it)."""
        body = {"text": text, **payload}
        return self._record(team_id, channel_id, body, None, user_id, "user")

    def message(self, channel: str, ts: str, team: str | None = None) -> Message:
        """The current version of one message (KeyError when there is none)."""
        for m in self.messages:
            if m.channel == channel and m.ts == ts and (team is None or m.team == team):
                return m
        raise KeyError(f"no message {ts} in {channel}")

    def delete_message(self, channel: str, ts: str, team: str | None = None) -> None:
        """Delete a message as someone in Slack would (KeyError when there is none); a reply
        to it then does what `reply_to_deleted` says."""
        message = self.message(channel, ts, team)
        self.messages.remove(message)
        self.deleted.add((message.team, channel, ts))

    def close_thread(
        self,
        channel: str,
        ts: str,
        error: ThreadClosed = "restricted_action_thread_locked",
        team: str | None = None,
    ) -> None:
        """Make the thread of message `ts` take no replies (KeyError when there is none): an
        admin locked it, or (`cannot_reply_to_message`) it is a message that cannot have any;
        chat.postMessage then refuses every reply there with `error`."""
        message = self.message(channel, ts, team)
        self.closed_threads[(message.team, channel, message.thread_ts or ts)] = error

    def edits_of(self, channel: str, ts: str) -> list[Edit]:
        """The accepted edits of one message, oldest first."""
        return [e for e in self.edits if e.channel == channel and e.ts == ts]

    # ------------------------------------------------------------------ the method

    def _update_limit(self, token: Token) -> None:
        """Tier 3 per workspace per app: 429 with Retry-After when the bucket is empty."""
        team, now = token.team_id or "", self.clock()
        bucket = self._update_buckets.get(team)
        if bucket is None:
            bucket = Bucket(self.update_rate, self.update_burst, self.update_burst, now)
            self._update_buckets[team] = bucket
        bucket.rate, bucket.burst = self.update_rate, self.update_burst
        wait = bucket.take(now)
        if wait:
            raise ApiFailure("ratelimited", status=429, retry_after=wait)

    def _chat_update(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        channel = self._channel(team, args.get("channel"))
        if channel.state == "archived":
            raise ApiFailure("is_inactive")  # "frozen, archived or deleted channel"
        ts = str_or_none(args.get("ts"))
        index = next(
            (
                i
                for i, m in enumerate(self.messages)
                if m.team == team.id and m.channel == channel.id and m.ts == ts
            ),
            None,
        )
        if index is None:
            raise ApiFailure("message_not_found")
        old = self.messages[index]
        if old.bot_id is None or old.bot_id != token.bot_id:
            raise ApiFailure("cant_update_message")
        problem = check_message(args, strict_text=self.strict_text)
        if problem is not None:
            raise ApiFailure(problem.error, **details(problem.messages))
        given = args.get("metadata")
        metadata = old.metadata if given in (None, "") else parse_metadata(given)
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks) if blocks.strip() else None
        edited = {"user": token.bot_user_id or "", "ts": self._next_ts()}
        new = dataclasses.replace(
            old,
            text=str_or_none(args.get("text")),
            blocks=blocks or None,
            payload=dict(args),
            metadata=metadata,
            edited=edited,
            version=old.version + 1,
        )
        self.messages[index] = new  # seen from now on, whatever the answer becomes
        self.edits.append(
            Edit(
                team.id,
                channel.id,
                new.ts,
                edited["ts"],
                new.version,
                new.text,
                new.blocks,
                metadata,
                token.bot_user_id,
                "chat.update",
                dict(args),
            )
        )
        body = self._bot_message(token, team.id, new, new.thread_ts, metadata, {"edited": edited})
        return {"channel": channel.id, "ts": new.ts, "text": new.text or "", "message": body}

    def _bot_message(
        self,
        token: Token,
        team_id: str,
        message: Message,
        thread_ts: str | None,
        metadata: dict[str, Any] | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """The `message` object Slack answers a bot's post or update with (`extra` after
        `team`: its `ts` or `edited`)."""
        body: dict[str, Any] = {
            "type": "message",
            "text": message.text or "",
            "user": token.bot_user_id,
            "bot_id": token.bot_id,
            "app_id": self.app_id,
            "team": team_id,
            **extra,
        }
        if message.blocks:
            body["blocks"] = message.blocks
        if thread_ts is not None:
            body["thread_ts"] = thread_ts
        if metadata is not None:
            body["metadata"] = metadata
        return body


def parse_metadata(value: Any) -> dict[str, Any] | None:
    """Message `metadata` checked like Slack: an object (JSON text in a form body) with a
    string `event_type` and an object `event_payload`."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiFailure("invalid_metadata_format") from None
    if not isinstance(value, dict):
        raise ApiFailure("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiFailure("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def details(messages: list[str]) -> dict[str, Any]:
    """Slack's `response_metadata.messages` for a rejected message, when there are details."""
    return {"response_metadata": {"messages": messages}} if messages else {}
