"""The Discord fake's world (application, bot, guilds, channels, members) and its JSON shapes."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from tests.fakes.discord_dms import DM, DirectMessages, unknown_user
from tests.fakes.discord_records import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BASIC_MEMBER,
    DEFAULT_BOT_PERMISSIONS,
    FORUM,
    TEXT,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Channel,
    DiscordFakeError,
    Guild,
    Message,
    MessageEdit,
    iso,
)
from tests.fakes.discord_replies import REPLY

GUILD_MEMBERS_INTENT = 1 << 1


def user_object(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object (new username system: discriminator "0")."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


class World:
    """Application, bot identity, guilds and channels; builds the payloads Discord would send."""

    def __init__(
        self,
        *,
        token: str,
        application_id: int,
        bot_user_id: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.bot_name = "paperboy"
        self.clock = clock
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.forbidden: dict[int, int] = {}  # channel id → Discord error code (50001/50013)
        self.denied: dict[int, int] = {}  # channel id → permissions the bot's role is denied
        self.bot_permissions = DEFAULT_BOT_PERMISSIONS
        self.messages: list[Message] = []
        self.edits: list[MessageEdit] = []  # accepted edits of channel messages, oldest first
        self.dms = DirectMessages()  # DM channels, added users, closed DMs (discord_dms.py)

    # ------------------------------------------------------------------ setup

    def add_guild(
        self,
        guild_id: int,
        name: str,
        channels: Mapping[int, Mapping[str, Any]] | None = None,
        members: Mapping[int, int] | None = None,
    ) -> Guild:
        """Add a guild with `{channel_id: {"name", "type"}}` and `{user_id: permissions}`."""
        guild = Guild(guild_id, name, members=dict(members or {}))
        self.guilds[guild_id] = guild
        for pos, (cid, spec) in enumerate((channels or {}).items()):
            self.add_channel(
                guild_id,
                cid,
                str(spec.get("name", f"channel-{cid}")),
                int(spec.get("type", TEXT)),
                position=pos,
            )
        return guild

    def add_channel(
        self,
        guild_id: int,
        channel_id: int,
        name: str,
        type_: int = TEXT,
        *,
        parent_id: int | None = None,
        position: int = 0,
        owner_id: int | None = None,
        auto_archive: int = 1440,
    ) -> Channel:
        """Add a channel (or a thread, started by `owner_id` or else the bot, archived after
        `auto_archive` minutes without a message) to a guild."""
        channel = Channel(
            channel_id,
            guild_id,
            name,
            type_,
            parent_id,
            position,
            owner_id=owner_id,
            auto_archive=auto_archive,
            active_at=self.clock(),
        )
        self.guilds[guild_id].channels[channel_id] = channel
        self.channels[channel_id] = channel
        return channel

    def remove_channel(self, channel_id: int) -> None:
        """Delete a channel or thread, its threads and all their messages."""
        gone = {channel_id} | {c.id for c in self.channels.values() if c.parent_id == channel_id}
        for cid in gone:
            channel = self.channels.pop(cid)
            self.guilds[channel.guild_id].channels.pop(cid, None)
        self.messages[:] = [m for m in self.messages if m.channel_id not in gone]

    def add_user(self, user_id: int, username: str | None = None) -> None:
        """A user the fake knows without a guild in common (for Create DM)."""
        self.dms.users[user_id] = username or f"user{user_id}"

    def user(self, user_id: int) -> dict[str, Any]:
        """The user object of a member of a guild or an added user; 404 10013 otherwise."""
        if user_id in self.dms.users:
            return user_object(user_id, self.dms.users[user_id])
        if any(user_id in g.members for g in self.guilds.values()):
            return user_object(user_id, f"user{user_id}")  # as member_object names them
        raise unknown_user()

    def open_dm(self, user_id: int) -> Channel:
        """The DM channel with a known user (made on first use); 404 10013 otherwise."""
        self.user(user_id)
        return self.dms.open(user_id)

    def archived(self, channel: Channel) -> bool:
        """A thread with no message for its `auto_archive` minutes is archived (the fake's
        clock); a new message opens it again (docs/reference/discord.md §14)."""
        idle = self.clock() - channel.active_at
        return channel.type in THREAD_TYPES and idle >= channel.auto_archive * 60

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        """A member's permissions (ADMINISTRATOR expands to all, like Discord computes)."""
        guild = self.guilds[guild_id]
        if user_id not in guild.members:
            raise DiscordFakeError(f"user {user_id} is not a member of guild {guild_id}")
        perms = guild.members[user_id]
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def app_permissions(self, channel_id: int) -> int:
        """The bot's permissions in a channel (without VIEW_CHANNEL when forbidden, without
        what its overwrites deny; a thread has its parent's)."""
        perms = self.bot_permissions
        channel = self.channels.get(channel_id)
        for cid in (channel_id, channel.parent_id if channel is not None else None):
            if cid is not None:
                perms &= ~self.denied.get(cid, 0)
        return perms & ~VIEW_CHANNEL if channel_id in self.forbidden else perms

    def shard_of(self, guild_id: int, shard_count: int) -> int:
        """Which shard receives a guild's events: `(guild_id >> 22) % shard_count`."""
        return (guild_id >> 22) % max(1, shard_count)

    # ------------------------------------------------------------------ payloads

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's user object (GET /users/@me, READY.user, message authors)."""
        return {
            **user_object(self.bot_user_id, self.bot_name, bot=True),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
        }

    def application(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me."""
        return {
            "id": str(self.application_id),
            "name": "paperboy",
            "icon": None,
            "description": "Hugging Face Daily Papers",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": user_object(1, "owner"),
            "team": None,
            "bot": self.bot_user,
            "interactions_endpoint_url": None,
            "integration_types_config": {"0": {}},
        }

    def bot_role_id(self, guild_id: int) -> int:
        """The bot's managed role in a guild."""
        return guild_id + 1

    def member_object(
        self, guild_id: int, user_id: int, *, permissions: int | None = None
    ) -> dict[str, Any]:
        """A guild member object (with `permissions` as a string when given)."""
        is_bot = user_id == self.bot_user_id
        member: dict[str, Any] = {
            "user": self.bot_user if is_bot else user_object(user_id, f"user{user_id}"),
            "roles": [str(self.bot_role_id(guild_id))]
            if is_bot
            else [str(self._role_id(guild_id, user_id))],
            "joined_at": iso(1_700_000_000),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
        }
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    def _role_id(self, guild_id: int, user_id: int) -> int:
        return guild_id + 100 + sorted(self.guilds[guild_id].members).index(user_id)

    def roles(self, guild: Guild) -> list[dict[str, Any]]:
        """@everyone (id = guild id, basic permissions), the bot role and one role per member."""

        def role(rid: int, name: str, perms: int, managed: bool = False) -> dict[str, Any]:
            return {
                "id": str(rid),
                "name": name,
                "permissions": str(perms),
                "position": 0,
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "managed": managed,
                "mentionable": False,
                "flags": 0,
                "icon": None,
                "unicode_emoji": None,
            }

        out = [
            role(guild.id, "@everyone", BASIC_MEMBER),
            role(self.bot_role_id(guild.id), self.bot_name, self.bot_permissions, True),
        ]
        out += [
            role(self._role_id(guild.id, uid), f"member-{uid}", perms)
            for uid, perms in guild.members.items()
        ]
        return out

    def channel_object(self, channel: Channel) -> dict[str, Any]:
        """A channel object (GET /channels/{id}, GUILD_CREATE.channels, resolved data)."""
        if channel.type == DM:
            return {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.user(self.dms.recipients[channel.id])],
            }
        data: dict[str, Any] = {
            "id": str(channel.id),
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "type": channel.type,
            "position": channel.position,
            "parent_id": None if channel.parent_id is None else str(channel.parent_id),
            "nsfw": False,
            "rate_limit_per_user": 0,
            "flags": channel.flags,
            "topic": None,
            "last_message_id": None,
            "permission_overwrites": [],
        }
        deny = self.denied.get(channel.id, 0) | (
            VIEW_CHANNEL if channel.id in self.forbidden else 0
        )
        if deny:
            data["permission_overwrites"] = [
                {
                    "id": str(self.bot_role_id(channel.guild_id)),
                    "type": 0,
                    "allow": "0",
                    "deny": str(deny),
                }
            ]
        if channel.type == FORUM:
            data.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_auto_archive_duration=1440,
            )
        if channel.type in THREAD_TYPES:
            data.update(
                thread_metadata={
                    "archived": self.archived(channel),
                    "auto_archive_duration": channel.auto_archive,
                    "archive_timestamp": iso(),
                    "locked": False,
                    "create_timestamp": iso(),
                },
                message_count=0,
                member_count=1,
                owner_id=str(channel.owner_id or self.bot_user_id),
            )
        return data

    def guild_create(self, guild: Guild, intents: int | None) -> dict[str, Any]:
        """The GUILD_CREATE payload (members beyond the bot only with the members intent)."""
        member_ids = [self.bot_user_id]
        if intents is not None and intents & GUILD_MEMBERS_INTENT:
            member_ids += list(guild.members)
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "unavailable": False,
            "member_count": len(guild.members) + 1,
            "large": False,
            "features": [],
            "preferred_locale": "en-US",
            "joined_at": iso(1_700_000_000),
            "roles": self.roles(guild),
            "emojis": [],
            "stickers": [],
            "channels": [
                self.channel_object(c)
                for c in guild.channels.values()
                if c.type not in THREAD_TYPES
            ],
            "threads": [
                self.channel_object(c) for c in guild.channels.values() if c.type in THREAD_TYPES
            ],
            "members": [self.member_object(guild.id, uid) for uid in member_ids],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def store_edit(
        self,
        index: int,
        merged: dict[str, Any],
        sent: dict[str, Any],
        now: float,
        *,
        flags: int | None = None,
    ) -> Message:
        """Replace `self.messages[index]` by its edit to the payload `merged` at `now` (flags
        too when given, else kept) and log it, with `sent` as what the client sent."""
        old = self.messages[index]
        new = dataclasses.replace(
            old,
            content=str(merged.get("content") or ""),
            embeds=list(merged.get("embeds") or []),
            flags=old.flags if flags is None else flags,
            payload=merged,
            edited_at=now,
            edited_timestamp=iso(),
            version=old.version + 1,
        )
        self.messages[index] = new
        self.edits.append(
            MessageEdit(
                new.id,
                new.channel_id,
                new.version,
                now,
                now - old.created_at,
                new.content,
                new.embeds,
                list(merged.get("components") or []),
                sent,
            )
        )
        return new

    def _author(self, msg: Message) -> dict[str, Any]:
        if msg.author_id is None or msg.author_id == self.bot_user_id:
            return self.bot_user
        return user_object(msg.author_id, f"user{msg.author_id}")

    def message_object(
        self,
        msg: Message,
        *,
        author: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        nonce: bool = False,
    ) -> dict[str, Any]:
        """A message object as REST answers it; `nonce`: with the nonce it was created with,
        as the Create Message answer carries it (GET answers are not documented to)."""
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "type": 0,
            "content": msg.content,
            "embeds": msg.embeds,
            "author": dict(author or self._author(msg)),
            "timestamp": iso(),
            "edited_timestamp": msg.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "components": msg.payload.get("components") or [],
            "pinned": False,
            "flags": msg.flags,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        if msg.payload.get("message_reference"):  # a reply (discord_replies.py)
            data["type"] = REPLY
            data["message_reference"] = msg.payload["message_reference"]
        if nonce and msg.nonce is not None:
            data["nonce"] = msg.nonce
        data.update(extra or {})
        return data
