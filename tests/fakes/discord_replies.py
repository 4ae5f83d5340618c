"""Replies in the Discord fake: Create Message with a `message_reference`.

Like Discord (developers/resources/message.mdx "Message Reference Structure", "Replies";
docs/reference/discord.md §12): only `message_id` is needed when sending; the referenced
message must be in the same channel, else the request is refused (400 50035 under
`message_reference`) unless `fail_if_not_exists` is false, when it is sent as a plain message.
A reply is message type 19 and carries the reference with its channel and guild ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_records import ApiError, Channel
from tests.fakes.discord_validate import add_error, invalid_form_body

if TYPE_CHECKING:
    from tests.fakes.discord_state import World

REPLY = 19


def resolve_reference(world: World, channel: Channel, body: Mapping[str, Any]) -> dict[str, Any]:
    """The message body as stored: its reference completed, or dropped when the referenced
    message is gone and the client allowed it; raise the 400 Discord answers otherwise."""
    stored = dict(body)
    reference = stored.pop("message_reference", None)
    if reference is None:
        return stored
    if not isinstance(reference, Mapping):
        errors: dict[str, Any] = {}
        add_error(errors, ["message_reference"], "MODEL_TYPE_CONVERT", "Must be an object.")
        raise ApiError.of(400, invalid_form_body(errors))
    target = str(reference.get("message_id", ""))
    found = any(str(m.id) == target and m.channel_id == channel.id for m in world.messages)
    if not found:
        if reference.get("fail_if_not_exists", True) is False:
            return stored  # "sending as a normal (non-reply) message"
        errors = {}
        add_error(
            errors,
            ["message_reference"],
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            "Unknown message",
        )
        raise ApiError.of(400, invalid_form_body(errors))
    stored["message_reference"] = {
        **reference,
        "message_id": target,
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild_id),
    }
    return stored
