"""Build `data.options` / `data.resolved` of an INTERACTION_CREATE from a synced command schema.

The Discord client only lets users pick subcommands and option values the synced schema
allows, so anything else is a test bug and raises DiscordFakeError: unknown subcommand or
option, a wrong value type, a value outside choices/min/max, a missing required option, a
channel of a type the option does not accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_records import DiscordFakeError, SyncedCommand

if TYPE_CHECKING:
    from tests.fakes.discord_state import World

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
MAX_SAFE = 2**53


def _check_value(opt: Mapping[str, Any], value: Any) -> Any:
    otype, name = opt["type"], opt["name"]
    if otype == STRING:
        if not isinstance(value, str):
            raise DiscordFakeError(f"option {name!r} takes a string, not {value!r}")
        lo, hi = opt.get("min_length", 0), opt.get("max_length", 6000)
        if not lo <= len(value) <= hi:
            raise DiscordFakeError(f"option {name!r}: length must be {lo}..{hi}")
    elif otype == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_SAFE:
            raise DiscordFakeError(f"option {name!r} takes an integer, not {value!r}")
    elif otype == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DiscordFakeError(f"option {name!r} takes a number, not {value!r}")
    elif otype == BOOLEAN:
        if not isinstance(value, bool):
            raise DiscordFakeError(f"option {name!r} takes a boolean, not {value!r}")
    elif otype in (USER, CHANNEL, ROLE, MENTIONABLE):
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise DiscordFakeError(f"option {name!r} takes a snowflake id, not {value!r}")
        return str(value)
    else:
        raise DiscordFakeError(f"option {name!r}: type {otype} is not supported by the fake")
    if otype in (INTEGER, NUMBER):
        lo, hi = opt.get("min_value"), opt.get("max_value")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise DiscordFakeError(f"option {name!r}: {value} is outside {lo}..{hi}")
    choices = opt.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise DiscordFakeError(f"option {name!r}: {value!r} is not one of its choices")
    return value


def walk(cmd: SyncedCommand, path: Sequence[str]) -> list[dict[str, Any]]:
    """The option schemas at the end of a subcommand path (raise on an unknown step)."""
    schema: list[dict[str, Any]] = cmd.data.get("options") or []
    for step in path:
        sub = next((o for o in schema if o["name"] == step and o["type"] in (1, 2)), None)
        if sub is None:
            raise DiscordFakeError(f"/{cmd.name} has no subcommand {step!r} at this level")
        schema = sub.get("options") or []
    if any(o["type"] in (1, 2) for o in schema):
        names = [o["name"] for o in schema]
        raise DiscordFakeError(f"/{cmd.name} {' '.join(path)}: pick a subcommand of {names}")
    return schema


def build_options(
    world: World,
    cmd: SyncedCommand,
    path: Sequence[str],
    values: Mapping[str, Any],
    *,
    guild_id: int,
    focused: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`data.options` (nested SUB_COMMAND_GROUP/SUB_COMMAND) and `data.resolved` for a call."""
    schema = walk(cmd, path)
    by_name = {o["name"]: o for o in schema}
    for name in values:
        if name not in by_name:
            raise DiscordFakeError(
                f"/{cmd.name} {' '.join(path)} has no option {name!r}; it has {sorted(by_name)}"
            )
    if focused is not None and focused not in by_name:
        raise DiscordFakeError(f"focused option {focused!r} is not an option here")
    if focused is not None and not by_name[focused].get("autocomplete"):
        raise DiscordFakeError(f"option {focused!r} has no autocomplete")
    resolved: dict[str, dict[str, Any]] = {}
    leaf: list[dict[str, Any]] = []
    for opt in schema:
        name = opt["name"]
        if name == focused:
            leaf.append(
                {
                    "name": name,
                    "type": opt["type"],
                    "value": str(values.get(name, "")),
                    "focused": True,
                }
            )
            continue
        if name not in values:
            if opt.get("required") and focused is None:
                raise DiscordFakeError(f"required option {name!r} is missing")
            continue
        value = _check_value(opt, values[name])
        leaf.append({"name": name, "type": opt["type"], "value": value})
        if focused is None:
            _resolve(world, opt, value, guild_id, resolved)
    options = leaf
    node_types = _path_types(cmd, path)
    for step, otype in reversed(list(zip(path, node_types, strict=True))):
        options = [{"name": step, "type": otype, "options": options}]
    return options, {k: v for k, v in resolved.items() if v}


def _path_types(cmd: SyncedCommand, path: Sequence[str]) -> list[int]:
    types, schema = [], cmd.data.get("options") or []
    for step in path:
        sub = next(o for o in schema if o["name"] == step)
        types.append(sub["type"])
        schema = sub.get("options") or []
    return types


def _resolve(
    world: World,
    opt: Mapping[str, Any],
    value: Any,
    guild_id: int,
    resolved: dict[str, dict[str, Any]],
) -> None:
    otype, guild = opt["type"], world.guilds[guild_id]
    sid = int(value) if otype in (USER, CHANNEL, ROLE, MENTIONABLE) else 0
    if otype == CHANNEL:
        channel = world.channels.get(sid)
        if channel is None or channel.guild_id != guild_id:
            raise DiscordFakeError(f"channel {sid} is not in guild {guild_id}")
        allowed = opt.get("channel_types")
        if allowed and channel.type not in allowed:
            raise DiscordFakeError(f"option {opt['name']!r} accepts channel types {allowed}")
        obj = world.channel_object(channel)
        obj["permissions"] = str(world.app_permissions(sid))
        resolved.setdefault("channels", {})[str(sid)] = obj
    elif otype in (USER, MENTIONABLE) and (sid in guild.members or sid == world.bot_user_id):
        member = world.member_object(guild_id, sid)
        resolved.setdefault("users", {})[str(sid)] = member.pop("user")
        member["permissions"] = str(
            world.member_permissions(guild_id, sid)
            if sid in guild.members
            else world.bot_permissions
        )
        resolved.setdefault("members", {})[str(sid)] = member
    elif otype in (ROLE, MENTIONABLE):
        role = next((r for r in world.roles(guild) if r["id"] == str(sid)), None)
        if role is None:
            raise DiscordFakeError(f"{sid} is not a member or role of guild {guild_id}")
        resolved.setdefault("roles", {})[str(sid)] = role
    elif otype == USER:
        raise DiscordFakeError(f"user {sid} is not a member of guild {guild_id}")
