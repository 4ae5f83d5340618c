"""The `paperboy` command line: run the bot, fetch, backfill, search, digest, run a command."""

from __future__ import annotations

import json
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
from bot.domain import CONSOLE_CHANNEL_KEY, ChannelRef, Invocation

# Each command imports what it uses when it runs: `--help` pays for neither the wiring (the
# core, storage, the platforms) nor the settings (pydantic), `search` for storage alone.
if TYPE_CHECKING:
    from bot.app.config import Settings
    from bot.app.wiring import App
    from storage.store import Store

T = TypeVar("T")

cli = typer.Typer(
    help="paperboy: Hugging Face Daily Papers in your terminal, Slack and Discord.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

DateOpt = Annotated[str | None, typer.Option("--date", help="Daily Papers day, YYYY-MM-DD.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="Channel key platform:workspace:channel.")
]


def fail(message: str) -> NoReturn:
    """Exit with code 2 and a one-line message on stderr."""
    err.print(f"paperboy: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.app.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        fail(f"bad configuration {where}: {first.get('msg')}")


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
    logs.setup(settings.log_level, err)
    try:
        app = wiring.build_app(settings, out)
    except ConfigError as exc:
        fail(f"bad configuration: {exc}")
    except (sqlite3.Error, OSError) as exc:
        fail(f"cannot open the database {settings.db}: {exc}")

    async def main() -> T:
        try:
            return await work(app)
        finally:
            await app.aclose()

    return asyncio.run(main())


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
    logs.setup(level, err)
    try:
        store = Store(db)
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
    finally:
        store.close()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@cli.command()
def run() -> None:
    """Run the bot: poll the feed, post digests and alerts, answer commands typed on stdin."""
    from bot.app import wiring

    _with_app(wiring.run)


@cli.command()
def fetch(date_: DateOpt = None) -> None:
    """Poll the feed once (today and yesterday UTC, or one day), store, alert, report."""
    day = _day(date_)

    async def work(app: App) -> None:
        report = await app.core.poll([day] if day else None)
        out.print(
            f"Fetched {report.fetched} papers for "
            f"{', '.join(d.isoformat() for d in report.days)}: {len(report.new)} new, "
            f"{report.updated} with new counts; alerts: "
            f"{dict(report.alerts) or 'none'}.",
            markup=False,
            highlight=False,
        )
        if report.errors:
            err.print(
                "paperboy: fetching failed: " + "; ".join(report.errors),
                markup=False,
                highlight=False,
            )
            raise typer.Exit(1)

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
    from bot.backfill import backfill as run_backfill

    first = _day(since, "--since")
    assert first is not None

    async def work(app: App) -> None:
        last = _day(until, "--until") or app.core.clock().date()
        if last < first:
            fail("--until is before --since")
        if (last - first).days > 3660:
            fail("that is more than ten years of days; pick a shorter range")
        from rich.progress import Progress

        with Progress(console=err, transient=False) as bar:
            task = bar.add_task("backfilling", total=(last - first).days + 1)
            report = await run_backfill(
                app.core,
                first,
                last,
                force=force,
                delay=delay,
                progress=lambda day: bar.update(task, advance=1, description=str(day)),
            )
        out.print(
            f"Backfill {first} → {last}: {report.fetched_days} days fetched, "
            f"{report.skipped_days} already loaded, {report.papers} papers "
            f"({report.new} new).",
            markup=False,
            highlight=False,
        )
        if report.errors:
            err.print(
                f"{len(report.errors)} days failed (run again to retry them): "
                + "; ".join(report.errors[:5]),
                markup=False,
            )
            raise typer.Exit(1)

    _with_app(work)


@cli.command()
def search(
    query: Annotated[str, typer.Argument(help="Search query, e.g. 'diffusion -survey'.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Results.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search every stored paper (BM25 ranking, title first, mild upvote prior)."""
    from bot.query.parse import QueryError
    from bot.query.parse import parse as parse_query

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

        text = f"{len(hits)} results for {query}" if hits else f"No stored paper matches {query}"
        # What ConsolePublisher.show prints, without the adapter's asyncio and stdin machinery.
        out.print(render_reply(Reply(text=text, hits=tuple(hits), title="Search")))

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
            out.print(f"No papers for {wanted}.", markup=False)
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
    outcomes = await app.core.send_many(targets, kind, day=day, top=top)
    for ref, outcome in zip(targets, outcomes, strict=True):
        status = outcome.value if outcome else "nothing to post"
        err.print(f"{ref.key}: {status}", markup=False, highlight=False)


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
            err.print(f"paperboy: {reply.text}", markup=False, highlight=False)
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
        err.print(
            f"{key}: resumed; the next run delivers what was held", markup=False, highlight=False
        )

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
        app_id = application_id
        if app_id is None:
            if app.platform("discord") is None:
                fail("set DISCORD_TOKEN, or pass --application-id")
            try:
                app_id = await wiring.discord_application_id(app)
            except ConfigError as exc:
                fail(str(exc))
        out.print(wiring.discord_invite_url(app_id), markup=False, highlight=False, soft_wrap=True)

    _with_app(work)


@cli.command("config")
def config_() -> None:
    """List every environment variable paperboy reads, with its default."""
    from rich.table import Table

    from bot.app.config import env_vars

    table = Table("variable", "default", "meaning")
    for name, default, help_ in env_vars():
        table.add_row(name, default, help_)
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    cli()
