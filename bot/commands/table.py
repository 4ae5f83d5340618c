"""The command table: names, arguments and help for every `/papers` command, and its parser."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.delivery.calendar import parse_hhmm, parse_timezone, parse_weekday, shown

# Slack allows slash-command text of a few thousand characters; anything longer than this is
# not a command a person typed, and is refused before any work is done.
MAX_COMMAND_LENGTH = 2000
COMMAND_PREFIX = "/papers"
# The word that runs a group's own command (`reading-list show` is `reading-list`): Discord
# cannot run a group that has subcommands, so there it is the only way; everywhere else both
# work, and replies name this form so that they read right on every platform.
OWN_COMMAND = "show"


class ArgKind(StrEnum):
    """How an argument is read from the command text."""

    TEXT = "text"  # the rest of the line, verbatim
    WORD = "word"
    INT = "int"
    TIME = "time"
    TIMEZONE = "timezone"
    WEEKDAY = "weekday"
    CHOICE = "choice"


@dataclass(frozen=True)
class Arg:
    """One argument of a command."""

    name: str
    help: str
    kind: ArgKind = ArgKind.WORD
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        """The argument as it appears in a usage line."""
        label = "|".join(self.choices) if self.choices else self.name
        return f"<{label}>" if self.required else f"[{label}]"

    def convert(self, word: str) -> Any:
        """Convert a word to this argument's value; raise ValueError with a readable reason."""
        if self.kind is ArgKind.INT:
            try:
                value = int(word)
            except ValueError:
                raise ValueError(f"{self.name} must be a whole number, not {shown(word)}") from None
            low, high = self.minimum, self.maximum
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(
                    f"{self.name} must be between {low} and {high}, not {shown(str(value))[1:-1]}"
                )
            return value
        if self.kind is ArgKind.TIME:
            parse_hhmm(word)
            return f"{parse_hhmm(word):%H:%M}"
        if self.kind is ArgKind.TIMEZONE:
            return str(parse_timezone(word))
        if self.kind is ArgKind.WEEKDAY:
            return parse_weekday(word)
        if self.kind is ArgKind.CHOICE:
            if word.lower() not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}")
            return word.lower()
        return word


@dataclass(frozen=True)
class CommandSpec:
    """One command: its words, arguments and help."""

    path: tuple[str, ...]
    help: str
    args: tuple[Arg, ...] = ()
    # Changes what a channel receives or its shared reading list: platforms may restrict it.
    manages: bool = False
    personal: bool = True  # the answer is for the caller only (ephemeral)
    examples: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The command's words joined by spaces, e.g. `digest on`."""
        return " ".join(self.path)

    @property
    def usage(self) -> str:
        """The full usage line, e.g. `digest on [HH:MM] [time zone]`."""
        return " ".join([self.name, *(a.usage for a in self.args)])


ARXIV_ID_HELP = "arXiv id, e.g. 2410.17243"
# The most upvotes `digest climbers` takes as a threshold.
MAX_CLIMBERS = 100_000
# (an argument's description: at most 100 characters on Discord)
QUERY_HELP = (
    'words, "phrases", OR, -word, (groups), title: abstract: author: org: '
    "upvotes:>=N stars:>=N has:code"
)

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        ("help",),
        "Show the commands, or help for one command.",
        (Arg("command", "A command name, e.g. search", ArgKind.TEXT, required=False),),
    ),
    CommandSpec(
        ("today",),
        "Today's top papers on Hugging Face Daily Papers.",
        (Arg("count", "How many papers (1-25)", ArgKind.INT, False, 1, 25),),
        personal=False,
        examples=("today", "today 5"),
    ),
    CommandSpec(
        ("search",),
        "Search every paper paperboy has stored.",
        (Arg("query", QUERY_HELP, ArgKind.TEXT),),
        examples=('search diffusion "video generation" -survey', "search author:Hinton"),
    ),
    CommandSpec(
        ("paper",),
        "Show one paper by its arXiv id.",
        (Arg("id", ARXIV_ID_HELP, ArgKind.WORD),),
        personal=False,
        examples=("paper 2410.17243",),
    ),
    CommandSpec(
        ("subscribe",),
        "Alert this channel when a new paper matches a query, or is like example papers.",
        (Arg("query", QUERY_HELP, ArgKind.TEXT),),
        manages=True,
        examples=('subscribe "state space model" OR mamba', "subscribe like 2401.12345"),
    ),
    CommandSpec(
        ("unsubscribe",),
        "Stop an alert, by its number or its exact query.",
        (Arg("subscription", "The number shown by `subscriptions`, or the query", ArgKind.TEXT),),
        manages=True,
        examples=("unsubscribe 3",),
    ),
    CommandSpec(("subscriptions",), "List this channel's alerts."),
    CommandSpec(
        ("digest", "on"),
        "Post a daily digest here, at a time and time zone.",
        (
            Arg("time", "24-hour HH:MM", ArgKind.TIME, required=False),
            Arg("timezone", "IANA time zone, e.g. Europe/Paris", ArgKind.TIMEZONE, required=False),
        ),
        manages=True,
        examples=("digest on 09:00 Europe/Paris",),
    ),
    CommandSpec(("digest", "off"), "Stop this channel's daily digest.", manages=True),
    CommandSpec(("digest", "show"), "Show this channel's digest settings."),
    CommandSpec(
        ("digest", "size"),
        "How many papers the digest lists.",
        (Arg("count", "1-25", ArgKind.INT, True, 1, 25),),
        manages=True,
    ),
    CommandSpec(
        ("digest", "min-upvotes"),
        "Leave out papers with fewer upvotes.",
        (Arg("count", "0-10000", ArgKind.INT, True, 0, 10000),),
        manages=True,
    ),
    CommandSpec(
        ("digest", "weekends"),
        "On days without papers: stay quiet, or say so.",
        (Arg("policy", "skip or notice", ArgKind.CHOICE, choices=("skip", "notice")),),
        manages=True,
    ),
    CommandSpec(
        ("digest", "filter"),
        "Rank only the papers a query matches, daily and weekly; `off` removes it.",
        (Arg("query", "A query, as in search; or off", ArgKind.TEXT),),
        manages=True,
        examples=('digest filter vision OR "image segmentation"', "digest filter off"),
    ),
    CommandSpec(
        ("digest", "layout"),
        "Lay digests, roll-ups and alerts out as a compact list (details in the thread) or as "
        "full cards.",
        (Arg("layout", "compact or full", ArgKind.CHOICE, choices=("compact", "full")),),
        manages=True,
        examples=("digest layout full",),
    ),
    CommandSpec(
        ("digest", "climbers"),
        "Reply in a posted digest's thread when one of its days' papers passes N upvotes "
        "(papers climbing into its top N always get one); `off` removes the threshold.",
        (Arg("upvotes", f"1-{MAX_CLIMBERS}, or off", ArgKind.WORD),),
        manages=True,
        examples=("digest climbers 50", "digest climbers off"),
    ),
    CommandSpec(
        ("weekly", "on"),
        "Post a weekly roll-up of the top papers here.",
        (
            Arg("weekday", "monday ... sunday (default monday)", ArgKind.WEEKDAY, required=False),
            Arg("time", "24-hour HH:MM", ArgKind.TIME, required=False),
            Arg("timezone", "IANA time zone, e.g. Europe/Paris", ArgKind.TIMEZONE, required=False),
        ),
        manages=True,
        examples=("weekly on friday 17:00 Europe/Berlin",),
    ),
    CommandSpec(("weekly", "off"), "Stop this channel's weekly roll-up.", manages=True),
    CommandSpec(("weekly", "show"), "Show this channel's weekly roll-up settings."),
    CommandSpec(
        ("weekly", "size"),
        "How many papers the weekly roll-up lists.",
        (Arg("count", "1-25", ArgKind.INT, True, 1, 25),),
        manages=True,
    ),
    CommandSpec(
        ("alerts", "test"),
        "Dry run: which papers of the last 7 days a query (or like <ids>) matches.",
        (Arg("query", QUERY_HELP, ArgKind.TEXT),),
        examples=("alerts test mamba", "alerts test like 2401.12345"),
    ),
    CommandSpec(
        ("save",),
        "Save a paper to this channel's reading list.",
        (Arg("id", ARXIV_ID_HELP, ArgKind.WORD),),
        examples=("save 2410.17243",),
    ),
    CommandSpec(
        ("not-relevant",),
        "Rank papers like this one a little lower in this channel's digests (at most 15 %).",
        (Arg("id", ARXIV_ID_HELP, ArgKind.WORD),),
        examples=("not-relevant 2410.17243",),
    ),
    CommandSpec(
        ("more-like",),
        "Rank papers like this one a little higher in this channel's digests (at most 15 %).",
        (Arg("id", ARXIV_ID_HELP, ArgKind.WORD),),
        examples=("more-like 2410.17243",),
    ),
    CommandSpec(
        ("undo",),
        "Take back your latest save, not-relevant or more-like here, or the one numbered.",
        (Arg("click", "The click's number, from its confirmation", ArgKind.INT, False, 1, 10**12),),
        examples=("undo", "undo 17"),
    ),
    CommandSpec(("reading-list",), "Show this channel's reading list, numbered, newest last."),
    CommandSpec(
        ("reading-list", "remove"),
        "Take a paper off this channel's reading list, by its number or its arXiv id.",
        (Arg("paper", "Its number (as `reading-list show` numbers it) or arXiv id"),),
        manages=True,
        examples=("reading-list remove 2", "reading-list remove 2410.17243"),
    ),
    CommandSpec(
        ("reading-list", "export"),
        "This channel's reading list as Markdown or BibTeX (arXiv eprint entries), a page at "
        "a time.",
        (
            Arg(
                "format",
                "markdown or bibtex",
                ArgKind.CHOICE,
                choices=("markdown", "bibtex"),
            ),
            Arg("page", "Which page (default 1)", ArgKind.INT, False, 1, 10**6),
        ),
        examples=("reading-list export bibtex", "reading-list export markdown 2"),
    ),
    CommandSpec(
        ("feed",),
        "This channel's private feed URLs (RSS, Atom, JSON Feed, BibTeX) of what it received.",
    ),
    CommandSpec(
        ("feed", "rotate"),
        "Replace this channel's feed URLs with new ones (the old ones stop working).",
        manages=True,
    ),
    CommandSpec(
        ("feed", "off"),
        "Turn this channel's feeds off (their URLs stop working).",
        manages=True,
    ),
    CommandSpec(("mine",), "Your own alerts (sent to you by direct message)."),
    CommandSpec(
        ("mine", "subscribe"),
        "Your own alert: a direct message when a new paper matches.",
        (Arg("query", QUERY_HELP, ArgKind.TEXT),),
        examples=("mine subscribe mamba", "mine subscribe like 2401.12345"),
    ),
    CommandSpec(
        ("mine", "follow"),
        "Get this channel's alerts by direct message too.",
        (
            Arg(
                "subscriptions",
                "The alerts' numbers shown by `subscriptions`, e.g. 3 4",
                ArgKind.TEXT,
            ),
        ),
        examples=("mine follow 3",),
    ),
    CommandSpec(
        ("mine", "mute"),
        "Pause one of your own alerts.",
        (Arg("number", "Its number in `mine`", ArgKind.INT, True, 1, 10**9),),
    ),
    CommandSpec(
        ("mine", "unmute"),
        "Resume one of your own alerts.",
        (Arg("number", "Its number in `mine`", ArgKind.INT, True, 1, 10**9),),
    ),
    CommandSpec(
        ("mine", "remove"),
        "Remove one of your own alerts.",
        (Arg("number", "Its number in `mine`", ArgKind.INT, True, 1, 10**9),),
    ),
    CommandSpec(
        ("mine", "retry"),
        "Try direct messages to you again.",
    ),
    CommandSpec(("status",), "Last poll, papers stored, next digest, paused channels."),
    CommandSpec(
        ("resume",),
        "Resume this channel's deliveries (and its workspace's) after a "
        "pause; what fell due meanwhile follows.",
        manages=True,
    ),
)


def echo(text: str, limit: int = 60) -> str:
    """User text to quote back inside `code`: one line, no backticks, clipped."""
    flat = " ".join(text.replace("`", "'").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class CommandError(ValueError):
    """A command that cannot be run as typed; the message is shown to the user."""


@dataclass(frozen=True)
class ParsedCommand:
    """A command from the table with its converted arguments."""

    spec: CommandSpec
    args: dict[str, Any]


def find(path: tuple[str, ...]) -> CommandSpec | None:
    """The command with exactly these words."""
    return next((spec for spec in COMMANDS if spec.path == path), None)


def groups() -> dict[str, list[CommandSpec]]:
    """Commands grouped by their first word, in table order."""
    grouped: dict[str, list[CommandSpec]] = {}
    for spec in COMMANDS:
        grouped.setdefault(spec.path[0], []).append(spec)
    return grouped


def is_own_command(spec: CommandSpec) -> bool:
    """Whether the command is a group's own (`reading-list`, beside `reading-list remove`)."""
    return len(spec.path) == 1 and len(groups()[spec.path[0]]) > 1


def typed_usage(spec: CommandSpec) -> str:
    """The usage line as every platform takes it: `reading-list show` for a group's own."""
    if not is_own_command(spec):
        return spec.usage
    return " ".join([spec.name, OWN_COMMAND, *(a.usage for a in spec.args)])


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


def _split_first(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse(text: str) -> ParsedCommand:
    """Parse command text (with or without the `/papers` prefix); raise CommandError."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise CommandError(
            f"That command is {len(text):,} characters long; the limit is {MAX_COMMAND_LENGTH:,}."
        )
    rest = text.strip()
    if rest.lower() == COMMAND_PREFIX or rest.lower().startswith(COMMAND_PREFIX + " "):
        rest = rest[len(COMMAND_PREFIX) :].strip()
    word, rest = _split_first(rest)
    word = word.lower()
    if not word:
        return ParsedCommand(find(("help",)) or COMMANDS[0], {})
    grouped = groups()
    if word not in grouped:
        raise CommandError(
            f"Unknown command `{echo(word)}`.{_suggest(word, list(grouped))} Try `/papers help`."
        )
    specs = grouped[word]
    if len(specs) == 1 and len(specs[0].path) == 1:
        return ParsedCommand(specs[0], _parse_args(specs[0], rest))
    bare = next((s for s in specs if len(s.path) == 1), None)
    sub, after = _split_first(rest)
    subs = [s.path[1] for s in specs if len(s.path) > 1]
    match = next((s for s in specs if s.path[1:] == (sub.lower(),)), None)
    if match is not None:
        return ParsedCommand(match, _parse_args(match, after))
    if bare is None:
        hint = _suggest(sub.lower(), subs) if sub else ""
        raise CommandError(f"`{word}` needs one of: {', '.join(subs)}.{hint}")
    # A group with a command of its own (`reading-list`): `show`, or no word of the group's,
    # runs that command.
    if sub.lower() == OWN_COMMAND:
        return ParsedCommand(bare, _parse_args(bare, after))
    subs.insert(0, OWN_COMMAND)
    hint = _suggest(sub.lower(), subs) if sub else ""
    try:
        return ParsedCommand(bare, _parse_args(bare, rest))
    except CommandError:
        if bare.args and not hint:
            raise
        raise CommandError(
            f"`{echo(word)} {echo(sub, 30)}` is not a command: `{word}` takes one of: "
            f"{', '.join(subs)}.{hint}"
        ) from None


def _parse_args(spec: CommandSpec, rest: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    skipped: ValueError | None = None
    for arg in spec.args:
        if arg.kind is ArgKind.TEXT:
            if rest.strip():
                values[arg.name] = rest.strip()
            elif arg.required:
                raise CommandError(
                    f"`{spec.name}` needs {arg.usage}: {arg.help}. Usage: `{spec.usage}`"
                )
            rest = ""
            continue
        word, remainder = _split_first(rest)
        if not word:
            if arg.required:
                raise CommandError(f"`{spec.name}` needs {arg.usage}. Usage: `{spec.usage}`")
            continue
        try:
            values[arg.name] = arg.convert(word)
        except ValueError as exc:
            # An optional argument that does not fit lets the next argument try the word.
            if arg.required:
                raise CommandError(f"{exc}. Usage: `{spec.usage}`") from None
            skipped = skipped or exc
            continue
        rest = remainder
    if rest.strip() and skipped is not None:
        raise CommandError(f"{skipped}. Usage: `{spec.usage}`")
    if rest.strip():
        raise CommandError(f"Unexpected `{echo(rest)}`. Usage: `{spec.usage}`")
    return values
