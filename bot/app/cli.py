"""The `paperboy` command line: run the bot, fetch, backfill, search, digest, run a command."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from bot.app import logs
from bot.app.platforms import ConfigError
from bot.domain import CONSOLE_CHANNEL_KEY, ChannelRef, DatabaseDamaged, Invocation

# Each command imports what it uses when it runs: `--help` pays for neither the wiring (the
# core, storage, the platforms) nor the settings (pydantic), `search` for storage alone.
if TYPE_CHECKING:
    from bot.app.config import Settings
    from bot.app.wiring import App
    from storage.store import Store

T = TypeVar("T")

# `paperboy search x | head -1`: when stdout closes before paperboy has written everything, it
# stops quietly with the status a shell gives a program killed by SIGPIPE (128 + 13), as `cat`
# or `grep` do.
CLOSED_PIPE_EXIT = 141
INTERRUPTED_EXIT = 130  # 128 + SIGINT, the shell's status for a program stopped by Ctrl-C


class Stdout(Console):
    """stdout; when its reader goes away (`| head -1`), stop quietly with CLOSED_PIPE_EXIT.
    Off a terminal (a file, a pipe) nothing printed is wrapped at a width: every line is
    written whole, as a script reading it expects."""

    @property
    def soft_wrap(self) -> bool:
        """What `print` does when not told: wrap on a terminal, never elsewhere."""
        return self._wraps_softly or not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:
        self._wraps_softly = value

    def on_broken_pipe(self) -> None:
        """rich's hook for EPIPE (its own exits 1): nothing more is written, and exit 141."""
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the final flush writes nothing either
        raise SystemExit(CLOSED_PIPE_EXIT)


cli = typer.Typer(
    help="paperboy: Hugging Face Daily Papers in your terminal, Slack and Discord.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Stdout()
err = Console(stderr=True, soft_wrap=True)

DateOpt = Annotated[str | None, typer.Option("--date", help="Daily Papers day, YYYY-MM-DD.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="Channel key platform:workspace:channel.")
]


# The log format stderr's lines take, once logging is set up (None: not yet).
_log_format: str | None = None


def _setup_logs(level: str, fmt: str) -> None:
    global _log_format
    logs.setup(level, err, fmt)
    _log_format = fmt


def _env_log_format() -> str:
    """PAPERBOY_LOG_FORMAT as Settings would read it (the environment, then `.env`), for the
    lines written before the settings are (or when they cannot be): `text` unless `json`."""
    wanted = "PAPERBOY_LOG_FORMAT".lower()
    env = {name.lower(): value for name, value in os.environ.items()}
    value = env.get(wanted)
    if value is None and os.path.isfile(".env"):
        try:
            from dotenv import dotenv_values

            found = {k.lower(): v for k, v in dotenv_values(".env").items()}
        except (OSError, ValueError, UnicodeError):
            found = {}
        value = found.get(wanted)
    return "json" if (value or "").strip().lower() == "json" else "text"


def say(message: str, level: int = logging.INFO) -> None:
    """One line on stderr, tokens redacted (a server's error body may echo one): with
    PAPERBOY_LOG_FORMAT=json a JSON object as every log line is (logger `paperboy`), else the
    text, after `paperboy: ` for an error."""
    fmt = _log_format or _env_log_format()
    if fmt == "json":
        record = logging.LogRecord("paperboy", level, __file__, 0, message, None, None)
        err.file.write(logs.JsonFormatter().format(record) + "\n")
        err.file.flush()
        return
    text = f"paperboy: {message}" if level >= logging.ERROR else message
    err.print(logs.redact(text), markup=False, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Exit with `code` (2: the user's input or setup; 1: a failure) and one line on stderr."""
    say(message, logging.ERROR)
    raise typer.Exit(code)


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.app.config import Settings

    try:
        return logs.redacting_secrets(Settings())
    except ValidationError as exc:
        problems = exc.errors()
        first = problems[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        # A validator's ValueError, without pydantic's "Value error, " before it.
        error = first.get("ctx", {}).get("error")
        why = str(error) if first["type"] == "value_error" and error else first["msg"]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fail(f"bad configuration: {where}: {why}{more}")


def _day(text: str | None, what: str = "--date") -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"{what} must be a date like 2026-11-27, not {text!r}")
    if day > datetime.now(UTC).date():
        fail(f"{what} {day} is in the future; Daily Papers has no such day yet")
    return day


def _channel(key: str | None) -> ChannelRef:
    try:
        return ChannelRef.parse(key or CONSOLE_CHANNEL_KEY)
    except ValueError as exc:
        fail(str(exc))


def _with_app(work: Callable[[App], Awaitable[T]]) -> T:
    import asyncio

    from bot.app import wiring

    settings = _settings()
    _setup_logs(settings.log_level, settings.log_format)
    try:
        app = wiring.build_app(settings, out)
    except ConfigError as exc:
        fail(f"bad configuration: {exc}")
    except DatabaseDamaged as exc:
        fail(str(exc))
    except (sqlite3.Error, OSError) as exc:
        fail(f"cannot open the database {settings.db}: {exc}")

    async def main() -> T:
        try:
            return await work(app)
        finally:
            await app.aclose()

    try:
        return asyncio.run(main())
    except DatabaseDamaged as exc:
        fail(str(exc))


# The two settings a command that only reads the archive uses, with their defaults, and every
# other variable Settings reads (tests/bot/app/test_cli_imports.py keeps these whole).
ARCHIVE_SETTINGS = {"PAPERBOY_DB": "paperboy.db", "PAPERBOY_LOG_LEVEL": "INFO"}
OTHER_SETTINGS = (
    "PAPERBOY_HF_URL",
    "HF_TOKEN",
    "PAPERBOY_POLL_MINUTES",
    "PAPERBOY_DIGEST_TIME",
    "PAPERBOY_TIMEZONE",
    "PAPERBOY_CONSOLE_DIGEST",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "PAPERBOY_SLACK_ADMINS_ONLY",
    "DISCORD_TOKEN",
    "DISCORD_API_URL",
    "DISCORD_GATEWAY_URL",
    "PAPERBOY_HTTP_HOST",
    "PAPERBOY_HTTP_PORT",
    "PAPERBOY_PUBLIC_URL",
    "PAPERBOY_SIMILARITY",
    "PAPERBOY_LOG_FORMAT",
)


def _archive_settings() -> tuple[str, str, Settings | None]:
    """The database path and log level as Settings reads them, and Settings when it had to be
    built. While nothing else is configured (no `.env` file, no other variable, a valid
    level) Settings would hold its defaults but for those two, so they are read without
    pydantic; otherwise Settings reads (and validates) everything, as for every command."""
    env = {name.lower(): value for name, value in os.environ.items()}  # as pydantic-settings
    db, level = (env.get(name.lower(), default) for name, default in ARCHIVE_SETTINGS.items())
    if (
        os.path.lexists(".env")
        or not db.strip()  # refused by Settings
        or level.upper() not in logs.LEVELS
        or any(name.lower() in env for name in OTHER_SETTINGS)
    ):
        settings = _settings()
        return settings.db, settings.log_level, settings
    return db, level.upper(), None


def _with_store(work: Callable[[Store], T]) -> T:
    """`_with_app` for a command that only reads the archive: the same settings and checks,
    the same errors, but no core, feed or platform is built (nor imported)."""
    from bot.app.platforms import check_platforms
    from storage.store import Store

    db, level, settings = _archive_settings()
    _setup_logs(level, settings.log_format if settings else "text")
    try:
        store = Store(db)
    except DatabaseDamaged as exc:
        fail(str(exc))
    except (sqlite3.Error, OSError) as exc:
        fail(f"cannot open the database {db}: {exc}")
    try:
        if settings is not None:  # else no platform is configured: nothing to check
            check_platforms(settings)
    except ConfigError as exc:
        store.close()
        fail(f"bad configuration: {exc}")
    try:
        return work(store)
    except DatabaseDamaged as exc:
        fail(str(exc))
    finally:
        store.close()


def write_out(text: str, console: Console | None = None) -> None:
    """`text` on stdout as it is (rich would expand its tabs, style its words); a closed pipe
    ends paperboy as a closed pipe under rich does."""
    console = console or out
    try:
        console.file.write(text)
        console.file.flush()
    except BrokenPipeError:  # as rich's output does (click's own answer would be exit 1)
        console.on_broken_pipe()


def _print_json(data: Any) -> None:
    write_out(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@cli.command()
def run() -> None:
    """Run the bot: poll the feed, post digests and alerts, answer commands typed on stdin."""
    from bot.app import wiring

    if _settings().db == ":memory:":
        fail(
            "PAPERBOY_DB=:memory: is for tests: `paperboy run` needs a database file (its "
            "threads would share one in-memory connection, and every paper would be lost)"
        )
    _with_app(wiring.run)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def alerts_sentence(outcomes: dict[str, int]) -> str:
    """What a poll's alerts did, as words: `no alerts`, `2 alerts sent`, `3 alerts: 2 sent,
    1 failed`."""
    total = sum(outcomes.values())
    if not total:
        return "no alerts"
    if len(outcomes) == 1:
        return f"{_count(total, 'alert')} {next(iter(outcomes))}"
    return f"{_count(total, 'alert')}: " + ", ".join(f"{n} {o}" for o, n in outcomes.items())


@cli.command()
def fetch(date_: DateOpt = None) -> None:
    """Poll the feed once (today and yesterday UTC, or one day), store, alert, report."""
    day = _day(date_)

    async def work(app: App) -> None:
        report = await app.core.poll([day] if day else None)
        alerts = alerts_sentence({str(k): n for k, n in report.alerts.items()})
        if report.errors:  # no summary that reads like success: one line of what failed
            stored = (
                f" (stored meanwhile: {_count(report.fetched, 'paper')}, {len(report.new)} new; "
                f"{alerts})"
                if report.fetched
                else ""
            )
            fail("fetching failed: " + "; ".join(report.errors) + stored, code=1)
        out.print(
            f"Fetched {_count(report.fetched, 'paper')} for "
            f"{', '.join(d.isoformat() for d in report.days)}: {len(report.new)} new, "
            f"{report.updated} with new counts; {alerts}.",
            markup=False,
            highlight=False,
        )

    _with_app(work)


@cli.command()
def backfill(
    since: Annotated[str, typer.Option("--since", help="First day, YYYY-MM-DD.")],
    until: Annotated[str | None, typer.Option("--until", help="Last day (default today).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch days already loaded.")] = False,
    delay: Annotated[
        float,
        typer.Option(
            "--delay", min=0, help="Seconds between requests (HF allows 500 per 5 minutes)."
        ),
    ] = 0.75,
) -> None:
    """Load past Daily Papers days into the archive (resumable; no alerts)."""
    import asyncio

    from bot.backfill import MAX_FAILED_DAYS, BackfillReport
    from bot.backfill import backfill as run_backfill

    first = _day(since, "--since")
    assert first is not None

    def resume(report: BackfillReport) -> str:
        again = f"paperboy backfill --since {report.resume_from}"
        return again + (f" --until {until}" if until else "") + (" --force" if force else "")

    async def work(app: App) -> None:
        last = _day(until, "--until") or app.core.clock().date()
        if last < first:
            fail("--until is before --since")
        if (last - first).days > 3660:
            fail("that is more than ten years of days; pick a shorter range")
        from rich.progress import Progress

        report = BackfillReport()
        try:
            # A JSON log has no room for a bar: every stderr line is an object.
            with Progress(console=err, transient=False, disable=_log_format == "json") as bar:
                task = bar.add_task("backfilling", total=(last - first).days + 1)
                await run_backfill(
                    app.core,
                    first,
                    last,
                    force=force,
                    delay=delay,
                    progress=lambda day: bar.update(task, advance=1, description=str(day)),
                    report=report,
                )
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task
            done = f"{_count(report.fetched_days, 'day')} fetched, {report.new} new papers stored"
            if report.resume_from is None:  # while the search index was being merged
                fail(f"backfill interrupted after its last day ({done})", code=INTERRUPTED_EXIT)
            fail(
                f"backfill interrupted before {report.resume_from} ({done}); resume with "
                f"`{resume(report)}`",
                code=INTERRUPTED_EXIT,
            )
        out.print(
            f"Backfill {first} → {last}: {_count(report.fetched_days, 'day')} fetched, "
            f"{report.skipped_days} already loaded, {_count(report.papers, 'paper')} "
            f"({report.new} new).",
            markup=False,
            highlight=False,
        )
        if report.gave_up:
            fail(
                f"backfill stopped after {MAX_FAILED_DAYS} failed days in a row (last: "
                f"{report.errors[-1]}); resume with `{resume(report)}`",
                code=1,
            )
        if report.errors:
            fail(
                f"{_count(len(report.errors), 'day')} failed: "
                + "; ".join(report.errors[:5])
                + f"; retry with `{resume(report)}`",
                code=1,
            )

    _with_app(work)


# A query's words may start with "-" (`-survey`, the query language's NOT): click passes
# them through as words instead of refusing them as unknown options.
@cli.command(context_settings={"ignore_unknown_options": True})
def search(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY",
            help="Search query, e.g. 'diffusion -survey' (quoted or not; words may start with -).",
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Results.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search every stored paper (BM25 ranking, title first, mild upvote prior)."""
    from bot.query.parse import QueryError
    from bot.query.parse import parse as parse_query

    # The query language has no `--`: such a word is a mistyped option (`--limt 5`).
    option = next((w for w in words if w.startswith("--")), None)
    if option is not None:
        fail(f"no such option: {option.split('=')[0]} (see `paperboy search --help`)")
    query = " ".join(words)
    try:
        parsed = parse_query(query)
    except QueryError as exc:
        fail(str(exc))

    def work(store: Store) -> None:
        hits = store.search(parsed, limit=limit)
        if as_json:
            _print_json([{**h.paper.as_json(), "snippet": h.snippet} for h in hits])
            return
        from adapters.console.render import render_reply
        from bot.domain import Reply

        total = max(store.count_matches(parsed), len(hits)) if hits else 0
        matches = f"{_count(total, 'paper')} {'matches' if total == 1 else 'match'} {query}"
        text = (
            f"No stored paper matches {query}"
            if not hits
            else matches
            if total <= len(hits)
            else f"{matches}; showing the top {len(hits)}"
        )
        # What ConsolePublisher.show prints, without the adapter's asyncio and stdin machinery.
        reply = Reply(text=text, hits=tuple(hits), title="Search")
        out.print(render_reply(reply))  # piped: never wrapped (Stdout)

    _with_store(work)


@cli.command()
def digest(
    date_: DateOpt = None,
    top: Annotated[int | None, typer.Option("--top", min=1, max=25, help="Papers.")] = None,
    as_json: JsonOpt = False,
    send: Annotated[bool, typer.Option("--send", help="Post it now through the ledger.")] = False,
    channel: ChannelOpt = None,
    weekly: Annotated[
        bool, typer.Option("--weekly", help="The weekly roll-up of the day's ISO week instead.")
    ] = False,
) -> None:
    """Print a day's digest (default: the newest stored day), or --send it to channels."""
    from bot.delivery.digests import DIGEST_KIND
    from bot.delivery.weekly import WEEKLY_KIND

    day = _day(date_)
    kind = WEEKLY_KIND if weekly else DIGEST_KIND

    async def work(app: App) -> None:
        wanted = day or next(iter(app.store.recent_days(1)), None)
        if wanted is None:
            fail("no papers stored yet; run `paperboy fetch` first")
        if send:
            await _send_digests(app, kind, wanted, top, channel)
            return
        ref = _channel(channel)
        built = app.core.post_for(ref, kind, day=wanted, top=top)
        papers = list(built.papers) if built else []
        if as_json:
            _print_json([p.as_json() for p in papers])
        elif built is None or not papers:
            if kind == DIGEST_KIND and wanted not in app.store.polled_days():
                fail(f"{wanted} was never fetched; run `paperboy fetch --date {wanted}` first")
            out.print(f"No papers for {wanted}: Daily Papers listed none that day.", markup=False)
        else:
            await app.console.print_digest(built)

    _with_app(work)


async def _send_digests(app: App, kind: str, day: date, top: int | None, key: str | None) -> None:
    from bot.app.wiring import ensure_console_channel

    # First finish what an earlier run left in flight (a crash, a kill): its posts are
    # confirmed or completed, never repeated.
    await app.core.recover()
    if key:
        targets = [_channel(key)]
    else:
        ensure_console_channel(app)
        targets = [s.channel for s in app.store.schedules(kind, enabled=True)]
    if not targets:
        fail(f"no channel has the {app.core.timed(kind).label} on; pass --channel KEY")
    from bot.delivery.deliverer import Outcome

    outcomes = await app.core.send_many(targets, kind, day=day, top=top)
    ledger_ref = app.core.timed(kind).covering(day).ref
    missed = []
    for ref, outcome in zip(targets, outcomes, strict=True):
        status = outcome.value if outcome else "nothing to post"
        if outcome in (Outcome.FAILED, Outcome.PAUSED, Outcome.NO_ADAPTER):
            missed.append(ref.key)
            entry = app.store.delivery(ref, kind, ledger_ref)
            if entry and entry.get("error"):
                status += f" ({entry['error']})"
        say(f"{ref.key}: {status}")
    if missed:  # exit 1, so that a cron job can tell
        fail(f"the {app.core.timed(kind).label} did not reach {', '.join(missed)}", code=1)


@cli.command()
def command(
    text: Annotated[str, typer.Argument(help="A command as typed in chat, e.g. 'today 5'.")],
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one `/papers` command as if typed in a channel, and print the reply."""
    ref = _channel(channel)

    async def work(app: App) -> bool:
        reply = await app.handlers.handle(text, Invocation(channel=ref, user="cli", operator=True))
        if as_json:
            _print_json(reply.as_json())
        elif reply.ok:
            app.console.show(reply)
        else:
            say(reply.text, logging.ERROR)
        return reply.ok

    if not _with_app(work):
        raise typer.Exit(2)


@cli.command()
def status(channel: ChannelOpt = None, as_json: JsonOpt = False) -> None:
    """Last poll, papers stored, next digest and paused channels."""
    ref = _channel(channel)

    async def work(app: App) -> None:
        inv = Invocation(channel=ref, user="cli", operator=True)
        reply = await app.handlers.handle("status", inv)
        if as_json:
            _print_json(reply.as_json())
        else:
            app.console.show(reply)

    _with_app(work)


@cli.command()
def resume(
    key: Annotated[
        str,
        typer.Argument(
            help="A paused channel (platform:workspace:channel) or workspace (platform:workspace; "
            "platform:* for every workspace of a platform)."
        ),
    ],
) -> None:
    """Resume a paused channel or workspace; what fell due meanwhile is delivered next."""

    async def work(app: App) -> None:
        parts = key.split(":")
        if len(parts) == 2 and all(p.strip() for p in parts):
            resumed = app.store.resume_workspace(parts[0].strip(), parts[1].strip())
        else:
            resumed = app.core.resume(_channel(key))
        if not resumed:
            fail(f"{key} is not paused (`paperboy status` lists what is)")
        say(f"{key}: resumed; the next run delivers what was held")

    _with_app(work)


@cli.command("discord-invite")
def discord_invite(
    application_id: Annotated[
        int | None,
        typer.Option(
            "--application-id",
            help="The Discord application id (default: asked with DISCORD_TOKEN).",
        ),
    ] = None,
) -> None:
    """Print the link that adds paperboy to a Discord server, with the permissions it needs."""
    from bot.app import wiring

    async def work(app: App) -> None:
        # discord.py's INFO ("logging in using static token") is no news here, as in doctor.
        library = logging.getLogger("discord")
        library.setLevel(max(logging.WARNING, library.level))
        app_id = application_id
        if app_id is None:
            if app.platform("discord") is None:
                fail("set DISCORD_TOKEN, or pass --application-id")
            try:
                app_id = await wiring.discord_application_id(app)
            except ConfigError as exc:
                fail(str(exc))
            except ConnectionError as exc:  # Discord down or unreachable: try again later
                fail(f"{exc}; try again later, or pass --application-id", code=1)
        out.print(wiring.discord_invite_url(app_id), markup=False, highlight=False)

    _with_app(work)


@cli.command()
def doctor() -> None:
    """Check settings, database, feed, Slack and Discord; say what to fix (exit 1 if any fails)."""
    from bot.app import doctor as checks

    # The report says what went wrong; libraries' warnings would not.
    _setup_logs("ERROR", _env_log_format())
    raise typer.Exit(checks.run(out))


@cli.command("config")
def config_() -> None:
    """List every environment variable paperboy reads, with its default."""
    from bot.app.config import env_vars

    rows = env_vars()
    if not out.is_terminal:  # a pipe or a file: one whole line a variable, tab-separated
        write_out("".join("\t".join(row) + "\n" for row in rows))
        return
    from rich.table import Table

    table = Table("variable", "default", "meaning")
    for name, default, help_ in rows:
        table.add_row(name, default, help_)
    for column in table.columns:
        column.overflow = "fold"  # a narrow terminal folds a long name, never cuts it
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    cli()
