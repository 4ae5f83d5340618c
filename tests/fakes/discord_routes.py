"""Channel, thread and webhook routes of the fake's REST API (mixed into `RestApi`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_dms import DM, cannot_message_user, dm_reference, recipient_id
from tests.fakes.discord_records import (
    ANNOUNCEMENT_THREAD,
    CREATE_PUBLIC_THREADS,
    FORUM,
    NEWS,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    SEND_MESSAGES_IN_THREADS,
    TEXT,
    THREAD_TYPES,
    ApiError,
    Channel,
    IncomingWebhook,
    Message,
    forbidden,
    invalid_webhook_token,
    snowflake,
    unknown_channel,
    unknown_message,
    unknown_webhook,
)
from tests.fakes.discord_replies import resolve_reference
from tests.fakes.discord_validate import add_error, invalid_form_body, validate_message

if TYPE_CHECKING:
    from tests.fakes.discord_interactions import InteractionHub
    from tests.fakes.discord_state import World

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
# Create Message `nonce`: an integer or a string of up to 25 characters; with `enforce_nonce`
# it is "checked for uniqueness in the past few minutes" (developers/resources/message
# "Create Message"). Discord does not say how many minutes: five here, settable per fake.
NONCE_MAX = 25
NONCE_WINDOW_SECONDS = 300.0
# request storage keys (web.RequestKey on aiohttp ≥ 3.12, plain strings before)
_key: Any = getattr(web, "RequestKey", lambda name, _t: name)
BODY: Any = _key("discord_fake_body", object)
FILES: Any = _key("discord_fake_files", list)


def _nonce_errors(body: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    nonce = body.get("nonce")
    if nonce is None:
        return errors
    if isinstance(nonce, bool) or not isinstance(nonce, int | str):
        add_error(errors, ["nonce"], "BASE_TYPE_STRING", "Could not interpret value as string.")
    elif len(str(nonce)) > NONCE_MAX:
        add_error(
            errors, ["nonce"], "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length."
        )
    return errors


def _thread_errors(body: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        add_error(errors, ["name"], "BASE_TYPE_REQUIRED", "This field is required")
    elif len(name.strip()) > 100:
        add_error(errors, ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        add_error(
            errors,
            ["auto_archive_duration"],
            "BASE_TYPE_CHOICES",
            f"Value must be one of {set(ARCHIVE_DURATIONS)}.",
        )
    return errors


class ChannelRoutes:
    """GET/POST on channels, messages, threads, forum posts and webhooks."""

    def __init__(self, world: World, hub: InteractionHub) -> None:
        self.world = world
        self.hub = hub
        self.webhooks: dict[int, IncomingWebhook] = {}
        self.nonce_window = NONCE_WINDOW_SECONDS
        # (author, channel, nonce) → the message it created, for enforce_nonce
        self.nonces: dict[tuple[int, int, str], Message] = {}

    def channel(self, channel_id: str) -> Channel:
        """The channel (or opened DM channel) for a route, or 404 10003 / 403 50001|50013."""
        try:
            key = int(channel_id)
            channel = self.world.channels.get(key) or self.world.dms.channels[key]
        except (KeyError, ValueError):
            raise unknown_channel() from None
        for cid in (channel.id, channel.parent_id):
            if cid in self.world.forbidden:
                raise forbidden(self.world.forbidden[cid])
        return channel

    def _require(self, channel: Channel, permission: int) -> None:
        """403 50013 Missing Permissions unless the bot has `permission` in `channel`."""
        if not self.world.app_permissions(channel.id) & permission:
            raise forbidden(50013)

    def _store(
        self,
        channel: Channel,
        body: Mapping[str, Any],
        *,
        mid: int | None = None,
        source: Any = "channel",
    ) -> Message:
        is_thread = channel.type in THREAD_TYPES
        if is_thread:  # "Sending a message will automatically unarchive the thread"
            channel.active_at = self.world.clock()
        msg = Message(
            mid or snowflake(),
            channel.id,
            None if channel.type == DM else channel.guild_id,
            str(body.get("content") or ""),
            list(body.get("embeds") or []),
            int(body.get("flags") or 0),
            source,
            parent_id=channel.parent_id if is_thread else None,
            thread_name=channel.name if is_thread else None,
            payload=dict(body),
            nonce=body.get("nonce") if source == "channel" else None,
            created_at=self.world.clock(),
            author_id=self.world.bot_user_id if source != "webhook" else None,
        )
        self.world.messages.append(msg)
        return msg

    def _same_nonce(self, channel: Channel, body: Mapping[str, Any]) -> Message | None:
        """The bot's message with this nonce in this channel within the window, if any."""
        nonce = body.get("nonce")
        if nonce is None or body.get("enforce_nonce") is not True:
            return None
        earlier = self.nonces.get((self.world.bot_user_id, channel.id, str(nonce)))
        if earlier is None or self.world.clock() - earlier.created_at >= self.nonce_window:
            return None
        return earlier

    @staticmethod
    def _body(request: web.Request) -> dict[str, Any]:
        body = dict(request[BODY] or {})
        if request.get(FILES):
            body.setdefault("files", request[FILES])
        return body

    # ------------------------------------------------------------------ channels, messages

    async def _get_channel(self, request: web.Request) -> tuple[int, Any]:
        return 200, self.world.channel_object(self.channel(request.match_info["channel_id"]))

    async def _post_message(self, request: web.Request) -> tuple[int, Any]:
        channel = self.channel(request.match_info["channel_id"])
        if channel.type == FORUM:
            raise ApiError(400, "Cannot send messages in a non-text channel", 50008)
        if channel.type in THREAD_TYPES:  # SEND_MESSAGES has no effect in threads
            self._require(channel, SEND_MESSAGES_IN_THREADS)
        if self.world.dms.refuses(channel):  # the user closed their DMs (discord_dms.py)
            raise cannot_message_user()
        body = self._body(request)
        nonce_errors = _nonce_errors(body)
        if nonce_errors:
            raise ApiError.of(400, invalid_form_body(nonce_errors))
        error = validate_message(body)
        if error is not None:
            raise ApiError.of(400, error)
        earlier = self._same_nonce(channel, body)
        if earlier is not None:  # "that message will be returned and no new message created"
            return 200, self.world.message_object(earlier, nonce=True)
        stored = resolve_reference(self.world, channel, body)
        msg = self._store(channel, dm_reference(stored) if channel.type == DM else stored)
        if msg.nonce is not None:
            self.nonces[(self.world.bot_user_id, channel.id, str(msg.nonce))] = msg
        return 200, self.world.message_object(msg, nonce=True)

    async def _open_dm(self, request: web.Request) -> tuple[int, Any]:
        """Create DM (POST /users/@me/channels, discord_dms.py)."""
        channel = self.world.open_dm(recipient_id(request[BODY]))
        return 200, self.world.channel_object(channel)

    async def _get_message(self, request: web.Request) -> tuple[int, Any]:
        channel = self.channel(request.match_info["channel_id"])
        return 200, self.world.message_object(self._find(channel, request.match_info["message_id"]))

    def _find(self, channel: Channel, message_id: str) -> Message:
        for msg in reversed(self.world.messages):
            if str(msg.id) == message_id and msg.channel_id == channel.id:
                return msg
        raise unknown_message()

    # ------------------------------------------------------------------ threads

    def _thread(self, parent: Channel, tid: int, body: Mapping[str, Any]) -> dict[str, Any]:
        # "The type of thread created matches the type of the parent channel" (threads.mdx).
        kind = ANNOUNCEMENT_THREAD if parent.type == NEWS else PUBLIC_THREAD
        name, minutes = str(body["name"]).strip(), int(body.get("auto_archive_duration") or 1440)
        thread = self.world.add_channel(
            parent.guild_id, tid, name, kind, parent_id=parent.id, auto_archive=minutes
        )
        return self.world.channel_object(thread)

    async def _post_thread(self, request: web.Request) -> tuple[int, Any]:
        channel = self.channel(request.match_info["channel_id"])
        body = self._body(request)
        errors = _thread_errors(body)
        if channel.type == FORUM:
            message = body.get("message")
            if not isinstance(message, Mapping):
                add_error(errors, ["message"], "BASE_TYPE_REQUIRED", "This field is required")
            elif not errors:
                error = validate_message(
                    {**message, "files": body.get("files")}, prefix=("message",)
                )
                if error is not None:
                    raise ApiError.of(400, error)
            if errors:
                raise ApiError.of(400, invalid_form_body(errors))
            if channel.flags & REQUIRE_TAG and not body.get("applied_tags"):
                raise ApiError(
                    400, "A tag is required to create a forum post in this channel", 40067
                )
            tid = snowflake()  # a forum post's starter message has the thread's id
            data = self._thread(channel, tid, body)
            thread = self.world.channels[tid]
            msg = self._store(thread, dict(message or {}), mid=tid, source="forum_post")
            data["message"] = self.world.message_object(msg)
            data["message_count"] = data["total_message_sent"] = 1
            return 201, data
        if channel.type not in (TEXT, NEWS):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        if errors:
            raise ApiError.of(400, invalid_form_body(errors))
        return 201, self._thread(channel, snowflake(), body)

    async def _thread_from_message(self, request: web.Request) -> tuple[int, Any]:
        """Start Thread from Message (developers/resources/channel.mdx): in a text or
        announcement channel, with Create Public Threads; the thread has the message's id, so
        a message has at most one (160004)."""
        channel = self.channel(request.match_info["channel_id"])
        if channel.type not in (TEXT, NEWS):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        self._require(channel, CREATE_PUBLIC_THREADS)
        msg = self._find(channel, request.match_info["message_id"])
        body = self._body(request)
        errors = _thread_errors(body)
        if errors:
            raise ApiError.of(400, invalid_form_body(errors))
        if msg.id in self.world.channels:
            raise ApiError(400, "A thread has already been created for this message", 160004)
        return 201, self._thread(channel, msg.id, body)  # the thread id is the message id

    # ------------------------------------------------------------------ guilds

    def _guild(self, guild_id: str) -> Any:
        """The guild for a route, or 403 50001 when the bot is not in it (Discord says no more)."""
        guild = self.world.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        if guild is None:
            raise forbidden(50001)
        return guild

    async def _get_guild(self, request: web.Request) -> tuple[int, Any]:
        """Get Guild (developers/resources/guild.mdx): the guild with its roles and owner."""
        guild = self._guild(request.match_info["guild_id"])
        return 200, {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "roles": self.world.roles(guild),
            "emojis": [],
            "stickers": [],
            "features": [],
            "preferred_locale": "en-US",
            "approximate_member_count": len(guild.members) + 1,
        }

    async def _get_member(self, request: web.Request) -> tuple[int, Any]:
        """Get Guild Member: the bot or a member the test added, else 404 10007."""
        guild = self._guild(request.match_info["guild_id"])
        user = request.match_info["user_id"]
        uid = int(user) if user.isdigit() else -1
        if uid != self.world.bot_user_id and uid not in guild.members:
            raise ApiError(404, "Unknown Member", 10007)
        return 200, self.world.member_object(guild.id, uid)

    # ------------------------------------------------------------------ webhooks

    def _hook(self, request: web.Request) -> IncomingWebhook:
        try:
            hook = self.webhooks[int(request.match_info["webhook_id"])]
        except (KeyError, ValueError):
            raise unknown_webhook() from None
        if hook.token != request.match_info["token"]:
            raise invalid_webhook_token()
        return hook

    def _is_app(self, request: web.Request) -> bool:
        return request.match_info["webhook_id"] == str(self.world.application_id)

    async def _execute_webhook(self, request: web.Request) -> tuple[int, Any]:
        body = self._body(request)
        if self._is_app(request):  # interaction follow-up; `wait` is always true for these
            return 200, self.hub.followup(request.match_info["token"], body)
        hook = self._hook(request)
        channel = self.world.channels.get(hook.channel_id)
        if channel is None:
            raise unknown_webhook()
        thread_id, thread_name = request.query.get("thread_id"), body.get("thread_name")
        if thread_id is not None:
            channel = self.world.channels.get(int(thread_id)) if thread_id.isdigit() else None
            if channel is None or channel.parent_id != hook.channel_id:
                raise unknown_channel()
        elif channel.type == FORUM and not thread_name:
            raise ApiError(
                400,
                "Webhooks posted to forum channels must have a thread_name or thread_id",
                220001,
            )
        error = validate_message(body)
        if error is not None:
            raise ApiError.of(400, error)
        if channel.type == FORUM:
            tid = snowflake()
            self._thread(channel, tid, {"name": thread_name})
            msg = self._store(self.world.channels[tid], body, mid=tid, source="webhook")
        else:
            msg = self._store(channel, body, source="webhook")
        author = {
            "id": str(hook.id),
            "username": body.get("username") or hook.name,
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
        }
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return 204, None
        return 200, self.world.message_object(
            msg, author=author, extra={"webhook_id": str(hook.id)}
        )

    async def _webhook_message(self, request: web.Request) -> tuple[int, Any]:
        token, mid = request.match_info["token"], request.match_info["message_id"]
        body = self._body(request)
        if self._is_app(request):
            if request.method == "PATCH":
                return 200, self.hub.edit(token, mid, body)
            if request.method == "DELETE":
                self.hub.get(token, mid, delete=True)
                return 204, None
            return 200, self.hub.get(token, mid)
        hook = self._hook(request)
        index = next(
            (
                i
                for i, m in enumerate(self.world.messages)
                if str(m.id) == mid and m.source == "webhook"
            ),
            None,
        )
        if index is None:
            raise unknown_message()
        msg = self.world.messages[index]
        if request.method == "DELETE":
            del self.world.messages[index]
            return 204, None
        if request.method == "PATCH":
            merged = {**msg.payload, **body}
            error = validate_message(merged)
            if error is not None:
                raise ApiError.of(400, error)
            msg = dataclasses.replace(
                msg,
                content=str(merged.get("content") or ""),
                embeds=list(merged.get("embeds") or []),
                payload=merged,
            )
            self.world.messages[index] = msg
        return 200, self.world.message_object(msg, extra={"webhook_id": str(hook.id)})
