"""Component interactions of the Discord fake: a member clicks a button of a recorded message.

`ComponentHub.build_click` makes the INTERACTION_CREATE payload Discord sends for a button
(docs/reference/discord.md §11): type 3 (MESSAGE_COMPONENT), `data: {custom_id,
component_type: 2}`, the clicked `message` with its components, the clicker as `member`. A
click on a button the message does not have is a test error. Answers, within the same 3 s as
a command (else 404 10062, a second one 400 40060): 4 (a new message; flag 64 makes it
ephemeral), 5 (deferred new message), 6 (DEFERRED_UPDATE_MESSAGE: nothing changes yet) or 7
(UPDATE_MESSAGE: the clicked message is edited in place, recorded in `edits` with
`edited_timestamp`). After 6 or 7, `@original` of the interaction webhook is the clicked
message: a PATCH of it edits that message; follow-ups (POST) are new messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.discord_interactions import InteractionHub
from tests.fakes.discord_records import (
    EPHEMERAL,
    DiscordFakeError,
    InteractionRecord,
    Message,
)

MESSAGE_COMPONENT = 3
BUTTON = 2


def buttons(message: Mapping[str, Any] | Message) -> list[dict[str, Any]]:
    """The buttons of a message (its action rows' type 2 components)."""
    payload = message.payload if isinstance(message, Message) else message
    found: list[dict[str, Any]] = []
    for row in payload.get("components") or []:
        for item in (row or {}).get("components") or []:
            if isinstance(item, dict) and item.get("type") == BUTTON:
                found.append(item)
    return found


class ComponentHub(InteractionHub):
    """InteractionHub plus button clicks (type 3) and their update callbacks (6, 7)."""

    def build_click(
        self, guild_id: int, user_id: int, message: Message, custom_id: str
    ) -> InteractionRecord:
        """The INTERACTION_CREATE for `user_id` of `guild_id` clicking `custom_id` on `message`."""
        world = self.world
        if guild_id not in world.guilds:
            raise DiscordFakeError(f"unknown guild {guild_id}")
        if message.flags & EPHEMERAL:
            raise DiscordFakeError("an ephemeral message is clicked through its interaction")
        button = next((b for b in buttons(message) if b.get("custom_id") == custom_id), None)
        if button is None:
            raise DiscordFakeError(f"message {message.id} has no button custom_id={custom_id!r}")
        if button.get("disabled"):
            raise DiscordFakeError(f"button {custom_id!r} is disabled: it cannot be clicked")
        channel = world.channels[message.channel_id]
        if channel.guild_id != guild_id:
            raise DiscordFakeError(
                f"a member of guild {guild_id} cannot see message {message.id} of guild "
                f"{channel.guild_id}"
            )
        perms = world.member_permissions(guild_id, user_id)
        return self.record(
            MESSAGE_COMPONENT,
            {"custom_id": custom_id, "component_type": BUTTON},
            guild_id,
            channel,
            user_id,
            perms,
            extra={"message": world.message_object(message)},
        )

    def callback(
        self, interaction_id: int, token: str, body: Any, with_response: bool
    ) -> dict[str, Any] | None:
        answer = super().callback(interaction_id, token, body, with_response)
        record = self.records[interaction_id]
        ctype = body["type"]
        if record.type != MESSAGE_COMPONENT or ctype not in (6, 7):
            return answer
        mid = int(record.payload["message"]["id"])
        record.original_message_id = mid  # @original is now the clicked message
        if ctype == 7:
            self._update_clicked(mid, dict(body.get("data") or {}))
        message = self._clicked(mid)
        self.current[mid] = self.world.message_object(message)
        if answer is not None:
            answer["interaction"]["response_message_id"] = str(mid)
            answer["resource"] = {"type": ctype, "message": self.current[mid]}
        return answer

    def _clicked(self, mid: int) -> Message:
        for msg in self.world.messages:
            if msg.id == mid:
                return msg
        raise DiscordFakeError(f"the clicked message {mid} is gone")

    def _update_clicked(self, mid: int, changes: dict[str, Any]) -> Message:
        """Edit the clicked message in place (type 7, or a PATCH of @original after 6/7)."""
        index = next(i for i, m in enumerate(self.world.messages) if m.id == mid)
        old = self.world.messages[index]
        changes.pop("flags", None)  # an update cannot make the message ephemeral
        merged = {**old.payload, **changes}
        return self.world.store_edit(index, merged, changes, self.world.clock())

    def edit(self, token: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        record = self._live(token)
        clicked = int(record.payload["message"]["id"]) if record.type == MESSAGE_COMPONENT else None
        if clicked is None or record.original_message_id != clicked or message_id != "@original":
            return super().edit(token, message_id, body)
        index = next(i for i, m in enumerate(self.world.messages) if m.id == clicked)
        kept = self.world.messages[index]
        answer = super().edit(token, message_id, body)  # validated and recorded as a follow-up
        self.world.messages[:] = [m for m in self.world.messages if m.id != clicked]
        self.world.messages.insert(index, kept)  # the same message, edited in place below
        message = self._update_clicked(clicked, dict(body))
        self.current[clicked] = self.world.message_object(message)
        return {**answer, **self.current[clicked]}
