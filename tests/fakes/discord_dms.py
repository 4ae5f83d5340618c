"""Direct messages in the Discord fake: Create DM and posting to the DM channel.

`POST /users/@me/channels` with `{"recipient_id": …}` answers a DM channel object (type 1,
`recipients` with the user), the same channel every time for the same user (features.md §2e,
developers/resources/user.mdx "Create DM"). A user the fake does not know answers 404 10013
"Unknown User"; the fake knows the members of its guilds and the users a test adds
(`DiscordFake.add_user`). `POST /channels/{dm_id}/messages` is then a Create Message like in a
guild channel (nonce and enforce_nonce, embed and component checks, stored on arrival, the
route's rate-limit bucket) except for a user whose DMs the test closed (`close_dms`): 403 50007
"Cannot send messages to this user", logged in `requests` like every refusal. DM messages have
no `guild_id`. Not modelled: group DMs, a DM with the bot itself, DM interactions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.discord_records import ApiError, Channel, snowflake
from tests.fakes.discord_validate import add_error, invalid_form_body

DM = 1  # channel type DM (developers/resources/channel.mdx "Channel Types")
NO_GUILD = 0  # what a DM's `Channel.guild_id` holds: it is in no guild (answers omit it)


def unknown_user() -> ApiError:
    """404 10013."""
    return ApiError(404, "Unknown User", 10013)


def cannot_message_user() -> ApiError:
    """403 50007: the user does not take DMs from the bot."""
    return ApiError(403, "Cannot send messages to this user", 50007)


@dataclass
class DirectMessages:
    """The DM channels opened, the users the test added, and whose DMs are closed."""

    users: dict[int, str] = field(default_factory=dict)  # user id → username (`add_user`)
    channels: dict[int, Channel] = field(default_factory=dict)  # DM channel id → channel
    recipients: dict[int, int] = field(default_factory=dict)  # DM channel id → user id
    by_user: dict[int, int] = field(default_factory=dict)  # user id → DM channel id
    closed: set[int] = field(default_factory=set)  # users who take no DMs from the bot

    def open(self, user_id: int) -> Channel:
        """The DM channel with `user_id`, made on first use."""
        cid = self.by_user.get(user_id)
        if cid is None:
            cid = snowflake()
            self.channels[cid] = Channel(cid, NO_GUILD, f"dm-{user_id}", DM)
            self.recipients[cid] = user_id
            self.by_user[user_id] = cid
        return self.channels[cid]

    def refuses(self, channel: Channel) -> bool:
        """True when `channel` is a DM whose recipient closed their DMs."""
        return channel.type == DM and self.recipients.get(channel.id) in self.closed


def recipient_id(body: Any) -> int:
    """The `recipient_id` of a Create DM body (a snowflake, as a string or an integer);
    400 50035 when it is missing, 404 10013 when it names no user."""
    value = body.get("recipient_id") if isinstance(body, Mapping) else None
    if value is None:
        errors: dict[str, Any] = {}
        add_error(errors, ["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        raise ApiError.of(400, invalid_form_body(errors))
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise unknown_user()


def dm_reference(stored: dict[str, Any]) -> dict[str, Any]:
    """A DM reply's stored body: its `message_reference` names no guild."""
    reference = stored.get("message_reference")
    if isinstance(reference, dict):
        stored["message_reference"] = {k: v for k, v in reference.items() if k != "guild_id"}
    return stored
