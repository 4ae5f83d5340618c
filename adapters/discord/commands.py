"""The `/papers` app-command group, generated from the core command table."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.interactions import Run, invocation, send_reply
from adapters.discord.payloads import NO_MENTIONS
from adapters.discord.render import clip
from bot.commands.table import Arg, ArgKind, CommandSpec, ParsedCommand, groups
from bot.domain import Invocation, Reply

log = logging.getLogger(__name__)

GROUP_NAME = "papers"
GROUP_DESCRIPTION = "Hugging Face Daily Papers: digests, search and alerts"
# Discord limits (application-commands docs): descriptions 1-100 characters.
DESCRIPTION_MAX = 100
# "The combined sum of characters in name, description, and value properties" of a command,
# its subcommands, options and choices, at most (application-commands docs): past it Discord
# refuses the whole `/papers` group (400 50035). Option descriptions are shortened to fit.
COMMAND_SIZE_MAX = 4000
OPTION_DESCRIPTION_CAPS = (DESCRIPTION_MAX, 80, 60, 50, 40, 30)
TEXT_OPTION_MAX = 2000
# Autocomplete choices (application-commands docs): name 1-100 characters, string value ≤ 100.
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
# The subcommand a command-table group's own command gets (`/papers reading-list show`).
GROUP_OWN_COMMAND = "show"
# What a public command's "thinking" message becomes when the answer is an error, which goes
# to the user alone.
PRIVATE_ERROR_NOTICE = "Couldn't do that — details sent to you privately."

Choice = app_commands.Choice[str]
# (label, value) pairs; a plain string is both (the core's older shape).
Suggestion = tuple[str, str] | str
Suggest = Callable[[CommandSpec, str, Invocation, str], Sequence[Suggestion]]


def discord_name(spec: CommandSpec) -> str:
    """The command's name under its `/papers` group: a group's own command (`reading-list`
    alone) is its `show` subcommand, since Discord cannot run a group that has subcommands."""
    return spec.path[-1] if len(spec.path) > 1 else GROUP_OWN_COMMAND


def _describe(text: str, most: int = DESCRIPTION_MAX) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def command_size(item: app_commands.Group | app_commands.Command[Any, ..., Any]) -> int:
    """What Discord counts against COMMAND_SIZE_MAX: names, descriptions and choices."""
    size = len(item.name) + len(item.description)
    if isinstance(item, app_commands.Group):
        return size + sum(command_size(c) for c in item.commands)
    for param in item.parameters:
        size += len(param.name) + len(param.description)
        size += sum(len(c.name) + len(str(c.value)) for c in param.choices)
    return size


def choice(suggestion: Suggestion) -> Choice:
    """An autocomplete choice within Discord's limits: the label is clipped, the value cut."""
    label, value = (suggestion, suggestion) if isinstance(suggestion, str) else suggestion
    name = clip(label, CHOICE_NAME_MAX, escaped=False) or value[:CHOICE_NAME_MAX]
    return app_commands.Choice(name=name, value=value[:CHOICE_VALUE_MAX])


def _annotation(arg: Arg) -> Any:
    """The Python type discord.py turns into the option's Discord type."""
    if arg.kind is ArgKind.INT:
        low = arg.minimum if arg.minimum is not None else -(2**53)
        high = arg.maximum if arg.maximum is not None else 2**53
        base: Any = app_commands.Range[int, low, high]
    elif arg.kind is ArgKind.CHOICE:
        base = Literal[arg.choices]
    elif arg.kind is ArgKind.TEXT:
        base = app_commands.Range[str, 1, TEXT_OPTION_MAX]
    else:
        base = str
    return base if arg.required else base | None


class PapersCommands:
    """Builds the `/papers` group and runs its subcommands through the core."""

    def __init__(self, run: Run, suggest: Suggest) -> None:
        self.run = run
        self.suggest = suggest

    def group(self) -> app_commands.Group:
        """`/papers` with a subcommand (or a subcommand group) per command-table entry, its
        options' descriptions shortened as much as it takes to stay within Discord's size."""
        for cap in OPTION_DESCRIPTION_CAPS:
            papers = self._group(cap)
            if command_size(papers) <= COMMAND_SIZE_MAX:
                break
        return papers

    def _group(self, cap: int) -> app_commands.Group:
        papers = app_commands.Group(name=GROUP_NAME, description=GROUP_DESCRIPTION, guild_only=True)
        for first, specs in groups().items():
            if len(specs) == 1 and len(specs[0].path) == 1:
                papers.add_command(self._command(specs[0], cap=cap))
                continue
            sub = app_commands.Group(
                name=first, description=_describe(f"{first} commands"), parent=papers
            )
            for spec in specs:
                sub.add_command(self._command(spec, discord_name(spec), cap))
        return papers

    def _command(
        self, spec: CommandSpec, name: str | None = None, cap: int = DESCRIPTION_MAX
    ) -> app_commands.Command[Any, ..., Any]:
        async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
            await self.invoke(interaction, spec, values)

        params = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        for arg in spec.args:
            params.append(
                inspect.Parameter(
                    arg.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=_annotation(arg),
                    default=inspect.Parameter.empty if arg.required else None,
                )
            )
        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            arg.name: _describe(arg.help, cap) for arg in spec.args
        }
        command: app_commands.Command[Any, ..., Any] = app_commands.Command(
            name=name or spec.path[-1], description=_describe(spec.help), callback=callback
        )
        for arg in spec.args:
            if arg.kind is ArgKind.TIMEZONE or spec.path == ("unsubscribe",):
                command.autocomplete(arg.name)(self._completer(spec, arg.name))
        return command

    def _completer(
        self, spec: CommandSpec, arg: str
    ) -> Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, list[Choice]]]:
        async def complete(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            options = self.suggest(spec, arg, invocation(interaction), current)
            return [choice(o) for o in options]

        return complete

    async def invoke(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, values: dict[str, Any]
    ) -> None:
        """Defer at once, run the core command, answer with follow-ups.

        `today` and `paper` answer in public, but an error is for the user alone: the public
        "thinking" message becomes a short neutral notice and the error follows ephemerally.
        """
        await interaction.response.defer(ephemeral=spec.personal, thinking=True)
        reply = await self.reply_to(interaction, spec, values)
        ephemeral = spec.personal or not reply.ok
        if ephemeral and not spec.personal:
            # The first follow-up would fill the public deferral whatever its flags say.
            await interaction.edit_original_response(
                content=PRIVATE_ERROR_NOTICE, allowed_mentions=NO_MENTIONS
            )
        await send_reply(interaction, reply, ephemeral=ephemeral)

    async def reply_to(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, values: dict[str, Any]
    ) -> Reply:
        """Convert the typed options with the table's rules and run the command."""
        args: dict[str, Any] = {}
        for arg in spec.args:
            value = values.get(arg.name)
            if value is None:
                continue
            try:
                args[arg.name] = arg.convert(str(value))
            except ValueError as exc:
                return Reply(text=f"{exc}. Usage: `/papers {spec.usage}`", ok=False)
        return await self.run(ParsedCommand(spec, args), invocation(interaction))
