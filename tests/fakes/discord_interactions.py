"""Interactions: INTERACTION_CREATE payloads, the callback endpoint and the interaction webhook.

Timing (docs/reference/discord.md §1): the initial callback must arrive within `deadline` s of the
dispatch (3 s on Discord) or it gets 404 10062; a second one gets 400 40060. Follow-ups and
edits of @original use the same token for `token_ttl` seconds (15 min), then 401 50027.
Before any callback the interaction webhook does not exist yet (404 10015).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_options import build_options
from tests.fakes.discord_records import (
    ADMINISTRATOR,
    EPHEMERAL,
    LOADING,
    ApiError,
    Callback,
    Channel,
    DiscordFakeError,
    Followup,
    InteractionRecord,
    Message,
    already_acknowledged,
    invalid_webhook_token,
    snowflake,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from tests.fakes.discord_validate import message_errors, validate_callback, validate_message

if TYPE_CHECKING:
    from tests.fakes.discord_commands import CommandStore
    from tests.fakes.discord_state import World

APPLICATION_COMMAND, AUTOCOMPLETE = 2, 4


class InteractionHub:
    """Builds interactions and serves their callback and webhook routes."""

    def __init__(self, world: World, commands: CommandStore) -> None:
        self.world = world
        self.commands = commands
        self.deadline = 3.0
        self.token_ttl = 15 * 60.0
        self.records: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}
        self.late_callbacks: list[tuple[int, float]] = []  # (interaction id, elapsed)
        self.current: dict[int, dict[str, Any]] = {}  # message id → latest message object

    @property
    def callbacks(self) -> list[Callback]:
        """Every accepted callback, in dispatch order."""
        return [r.callback_record for r in self.records.values() if r.callback_record]

    @property
    def followups(self) -> list[Followup]:
        """Every accepted follow-up / edit, in dispatch order."""
        return [f for r in self.records.values() for f in r.followups]

    def build(
        self,
        itype: int,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        path: Sequence[str],
        values: Mapping[str, Any],
        *,
        permissions: int | None,
        focused: str | None,
        locale: str,
        admin_override: bool,
    ) -> InteractionRecord:
        """Make an INTERACTION_CREATE payload and its record (not yet dispatched)."""
        world = self.world
        if guild_id not in world.guilds:
            raise DiscordFakeError(f"unknown guild {guild_id}")
        channel = world.channels.get(channel_id)
        if channel is None or channel.guild_id != guild_id:
            raise DiscordFakeError(f"channel {channel_id} is not in guild {guild_id}")
        cmd = self.commands.find(command, guild_id)
        if cmd is None:
            raise DiscordFakeError(f"/{command} is not synced for guild {guild_id} (or globally)")
        perms = world.member_permissions(guild_id, user_id) if permissions is None else permissions
        required = cmd.data.get("default_member_permissions")
        if (
            required is not None
            and not perms & ADMINISTRATOR
            and int(required) & perms != int(required)
            and not admin_override
        ):
            raise DiscordFakeError(
                f"Discord hides /{command} from a member with permissions {perms} "
                f"(default_member_permissions {required}); pass admin_override=True to model "
                "a server admin who overrode it in Integrations settings"
            )
        options, resolved = build_options(
            world, cmd, path, values, guild_id=guild_id, focused=focused
        )
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": options}
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return self.record(itype, data, guild_id, channel, user_id, perms, locale=locale)

    def record(
        self,
        itype: int,
        data: dict[str, Any],
        guild_id: int,
        channel: Channel,
        user_id: int,
        perms: int,
        *,
        locale: str = "en-US",
        extra: Mapping[str, Any] | None = None,
    ) -> InteractionRecord:
        """Make and keep the INTERACTION_CREATE payload of `itype` carrying `data` (plus the
        `extra` top-level fields) for `user_id` in `channel`, and its record."""
        world = self.world
        iid, token = snowflake(), "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        channel_obj = world.channel_object(channel)
        channel_obj["permissions"] = str(perms)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel_obj,
            "member": world.member_object(guild_id, user_id, permissions=perms),
            **(extra or {}),
            "token": token,
            "version": 1,
            "app_permissions": str(world.app_permissions(channel.id)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        record = InteractionRecord(
            iid, token, itype, guild_id, channel.id, user_id, payload, dispatched_at=world.clock()
        )
        self.records[iid] = record
        self.by_token[token] = record
        return record

    # ------------------------------------------------------------------ callback route

    def callback(
        self, interaction_id: int, token: str, body: Any, with_response: bool
    ) -> dict[str, Any] | None:
        """POST /interactions/{id}/{token}/callback; the JSON answer or None for 204."""
        record = self.records.get(interaction_id)
        if record is None or record.token != token:
            raise unknown_interaction()
        elapsed = self.world.clock() - record.dispatched_at
        if record.callback_record is not None:
            raise already_acknowledged()
        if elapsed > self.deadline:
            self.late_callbacks.append((interaction_id, elapsed))
            raise unknown_interaction()
        error = validate_callback(body, record.type)
        if error is not None:
            raise ApiError.of(400, error)
        ctype, data = body["type"], body.get("data")
        cb = Callback(interaction_id, ctype, data, elapsed, with_response)
        inter: dict[str, Any] = {"id": str(interaction_id), "type": record.type}
        resource: dict[str, Any] | None = None
        if ctype in (4, 5):
            flags = int((data or {}).get("flags", 0))
            mid = snowflake()
            record.original_message_id = mid
            msg_data = dict(data or {}) if ctype == 4 else {"content": "", "embeds": []}
            msg_flags = flags & EPHEMERAL | (LOADING if ctype == 5 else 0)
            msg = self._message(record, mid, msg_data, msg_flags, "interaction")
            if ctype == 5:
                record.deferred_ephemeral = bool(flags & EPHEMERAL)
            elif not flags & EPHEMERAL:
                self.world.messages.append(msg)
            inter.update(
                response_message_id=str(mid),
                response_message_loading=ctype == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            resource = {"type": ctype, "message": self._message_object(record, msg)}
            self.current[mid] = resource["message"]
        record._record_callback(cb)
        if not with_response:
            return None
        answer: dict[str, Any] = {"interaction": inter}
        if resource is not None:
            answer["resource"] = resource
        return answer

    # ------------------------------------------------------------------ webhook routes

    def _live(self, token: str) -> InteractionRecord:
        record = self.by_token.get(token)
        if record is None or record.callback_record is None:
            raise unknown_webhook()
        if self.world.clock() - record.dispatched_at > self.token_ttl:
            raise invalid_webhook_token()
        return record

    def followup(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /webhooks/{app_id}/{token}: a follow-up (the first one fills a deferral)."""
        record = self._live(token)
        error = validate_message(body)
        if error is not None:
            raise ApiError.of(400, error)
        flags = int(body.get("flags") or 0)
        fills = record.deferred_ephemeral is not None and not record.deferred_filled
        if fills:
            record.deferred_filled = True
            ephemeral, mid = bool(record.deferred_ephemeral), record.original_message_id or 0
        else:
            ephemeral, mid = bool(flags & EPHEMERAL), snowflake()
        return self._store_followup(record, mid, "POST", body, flags, ephemeral, fills)

    def edit(self, token: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /webhooks/{app_id}/{token}/messages/{@original|id}."""
        record = self._live(token)
        errors = message_errors(body)
        if errors:
            raise ApiError.of(
                400, {"code": 50035, "errors": errors, "message": "Invalid Form Body"}
            )
        if message_id == "@original":
            if record.original_message_id is None:
                raise unknown_message()
            mid = record.original_message_id
            fills = record.deferred_ephemeral is not None and not record.deferred_filled
            record.deferred_filled = record.deferred_filled or fills
            cb = record.callback_record
            ephemeral = (
                bool(record.deferred_ephemeral)
                if record.deferred_ephemeral is not None
                else bool(cb and cb.ephemeral)
            )
        else:
            prior = next((f for f in record.followups if str(f.message_id) == message_id), None)
            if prior is None:
                raise unknown_message()
            mid, fills, ephemeral = prior.message_id, False, prior.ephemeral
        flags = int(body.get("flags") or 0)
        return self._store_followup(record, mid, "PATCH", body, flags, ephemeral, fills)

    def get(self, token: str, message_id: str, *, delete: bool = False) -> dict[str, Any]:
        """GET (or DELETE) /webhooks/{app_id}/{token}/messages/{@original|id}."""
        record = self._live(token)
        mid = (
            record.original_message_id
            if message_id == "@original"
            else (int(message_id) if message_id.isdigit() else None)
        )
        known = {record.original_message_id, *(f.message_id for f in record.followups)}
        if mid is None or mid not in known or mid not in self.current:
            raise unknown_message()
        if delete:
            self.world.messages[:] = [m for m in self.world.messages if m.id != mid]
            return self.current.pop(mid)
        return self.current[mid]

    def _store_followup(
        self,
        record: InteractionRecord,
        mid: int,
        method: Any,
        body: dict[str, Any],
        flags: int,
        ephemeral: bool,
        fills: bool,
    ) -> dict[str, Any]:
        shown = body
        if method == "PATCH":  # an edit keeps what it does not replace
            prev = self.current.get(mid, {})
            shown = {"content": prev.get("content", ""), "embeds": prev.get("embeds", []), **body}
        msg_flags = flags & ~EPHEMERAL | (EPHEMERAL if ephemeral else 0)
        source = "interaction" if mid == record.original_message_id else "followup"
        msg = self._message(record, mid, shown, msg_flags, source)
        record._record_followup(
            Followup(
                record.id,
                mid,
                method,
                shown.get("content"),
                list(shown.get("embeds") or []),
                flags,
                ephemeral,
                fills,
                dict(body),
            )
        )
        if not ephemeral:
            self.world.messages[:] = [m for m in self.world.messages if m.id != mid]
            self.world.messages.append(msg)
        self.current[mid] = self._message_object(record, msg)
        return self.current[mid]

    def _message(
        self, record: InteractionRecord, mid: int, body: Mapping[str, Any], flags: int, source: Any
    ) -> Message:
        return Message(
            mid,
            record.channel_id,
            record.guild_id,
            str(body.get("content") or ""),
            list(body.get("embeds") or []),
            flags,
            source,
            payload=dict(body),
        )

    def _message_object(self, record: InteractionRecord, msg: Message) -> dict[str, Any]:
        extra = {
            "webhook_id": str(self.world.application_id),
            "application_id": str(self.world.application_id),
            "type": 20 if msg.id == record.original_message_id else 0,
            "interaction_metadata": {
                "id": str(record.id),
                "type": record.type,
                "user": self.world.member_object(record.guild_id, record.user_id)["user"],
            },
        }
        return self.world.message_object(msg, extra=extra)
