"""Edit Message of the Discord fake: PATCH /channels/{channel_id}/messages/{message_id}.

Like Discord (docs/reference/discord.md §10): the message must exist in that channel (404
10008) and its thread, if it is in one, must not be archived (400 50083 "Thread is archived":
only a new message unarchives it, §14), the bot may edit only what it authored (403 50005
"Cannot edit a message authored by another user"); the fields sent (`content`, `embeds`,
`flags`, `components`, …) replace the stored ones and the others stay; the result is
validated like a post (400 50035, 50006 when nothing would be left); the answer and later GETs
carry `edited_timestamp`. Edits have their own rate-limit bucket (route + channel,
`X-RateLimit-Bucket` differs from Create Message's).

Messages older than an hour: Discord caps their edits with 400 30046 "Maximum number of edits
to messages older than 1 hour reached. Try again later" (documented code). How many and over
what window is not documented: here `old_edit_limit` edits per message within
`old_edit_window` seconds once it is older than `old_message_age` [inf].
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from tests.fakes.discord_records import ApiError, Message, thread_archived, unknown_message
from tests.fakes.discord_routes import ChannelRoutes
from tests.fakes.discord_validate import validate_message

OLD_MESSAGE_AGE = 3600.0  # "messages older than 1 hour" (30046's text)
OLD_EDIT_LIMIT = 3  # [inf] not documented
OLD_EDIT_WINDOW = 3600.0  # [inf] not documented ("Try again later")
EDITABLE = ("content", "embeds", "flags", "allowed_mentions", "components", "attachments")


def cannot_edit_others() -> ApiError:
    """403 50005."""
    return ApiError(403, "Cannot edit a message authored by another user", 50005)


def too_many_old_edits() -> ApiError:
    """400 30046 [the status is inferred; the code and text are documented]."""
    return ApiError(
        400,
        "Maximum number of edits to messages older than 1 hour reached. Try again later",
        30046,
    )


class EditRoutes(ChannelRoutes):
    """PATCH of a channel message, its records (`edits`) and a way to plant others' messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old_message_age = OLD_MESSAGE_AGE
        self.old_edit_limit = OLD_EDIT_LIMIT
        self.old_edit_window = OLD_EDIT_WINDOW

    def post_as_user(self, channel_id: int, user_id: int, content: str) -> Message:
        """A message a member wrote (the bot can read it, not edit it)."""
        channel = self.world.channels[channel_id]
        msg = self._store(channel, {"content": content}, source="channel")
        msg = dataclasses.replace(msg, author_id=user_id)
        self.world.messages[-1] = msg
        return msg

    async def _patch_message(self, request: web.Request) -> tuple[int, Any]:
        channel = self.channel(request.match_info["channel_id"])
        if self.world.archived(channel):  # only a new message unarchives a thread
            raise thread_archived()
        mid = request.match_info["message_id"]
        index = next(
            (
                i
                for i, m in enumerate(self.world.messages)
                if str(m.id) == mid and m.channel_id == channel.id
            ),
            None,
        )
        if index is None:
            raise unknown_message()
        old = self.world.messages[index]
        if old.author_id != self.world.bot_user_id:
            raise cannot_edit_others()
        body = self._body(request)
        changes = {k: v for k, v in body.items() if k in EDITABLE}
        merged = {**old.payload, **changes}
        merged.pop("nonce", None)
        merged.pop("enforce_nonce", None)
        error = validate_message(merged)
        if error is not None:
            raise ApiError.of(400, error)
        now = self.world.clock()
        age = now - old.created_at
        if age > self.old_message_age:
            recent = [
                e
                for e in self.world.edits
                if e.message_id == old.id
                and e.age > self.old_message_age
                and now - e.at < self.old_edit_window
            ]
            if len(recent) >= self.old_edit_limit:
                raise too_many_old_edits()
        new = self.world.store_edit(
            index, merged, dict(body), now, flags=int(merged.get("flags") or 0)
        )
        return 200, self.world.message_object(new)
