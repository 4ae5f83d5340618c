"""Component interactions of the Discord fake: a member clicks a button or chooses in a string
select of a recorded message, or clicks a button of an ephemeral answer they got.

`ComponentHub.build_click` makes the INTERACTION_CREATE payload Discord sends
(docs/reference/discord.md §11): type 3 (MESSAGE_COMPONENT), `data: {custom_id,
component_type: 2}` for a button or `{custom_id, component_type: 3, values}` for a select, the
clicked `message` with its components, the clicker as `member`. A click on a control the
message does not have, a value its select does not offer, or a message of a guild the clicker
is not in is a test error. `build_ephemeral_click` does the same for an ephemeral follow-up
(flag 64), which only the user it answered can see. Answers, within the same 3 s as
a command (else 404 10062, a second one 400 40060): 4 (a new message; flag 64 makes it
ephemeral), 5 (deferred new message), 6 (DEFERRED_UPDATE_MESSAGE: nothing changes yet) or 7
(UPDATE_MESSAGE: the clicked message is edited in place, recorded in `edits` with
`edited_timestamp`). After 6 or 7, `@original` of the interaction webhook is the clicked
message: a PATCH of it edits that message; follow-ups (POST) are new messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.discord_interactions import InteractionHub
from tests.fakes.discord_records import (
    EPHEMERAL,
    Channel,
    DiscordFakeError,
    InteractionRecord,
    Message,
)

MESSAGE_COMPONENT = 3
BUTTON, STRING_SELECT = 2, 3


def controls(message: Mapping[str, Any] | Message) -> list[dict[str, Any]]:
    """The buttons and string selects of a message (its action rows' type 2 and 3 items)."""
    payload = message.payload if isinstance(message, Message) else message
    found: list[dict[str, Any]] = []
    for row in payload.get("components") or []:
        for item in (row or {}).get("components") or []:
            if isinstance(item, dict) and item.get("type") in (BUTTON, STRING_SELECT):
                found.append(item)
    return found


def buttons(message: Mapping[str, Any] | Message) -> list[dict[str, Any]]:
    """The buttons of a message (its action rows' type 2 components)."""
    return [c for c in controls(message) if c.get("type") == BUTTON]


def click_data(
    message_id: Any, control: Mapping[str, Any], values: Sequence[str] | None
) -> dict[str, Any]:
    """The interaction's `data` for using `control`: a button's custom_id, or a select's
    custom_id and the chosen `values` (which must be its options, as many as it allows)."""
    custom_id = control.get("custom_id")
    if control.get("disabled"):
        raise DiscordFakeError(f"{custom_id!r} is disabled: it cannot be used")
    if control.get("type") == BUTTON:
        if values is not None:
            raise DiscordFakeError(f"button {custom_id!r} takes no values")
        return {"custom_id": custom_id, "component_type": BUTTON}
    if values is None:
        raise DiscordFakeError(f"select {custom_id!r} is used by choosing values")
    offered = [o.get("value") for o in control.get("options") or []]
    low, high = control.get("min_values", 1), control.get("max_values", 1)
    if any(v not in offered for v in values) or not low <= len(values) <= high:
        raise DiscordFakeError(
            f"select {custom_id!r} of message {message_id} offers {offered} "
            f"({low}-{high} of them), not {list(values)}"
        )
    return {"custom_id": custom_id, "component_type": STRING_SELECT, "values": list(values)}


class ComponentHub(InteractionHub):
    """InteractionHub plus clicks on buttons and selects (type 3), also on an ephemeral
    message, and their update callbacks (6, 7)."""

    def build_click(
        self,
        guild_id: int,
        user_id: int,
        message: Message,
        custom_id: str,
        values: Sequence[str] | None = None,
    ) -> InteractionRecord:
        """The INTERACTION_CREATE for `user_id` of `guild_id` using `custom_id` on `message`
        (a select with the chosen `values`)."""
        world = self.world
        if guild_id not in world.guilds:
            raise DiscordFakeError(f"unknown guild {guild_id}")
        if message.flags & EPHEMERAL:
            raise DiscordFakeError("an ephemeral message is clicked through its interaction")
        control = self._control(message.payload, message.id, custom_id)
        channel = world.channels[message.channel_id]
        if channel.guild_id != guild_id:
            raise DiscordFakeError(
                f"a member of guild {guild_id} cannot see message {message.id} of guild "
                f"{channel.guild_id}"
            )
        data = click_data(message.id, control, values)
        obj = world.message_object(message)
        return self._record_click(guild_id, user_id, channel, data, obj)

    def build_ephemeral_click(
        self,
        origin: InteractionRecord,
        user: int,
        message_id: int,
        custom_id: str,
        values: Sequence[str] | None,
    ) -> InteractionRecord:
        """The INTERACTION_CREATE for `user` using `custom_id` on the ephemeral message
        `message_id` that answered `origin` (e.g. a confirmation's Undo). Only the user
        `origin` answered sees it, so only they can click it."""
        if user != origin.user_id:
            raise DiscordFakeError(
                f"user {user} cannot see the ephemeral message {message_id} of user "
                f"{origin.user_id}"
            )
        shown = [f for f in origin.followups if f.message_id == message_id and f.ephemeral]
        obj = self.current.get(message_id)
        if not shown or obj is None:
            raise DiscordFakeError(f"{message_id} is no ephemeral answer to {origin.id}")
        control = self._control(obj, message_id, custom_id)
        channel = self.world.channels[origin.channel_id]
        data = click_data(message_id, control, values)
        return self._record_click(origin.guild_id, user, channel, data, obj)

    def _control(
        self, payload: Mapping[str, Any], message_id: Any, custom_id: str
    ) -> dict[str, Any]:
        found = next((c for c in controls(payload) if c.get("custom_id") == custom_id), None)
        if found is None:
            raise DiscordFakeError(f"message {message_id} has no button custom_id={custom_id!r}")
        return found

    def _record_click(
        self,
        guild_id: int,
        user_id: int,
        channel: Channel,
        data: dict[str, Any],
        message: dict[str, Any],
    ) -> InteractionRecord:
        perms = self.world.member_permissions(guild_id, user_id)
        return self.record(
            MESSAGE_COMPONENT, data, guild_id, channel, user_id, perms, extra={"message": message}
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
        if int(record.payload["message"].get("flags") or 0) & EPHEMERAL:
            if ctype == 7:  # the clicker's own copy changes; nothing is stored in the channel
                changes = {k: v for k, v in dict(body.get("data") or {}).items() if k != "flags"}
                self.current[mid] = {**self.current[mid], **changes}
            if answer is not None:
                answer["resource"] = {"type": ctype, "message": self.current[mid]}
            return answer
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
        if int(record.payload["message"].get("flags") or 0) & EPHEMERAL:
            raise DiscordFakeError("editing a clicked ephemeral message is not modelled")
        index = next(i for i, m in enumerate(self.world.messages) if m.id == clicked)
        kept = self.world.messages[index]
        answer = super().edit(token, message_id, body)  # validated and recorded as a follow-up
        self.world.messages[:] = [m for m in self.world.messages if m.id != clicked]
        self.world.messages.insert(index, kept)  # the same message, edited in place below
        message = self._update_clicked(clicked, dict(body))
        self.current[clicked] = self.world.message_object(message)
        return {**answer, **self.current[clicked]}
