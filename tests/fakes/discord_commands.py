"""Application-command bulk overwrite: validation (application-commands.mdx) and storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.discord_records import SyncedCommand, snowflake
from tests.fakes.discord_validate import (
    CHAT_INPUT_MAX,
    COMMAND_NAME,
    COMMAND_SIZE_MAX,
    CONTEXT_MENU_MAX,
    OPTIONS_MAX,
    Errors,
    add_error,
    validate_choices,
)

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
VALUE_TYPES = frozenset(range(3, 12))


def _text_size(obj: Mapping[str, Any]) -> int:
    size = len(str(obj.get("name", ""))) + len(str(obj.get("description", "")))
    for choice in obj.get("choices") or []:
        size += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return size + sum(_text_size(o) for o in obj.get("options") or [])


def _check_name_description(
    errors: Errors, path: list[str | int], obj: Mapping[str, Any], chat_input: bool
) -> None:
    name = obj.get("name")
    if chat_input:
        if not isinstance(name, str) or not COMMAND_NAME.fullmatch(name) or name != name.lower():
            add_error(
                errors,
                [*path, "name"],
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            )
        desc = obj.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            add_error(
                errors,
                [*path, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
    elif not isinstance(name, str) or not 1 <= len(name) <= 32:
        add_error(
            errors, [*path, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
        )


def _check_options(errors: Errors, path: list[str | int], options: Any, level: int) -> None:
    """level 0: command options; 1: inside a group; 2: inside a subcommand."""
    if not isinstance(options, list):
        add_error(errors, path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > OPTIONS_MAX:
        add_error(
            errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {OPTIONS_MAX} or fewer in length."
        )
    types = [o.get("type") if isinstance(o, Mapping) else None for o in options]
    allowed = {0: {1, 2, *VALUE_TYPES}, 1: {1}, 2: set(VALUE_TYPES)}[level]
    nested = [t in (SUB_COMMAND, SUB_COMMAND_GROUP) for t in types]
    if any(nested) and not all(nested):
        add_error(
            errors,
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to "
            "all other types",
        )
    seen_optional = False
    names: set[str] = set()
    for i, (opt, otype) in enumerate(zip(options, types, strict=True)):
        opath: list[str | int] = [*path, i]
        if otype not in allowed:
            add_error(
                errors,
                [*opath, "type"],
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(allowed)}.",
            )
            continue
        _check_name_description(errors, opath, opt, chat_input=True)
        if opt.get("name") in names:
            add_error(
                errors,
                [*opath, "name"],
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(opt.get("name"))
        if otype == SUB_COMMAND_GROUP:
            _check_options(errors, [*opath, "options"], opt.get("options") or [], 1)
        elif otype == SUB_COMMAND:
            _check_options(errors, [*opath, "options"], opt.get("options") or [], 2)
        else:
            if opt.get("required"):
                if seen_optional:
                    add_error(
                        errors,
                        [*opath, "required"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True
            if opt.get("choices"):
                validate_choices(opt["choices"], [*opath, "choices"], errors)
                if opt.get("autocomplete"):
                    add_error(
                        errors,
                        [*opath, "autocomplete"],
                        "APPLICATION_COMMAND_AUTOCOMPLETE",
                        "Autocomplete cannot be set with choices",
                    )


def command_errors(payload: Any) -> Errors:
    """The nested 50035 errors of a bulk-overwrite body (empty dict when Discord accepts it)."""
    errors: Errors = {}
    if not isinstance(payload, list):
        add_error(errors, [], "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    counts: dict[int, int] = {}
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(payload):
        if not isinstance(cmd, Mapping):
            add_error(errors, [i], "MODEL_TYPE_CONVERT", "Only dictionaries may be used")
            continue
        ctype = cmd.get("type", 1)
        counts[ctype] = counts.get(ctype, 0) + 1
        _check_name_description(errors, [i], cmd, chat_input=ctype == 1)
        key = (ctype, str(cmd.get("name")))
        if key in seen:
            add_error(
                errors,
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)
        if ctype == 1:
            _check_options(errors, [i, "options"], cmd.get("options") or [], 0)
            if _text_size(cmd) > COMMAND_SIZE_MAX:
                add_error(
                    errors,
                    [i],
                    "APPLICATION_COMMAND_TOO_LARGE",
                    f"Command exceeds maximum size ({COMMAND_SIZE_MAX})",
                )
        elif cmd.get("description") not in (None, ""):
            add_error(
                errors, [i, "description"], "BASE_TYPE_MAX_LENGTH", "Must be 0 or fewer in length."
            )
        perms = cmd.get("default_member_permissions")
        ok = (
            perms is None
            or (isinstance(perms, int) and not isinstance(perms, bool))
            or (isinstance(perms, str) and perms.isdigit())
        )
        if not ok:
            add_error(
                errors,
                [i, "default_member_permissions"],
                "NUMBER_TYPE_COERCE",
                f'Value "{perms}" is not snowflake.',
            )
    for ctype, n in counts.items():
        limit = CHAT_INPUT_MAX if ctype == 1 else CONTEXT_MENU_MAX
        if n > limit:
            add_error(
                errors,
                [],
                "APPLICATION_COMMANDS_TOO_MANY",
                f"Maximum number of application commands of type {ctype} reached ({limit})",
            )
    return errors


class CommandStore:
    """Commands per scope (None = global, else guild id); ids stay stable across overwrites."""

    def __init__(self, application_id: int) -> None:
        self.application_id = application_id
        self.scopes: dict[int | None, list[SyncedCommand]] = {}
        self._ids: dict[tuple[int | None, int, str], int] = {}
        self.puts = 0

    def overwrite(
        self, guild_id: int | None, payload: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Replace a scope's commands like PUT …/commands; return the stored objects."""
        stored: list[SyncedCommand] = []
        for cmd in payload:
            ctype = cmd.get("type", 1)
            key = (guild_id, ctype, cmd["name"])
            cid = self._ids.setdefault(key, snowflake())
            perms = cmd.get("default_member_permissions")
            data: dict[str, Any] = {
                "id": str(cid),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "type": ctype,
                "name": cmd["name"],
                "description": cmd.get("description", ""),
                "options": cmd.get("options") or [],
                # Discord stores and returns it as a string (discord.py sends an int)
                "default_member_permissions": None if perms is None else str(perms),
                "nsfw": bool(cmd.get("nsfw", False)),
                "contexts": cmd.get("contexts"),
                "integration_types": cmd.get("integration_types") or [0],
            }
            if guild_id is None:
                data["dm_permission"] = cmd.get("dm_permission", True)
            else:
                data["guild_id"] = str(guild_id)
            stored.append(SyncedCommand(cid, cmd["name"], guild_id, data, dict(cmd)))
        self.scopes[guild_id] = stored
        self.puts += 1
        return [c.data for c in stored]

    def find(self, name: str, guild_id: int, ctype: int = 1) -> SyncedCommand | None:
        """The command a user in `guild_id` would invoke: the guild's own first, then global."""
        for scope in (guild_id, None):
            for cmd in self.scopes.get(scope, []):
                if cmd.name == name and cmd.data["type"] == ctype:
                    return cmd
        return None

    def all(self) -> list[SyncedCommand]:
        """Every stored command, global first."""
        out = list(self.scopes.get(None, []))
        for scope, cmds in self.scopes.items():
            if scope is not None:
                out.extend(cmds)
        return out
