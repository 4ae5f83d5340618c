"""Command handlers: turn a parsed `/papers` command into a platform-neutral Reply."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands import feeds, likes, mine, reading
from bot.commands.table import (
    COMMANDS,
    MAX_CLIMBERS,
    OWN_COMMAND,
    QUERY_HELP,
    ArgKind,
    CommandError,
    CommandSpec,
    ParsedCommand,
    echo,
    find,
    parse,
    typed_usage,
)
from bot.delivery.alerts import MAX_SUBSCRIPTIONS_PER_CHANNEL
from bot.delivery.calendar import timezone_names
from bot.delivery.deliverer import ALL_WORKSPACES, AT_LEAST_ONCE
from bot.delivery.digests import DIGEST_KIND, shown_filter
from bot.delivery.living_reads import LIVE_FOR
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import (
    WEEKDAYS,
    DatabaseDamaged,
    Invocation,
    Layout,
    Reply,
    SearchHit,
    Subscription,
    WeekendPolicy,
)
from bot.domain.query import Query
from bot.query.parse import QueryError, describe
from bot.query.parse import parse as parse_query
from bot.service import POLL_FAILED, POLL_SUCCEEDED, Paperboy
from bot.similarity.seeds import SeedError, asks_like, like_text, parse_like

log = logging.getLogger(__name__)

SEARCH_LIMIT = 10
ALERT_TEST_DAYS = 7
ALERT_TEST_SHOWN = 10
# Queries are at most 300 characters: quoted back whole.
Q = 300
# Discord shows at most 25 autocomplete choices.
MAX_SUGGESTIONS = 25
# Commands run their database work in these threads, never on the event loop: one user's
# slow search must not hold up another's acknowledgement. At most this many run at once.
COMMAND_THREADS = 4
# When a timed post runs next, as replies show it: `Thu 26 Nov 07:30 CET`.
NEXT_FORMAT = "%a %d %b %H:%M %Z"
LAYOUTS = {
    Layout.COMPACT: "compact (a ranked list; details in the thread)",
    Layout.FULL: "full (every paper's card)",
}

Handler = Callable[["Handlers", dict[str, Any], Invocation], Reply]


def error(text: str) -> Reply:
    """A reply that tells the caller what went wrong."""
    return Reply(text=text, ok=False)


def count(n: int, noun: str) -> str:
    """`1 paper`, `42 papers`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def found(total: int, shown: int, query: str) -> str:
    """How many stored papers a search matched, and how many of them are shown."""
    matches = f"{count(total, 'paper')} {'matches' if total == 1 else 'match'} `{echo(query, Q)}`"
    return matches if shown >= total else f"{matches}; showing the top {shown}"


class Handlers:
    """Runs commands from the command table against the core.

    The handler methods are synchronous and talk to the repository; `run` calls them in a
    worker thread (`COMMAND_THREADS` of them), so the event loop keeps serving other users,
    the scheduler and the platforms meanwhile. They must therefore touch no asyncio object.
    """

    feed_base: str | None = None  # where readers reach the feeds (None: no HTTP server runs)

    def __init__(self, core: Paperboy) -> None:
        self.core = core
        self.repo = core.repo
        self._threads = ThreadPoolExecutor(COMMAND_THREADS, thread_name_prefix="paperboy-cmd")

    async def handle(self, text: str, inv: Invocation) -> Reply:
        """Parse and run command text as typed by a user; never raises for bad input."""
        try:
            parsed = parse(text)
        except CommandError as exc:
            return error(str(exc))
        return await self.run(parsed, inv)

    async def run(self, parsed: ParsedCommand, inv: Invocation) -> Reply:
        """Run an already parsed command (Discord options arrive parsed)."""
        spec = parsed.spec
        if spec.manages and not inv.can_manage:
            return error(
                f"Sorry, `{spec.name}` is for channel managers (it changes this channel's "
                "settings or shared list), and you don't have permission to manage this channel. "
                "Ask a channel manager or a workspace admin."
            )
        try:
            reply = await self._in_thread(self._answer, spec, parsed.args, inv)
        except (QueryError, CommandError, ValueError) as exc:
            return error(str(exc))
        except asyncio.CancelledError:  # queued when paperboy began to stop
            return error("paperboy is restarting; try again in a minute.")
        except DatabaseDamaged as exc:  # no bug to trace: the operator must repair the file
            if inv.operator:  # the CLI or the console: the operator reads the reply
                return error(str(exc))
            log.error("command %r in %s: %s", spec.name, inv.channel.key, exc)
            return error("Sorry, paperboy's database is damaged; its operator has been told.")
        except Exception:  # a bug must cost one answer, not the process
            log.exception("command %r failed in %s", spec.name, inv.channel.key)
            return error("Sorry, something went wrong on paperboy's side; it has been logged.")
        if spec.manages and reply.ok:
            await self._in_thread(self._resume_if_paused, inv)
        return replace(reply, ephemeral=spec.personal) if reply.ok else reply

    def _answer(self, spec: CommandSpec, args: dict[str, Any], inv: Invocation) -> Reply:
        """The handler's reply; a private one tells the caller once that their DMs were
        refused (their matches come as mentions in the channel instead)."""
        reply = _HANDLERS[spec.path](self, args, inv)
        if not (reply.ok and spec.personal) or inv.operator:
            return reply
        ref = inv.channel
        if not self.repo.untold_closed_dms(ref.platform, ref.workspace, inv.user):
            return reply
        if mine.CLOSED in reply.text:  # `mine` says it already
            return reply
        return replace(reply, text=f"{reply.text}\n\n{mine.CLOSED}".strip())

    async def _in_thread(self, fn: Callable[..., Reply | None], *args: Any) -> Any:
        """Run blocking work (the database) in a command thread, with this task's context
        variables; the loop runs other tasks until it is done."""
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    async def aclose(self) -> None:
        """Let commands already running finish and stop the command threads (before the
        store closes: a command still running then would fail on a closed connection)."""
        await asyncio.to_thread(self._threads.shutdown, wait=True, cancel_futures=True)

    def suggest(
        self, spec: CommandSpec, arg: str, inv: Invocation, typed: str
    ) -> list[tuple[str, str]]:
        """(label, value) completions for an argument as the user types it: the value is
        short (an alert's number), the label says what it is."""
        typed = typed.strip().lower()
        if spec.path == ("unsubscribe",) and arg == "subscription":
            options = [
                (f"{s.id}: {s.query}", str(s.id)) for s in self.repo.subscriptions(inv.channel)
            ]
        elif any(a.name == arg and a.kind is ArgKind.TIMEZONE for a in spec.args):
            options = [(zone, zone) for zone in timezone_names()]
        else:
            return []
        return [o for o in options if typed in o[0].lower()][:MAX_SUGGESTIONS]

    def _resume_if_paused(self, inv: Invocation) -> None:
        self.core.resume(inv.channel)

    # --- papers ---------------------------------------------------------------------------

    def help(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """List commands, or explain one."""
        wanted = str(args.get("command", "")).lower().split()
        if wanted[1:2] == [OWN_COMMAND] and find((wanted[0], OWN_COMMAND)) is None:
            wanted = wanted[:1]  # `reading-list show` is `reading-list`
        if wanted:
            specs = [s for s in COMMANDS if list(s.path[: len(wanted)]) == wanted[:2]]
            if not specs:
                return error(f"No command `{echo(' '.join(wanted))}`. Try `/papers help`.")
            lines = []
            for spec in specs:
                lines.append(f"`/papers {typed_usage(spec)}`: {spec.help}")
                lines.extend(f"  {a.name}: {a.help}" for a in spec.args)
                lines.extend(f"  e.g. `/papers {e}`" for e in spec.examples)
            return Reply(text="\n".join(lines), title=f"Help: {' '.join(wanted)}")
        lines = [f"`/papers {typed_usage(spec)}`: {spec.help}" for spec in COMMANDS]
        lines.append(f"Queries: {QUERY_HELP}.")
        return Reply(text="\n".join(lines), title="paperboy commands")

    def today(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Top papers of the newest stored Daily Papers day."""
        days = self.repo.recent_days(1)
        if not days:
            return Reply(
                text="No papers stored yet. The first poll of the feed will fill "
                "this in; `paperboy fetch` does it now."
            )
        count = int(args.get("count") or self.core.schedule(inv.channel).size)
        papers = self.repo.papers_on(days, limit=count)
        return Reply(
            text=f"Top {len(papers)} of Daily Papers for {days[0]:%A %d %B %Y}",
            title=f"Daily Papers · {days[0]:%a %d %b %Y}",
            hits=tuple(SearchHit(p) for p in papers),
        )

    def search(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Ranked search over stored papers."""
        query = parse_query(args["query"])
        hits = self.repo.search(query, limit=SEARCH_LIMIT)
        if not hits:
            return Reply(
                text=f"No stored paper matches `{echo(args['query'], Q)}` "
                f"({count(self.repo.count_papers(), 'paper')} searched)."
            )
        # Count and page are two statements: a poll landing between them may add a paper.
        total = max(self.repo.count_matches(query), len(hits))
        return Reply(
            text=found(total, len(hits), args["query"]), title="Search results", hits=tuple(hits)
        )

    def paper(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """One paper by arXiv id."""
        unknown = (
            "it only knows papers that appeared on Daily Papers. Try `/papers search` instead."
        )
        paper = reading.stored(self.repo, str(args["id"]), unknown)
        return Reply(text="", hits=(SearchHit(paper),))

    # --- alerts ---------------------------------------------------------------------------

    def subscribe(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Add a keyword alert (or, `like <ids>`, a similarity alert) to the channel."""
        text = " ".join(str(args["query"]).split())
        if asks_like(text):
            return likes.subscribe(self, text, inv)
        query = parse_query(text)
        sub = self.add_alert(text, inv)
        if isinstance(sub, Reply):
            return sub
        recent = self.repo.count_matches(query, days=self.repo.recent_days(ALERT_TEST_DAYS))
        return Reply(
            text=f"Alert #{sub.id} added: `{echo(text, Q)}`. This channel gets a post "
            f"when a new paper matches ({recent:,} in the last "
            f"{ALERT_TEST_DAYS} stored days would have).\nMatches papers that "
            + "; ".join(describe(query))
            + "."
        )

    def add_alert(self, text: str, inv: Invocation) -> Subscription | Reply:
        """Store a channel's alert, or the error reply when it has that one or too many."""
        existing = self.repo.subscriptions(inv.channel)
        duplicate = next((s for s in existing if s.query == text), None)
        if duplicate is not None:
            return error(f"This channel already has that alert (#{duplicate.id}).")
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_CHANNEL:
            return error(
                f"This channel has {len(existing)} alerts, the most it can have. "
                "Remove one with `/papers unsubscribe <number>` first."
            )
        self.repo.save_channel(self.core.settings(inv.channel))
        sub = self.repo.add_subscription(
            inv.channel, text, inv.user, self.core.clock(), most=MAX_SUBSCRIPTIONS_PER_CHANNEL
        )
        if sub is None:  # another command got there first, just now
            if len(self.repo.subscriptions(inv.channel)) >= MAX_SUBSCRIPTIONS_PER_CHANNEL:
                return error(
                    f"This channel has {MAX_SUBSCRIPTIONS_PER_CHANNEL} alerts, the "
                    "most it can have. Remove one with `/papers unsubscribe <number>` "
                    "first."
                )
            return error("This channel already has that alert.")
        return sub

    def unsubscribe(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Remove an alert by number or exact query."""
        target = str(args["subscription"]).strip().lstrip("#")
        number, _, rest = target.partition(":")
        if rest and number.strip().isdigit():  # "3: mamba", as offered by autocomplete
            target = number.strip()
        target = " ".join(target.split())
        if asks_like(target):  # `like 2401.12345v2, 2402.00001`: as `subscribe` stored it
            with contextlib.suppress(SeedError):
                target = like_text(parse_like(target))
        removed = self.repo.remove_subscription(inv.channel, target)
        if removed is None:
            return error(
                f"No alert `{echo(target, 80)}` in this channel. "
                "`/papers subscriptions` lists them with their numbers."
            )
        return Reply(text=f"Alert #{removed.id} removed: `{echo(removed.query, Q)}`.")

    def subscriptions(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """List the channel's alerts."""
        subs = self.repo.subscriptions(inv.channel)
        if not subs:
            return Reply(
                text="This channel has no alerts. Add one with `/papers subscribe <query>`."
            )
        return Reply(
            text="\n".join(likes.describe(self, s) or _describe(s) for s in subs),
            title=f"{count(len(subs), 'alert')} in this channel",
        )

    def alerts_test(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Dry run of a query (or a similarity alert) over the last stored days."""
        if asks_like(str(args["query"])):
            return likes.alerts_test(self, " ".join(str(args["query"]).split()), inv)
        matched, shown = self._dry_run(parse_query(args["query"]))
        if not matched:
            return Reply(
                text=f"`{echo(args['query'], Q)}` would not have matched any paper "
                f"in the last {ALERT_TEST_DAYS} stored days."
            )
        return Reply(
            text=f"`{echo(args['query'], Q)}` would have alerted on {count(matched, 'paper')}"
            f" in the last {ALERT_TEST_DAYS} "
            "stored days" + (f"; the top {len(shown)}:" if matched > len(shown) else ":"),
            title="Alert dry run",
            hits=shown,
        )

    def _dry_run(self, query: Query) -> tuple[int, tuple[SearchHit, ...]]:
        """How many papers first listed in the last ALERT_TEST_DAYS stored days the query
        matches, and the best ALERT_TEST_SHOWN of them. Answered by the search index: alerts
        match what search finds (tests/bot/commands/test_dry_run.py holds them to it)."""
        days = self.repo.recent_days(ALERT_TEST_DAYS)
        if not days:
            return 0, ()
        shown = tuple(self.repo.search(query, limit=ALERT_TEST_SHOWN, days=days))
        # Count and page are two statements: a poll landing between them may add a paper.
        return max(self.repo.count_matches(query, days=days), len(shown)), shown

    # --- schedules (the daily digest, the weekly roll-up) ---------------------------------

    def digest_on(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Turn the digest on, optionally at a time and zone."""
        return self._turn_on(inv, DIGEST_KIND, args)

    def digest_off(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Turn the digest off."""
        return self._turn_off(inv, DIGEST_KIND, "digest")

    def digest_show(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Show the digest settings."""
        return self._show(inv, DIGEST_KIND, "Digest settings")

    def digest_size(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set how many papers the digest lists."""
        return self._update(inv, DIGEST_KIND, size=args["count"])

    def digest_min_upvotes(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set the digest's upvote floor."""
        return self._update(inv, DIGEST_KIND, min_upvotes=args["count"])

    def digest_weekends(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set what happens on days without papers."""
        return self._update(inv, DIGEST_KIND, weekends=WeekendPolicy(args["policy"]))

    def digest_filter(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set or remove the channel's topic filter (its daily digest and weekly roll-up)."""
        text = " ".join(str(args["query"]).split())
        schedule = self.core.schedule(inv.channel, DIGEST_KIND)
        if text.lower() == "off":
            self.core.save_schedule(replace(schedule, filter=None))
            return Reply(
                text="Filter off: digests rank every paper. " + self._summary(inv, DIGEST_KIND)
            )
        query = parse_query(text)  # a bad query is refused in one line, nothing stored
        self.core.save_schedule(replace(schedule, filter=text))
        return Reply(
            text="Saved. "
            + self._summary(inv, DIGEST_KIND)
            + " The filter matches papers that "
            + "; ".join(describe(query))
            + "."
        )

    def digest_layout(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set the channel's layout (its digests, roll-ups and alerts)."""
        return self._update(inv, DIGEST_KIND, layout=Layout(args["layout"]))

    def digest_climbers(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set or remove the upvotes past which a paper gets a late-climber reply."""
        word = str(args["upvotes"]).strip().lower()
        if word == "off":
            return self._update(inv, DIGEST_KIND, climbers=None)
        if not word.isdigit() or not 1 <= int(word) <= MAX_CLIMBERS:
            raise CommandError(
                f"upvotes must be a whole number from 1 to {MAX_CLIMBERS:,}, or off, not "
                f"`{echo(word, 20)}`. Usage: `digest climbers <upvotes>`"
            )
        return self._update(inv, DIGEST_KIND, climbers=int(word))

    def weekly_on(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Turn the weekly roll-up on, optionally on a weekday, at a time and zone."""
        return self._turn_on(inv, WEEKLY_KIND, args)

    def weekly_off(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Turn the weekly roll-up off."""
        return self._turn_off(inv, WEEKLY_KIND, "weekly")

    def weekly_show(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Show the weekly roll-up settings."""
        return self._show(inv, WEEKLY_KIND, "Weekly roll-up settings")

    def weekly_size(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Set how many papers the weekly roll-up lists."""
        return self._update(inv, WEEKLY_KIND, size=args["count"])

    def _turn_on(self, inv: Invocation, kind: str, args: dict[str, Any]) -> Reply:
        schedule = self.core.schedule(inv.channel, kind)
        self.core.save_schedule(
            replace(
                schedule,
                enabled=True,
                enabled_at=schedule.enabled_at if schedule.enabled else self.core.clock(),
                time=args.get("time", schedule.time),
                timezone=args.get("timezone", schedule.timezone),
                weekday=args.get("weekday", schedule.weekday),
            )
        )
        return Reply(text=self._summary(inv, kind))

    def _turn_off(self, inv: Invocation, kind: str, command: str) -> Reply:
        self.core.save_schedule(replace(self.core.schedule(inv.channel, kind), enabled=False))
        label = self.core.timed(kind).label
        return Reply(text=f"{label.capitalize()} off. Turn it back on with `/papers {command} on`.")

    def _update(self, inv: Invocation, kind: str, **changes: Any) -> Reply:
        self.core.save_schedule(replace(self.core.schedule(inv.channel, kind), **changes))
        return Reply(text="Saved. " + self._summary(inv, kind))

    def _show(self, inv: Invocation, kind: str, title: str) -> Reply:
        """A schedule's settings; `extra` says when it runs next (ISO 8601, and as people read
        it), if it is on."""
        schedule = self.core.schedule(inv.channel, kind)
        upcoming = self.core.timed(kind).next_run(schedule, self.core.clock())
        on = schedule.enabled
        return Reply(
            text=self._summary(inv, kind) + "\n" + reading.clicks_effect(self, inv),
            title=title,
            extra={
                "next": upcoming.isoformat() if on else None,
                "next_label": f"{upcoming:{NEXT_FORMAT}}" if on else None,
            },
        )

    def _summary(self, inv: Invocation, kind: str) -> str:
        s = self.core.schedule(inv.channel, kind)
        timed = self.core.timed(kind)
        floor = f", at least {s.min_upvotes} upvotes" if s.min_upvotes else ""
        weekends = "a notice" if s.weekends.value == "notice" else "nothing"
        when = f"{WEEKDAYS[s.weekday].capitalize()}s at " if timed.weekly else "at "
        empty = "weeks" if timed.weekly else "days"
        text = (
            f"{timed.label.capitalize()} {'on' if s.enabled else 'off'}: top {s.size} "
            f"papers{floor} {when}{s.time} {s.timezone}; {empty} without papers get "
            f"{weekends}."
        )
        if s.enabled:
            text += f" Next: {timed.next_run(s, self.core.clock()):{NEXT_FORMAT}}."
        # One filter per channel, kept with the daily digest's settings, for both kinds.
        daily = s if kind == DIGEST_KIND else self.core.schedule(inv.channel, DIGEST_KIND)
        if daily.filter:
            text += (
                f" Filter: only papers matching `{shown_filter(daily.filter)}` "
                "(daily and weekly; `/papers digest filter off` removes it)."
            )
        if kind == DIGEST_KIND:  # the channel's layout, for digests, roll-ups and alerts
            text += " " + _layout(s.layout, s.size, s.climbers)
        return text

    # --- status ---------------------------------------------------------------------------

    def status(self, args: dict[str, Any], inv: Invocation) -> Reply:
        """Health of the feed, the archive and this channel."""
        lines = [
            *self._polls(),
            f"Papers stored: {self.repo.count_papers():,}",
            self._summary(inv, DIGEST_KIND),
            self._summary(inv, WEEKLY_KIND),
            f"Alerts in this channel: {len(self.repo.subscriptions(inv.channel))}",
        ]
        # Chat users see their own workspace; the operator (CLI, console) sees every channel.
        paused = [
            c
            for c in self.repo.channels(paused=True)
            if (
                inv.operator
                or (c.channel.platform, c.channel.workspace)
                == (inv.channel.platform, inv.channel.workspace)
            )
        ]
        if paused:
            lines.append(f"Paused channels ({len(paused)}):")
            lines.extend(f"  {c.channel.key}: {c.paused_reason}" for c in paused)
        else:
            lines.append("Paused channels: none")
        here = (inv.channel.platform, inv.channel.workspace)
        workspaces = {
            w: why
            for w, why in self.repo.paused_workspaces().items()
            if inv.operator or w in (here, (here[0], ALL_WORKSPACES))
        }
        for (platform, workspace), why in sorted(workspaces.items()):
            where = (
                f"every {platform} channel"
                if workspace == ALL_WORKSPACES
                else f"{platform} workspace {workspace}"
            )
            lines.append(f"Paused: {where}, as a whole ({why}); `/papers resume` there resumes it.")
        for key, why in sorted(self.repo.facts(AT_LEAST_ONCE).items()):
            platform, _, workspace = key.removeprefix(AT_LEAST_ONCE).partition(":")
            if inv.operator or (platform, workspace) == here:
                lines.append(
                    f"At least once in {platform} workspace {workspace}: paperboy "
                    f"cannot look its posts up after a crash ({why})."
                )
        return Reply(
            text="\n".join(lines),
            title="paperboy status",
            extra={
                "paused": [c.channel.key for c in paused],
                "paused_workspaces": [f"{p}:{w}" for p, w in workspaces],
            },
        )

    def _polls(self) -> list[str]:
        """The last poll that fetched every day it asked for, and a later one that did not."""
        facts = self.repo.facts("poll:")
        ok = facts.get(POLL_SUCCEEDED)
        succeeded = datetime.fromisoformat(ok) if ok else None
        lines = [
            f"Last successful poll: {_utc(succeeded)}"
            if succeeded
            else "Last successful poll: never"
        ]
        when, _, days = facts.get(POLL_FAILED, "").partition(" ")
        failed = datetime.fromisoformat(when) if when else None
        if failed is not None and (succeeded is None or failed > succeeded):
            lines.append(f"Last poll, {_utc(failed)}, could not fetch {', '.join(days.split())}")
        return lines


def _layout(layout: Layout, size: int, climbers: int | None) -> str:
    """The channel's layout, and what it does to a digest after it is posted."""
    if layout is Layout.FULL:
        kept = f" (`digest climbers {climbers}` waits for `compact`)" if climbers else ""
        return f"Layout: {LAYOUTS[layout]}: posts are not updated after they go out{kept}."
    hours = int(LIVE_FOR / timedelta(hours=1))
    passes = f" or passes {climbers:,} upvotes" if climbers else ""
    return (
        f"Layout: {LAYOUTS[layout]}, edited as upvotes move for {hours} h after it goes out. "
        f"Late climbers: a reply in the digest's thread when a paper climbs into its top "
        f"{size}{passes}."
    )


def _utc(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M UTC}"


def _resume(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Resume a paused channel (and its workspace)."""
    if handlers.core.resume(inv.channel):
        return Reply(
            text="Deliveries resumed here; posts that fell due while paused follow "
            "within a minute (digests as one catch-up)."
        )
    return Reply(text="Nothing is paused here.")


def _describe(sub: Subscription) -> str:
    return f"#{sub.id} `{echo(sub.query, Q)}` (by {sub.created_by}, {sub.created_at:%Y-%m-%d})"


_HANDLERS: dict[tuple[str, ...], Handler] = {
    ("help",): Handlers.help,
    ("today",): Handlers.today,
    ("search",): Handlers.search,
    ("paper",): Handlers.paper,
    ("subscribe",): Handlers.subscribe,
    ("unsubscribe",): Handlers.unsubscribe,
    ("subscriptions",): Handlers.subscriptions,
    ("digest", "on"): Handlers.digest_on,
    ("digest", "off"): Handlers.digest_off,
    ("digest", "show"): Handlers.digest_show,
    ("digest", "size"): Handlers.digest_size,
    ("digest", "min-upvotes"): Handlers.digest_min_upvotes,
    ("digest", "weekends"): Handlers.digest_weekends,
    ("digest", "filter"): Handlers.digest_filter,
    ("digest", "layout"): Handlers.digest_layout,
    ("digest", "climbers"): Handlers.digest_climbers,
    ("weekly", "on"): Handlers.weekly_on,
    ("weekly", "off"): Handlers.weekly_off,
    ("weekly", "show"): Handlers.weekly_show,
    ("weekly", "size"): Handlers.weekly_size,
    ("alerts", "test"): Handlers.alerts_test,
    ("save",): reading.save,
    ("not-relevant",): reading.not_relevant,
    ("more-like",): reading.more_like,
    ("undo",): reading.undo,
    ("mine",): mine.listing,
    ("mine", "subscribe"): mine.subscribe,
    ("mine", "follow"): mine.follow,
    ("mine", "mute"): mine.mute,
    ("mine", "unmute"): mine.unmute,
    ("mine", "remove"): mine.remove,
    ("mine", "retry"): mine.retry,
    ("reading-list",): reading.reading_list,
    ("reading-list", "remove"): reading.reading_list_remove,
    ("reading-list", "export"): reading.reading_list_export,
    ("feed",): feeds.feed,
    ("feed", "rotate"): feeds.feed_rotate,
    ("feed", "off"): feeds.feed_off,
    ("status",): Handlers.status,
    ("resume",): _resume,
}
assert set(_HANDLERS) == {spec.path for spec in COMMANDS}, "every command needs a handler"
