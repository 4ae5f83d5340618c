"""Benchmark one digest fanned out to many channels through the real publishers, at the limits.

    .venv/bin/python bench/fanout.py
    .venv/bin/python bench/fanout.py --channels 10000 --cold 1000
    .venv/bin/python bench/fanout.py --channels 10000 --path scheduler --slack 10:store
    .venv/bin/python bench/fanout.py --channels 2000 --platforms discord --discord-budget 45

Paperboy.send_many posts one day's digest to N channels (each with the daily digest on, in a
Store on a temp file) through the real DiscordPublisher (discord.py) and SlackPublisher
(slack_sdk), against the strict fakes of tests/fakes set to the platforms' limits:

- Discord (tests/fakes/discord_api.py): 50 requests per second per bot across routes. The
  floor is requests / 50 s (10,000 posts: 200 s). Channel kinds are kept in the database as
  `paperboy run` keeps them, and known before the timed run (as after a first post), so a
  post is one request; a smaller "cold" row starts without them (one GET per channel first).
- Slack (tests/fakes/slack_api.py): 1 post per second per channel with a burst of 3 (Slack's
  documented limit) and a workspace-wide ceiling (undocumented by Slack; the fake defaults to
  10/s with a burst of 10). Channels are spread over several workspaces, so the workspace
  ceiling binds; the floor is the slowest workspace's (posts - burst) / ceiling. `--slack
  5:interleaved` sets the fake's ceiling to paperboy's own budget.

Channels are handed to send_many in the order `paperboy digest --send` does (`store`: the
Store's schedules, sorted by channel key, so grouped by workspace) or dealt round-robin over
workspaces (`interleaved`). `--path scheduler` instead starts the real Scheduler with every
channel's digest due at the same minute (as at 09:00 with the default digest time), and times
from that minute until every job is done. The fake runs in a child process by default (`--fake
inline`: on paperboy's event loop), so the CPU time of each side is its own; `--profile`
prints both sides' costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

import discord
from _common import (
    FIRST_DAY,
    PAPERS_PER_DAY,
    LoopStalls,
    PaperFactory,
    console,
    environment,
    top_functions,
)
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adapters.discord import endpoints
from adapters.discord.channel_kinds import TEXT as TEXT_KIND
from adapters.discord.pacing import BUDGET_PER_SECOND, DiscordPacer
from adapters.discord.publisher import DiscordPublisher
from adapters.slack import pacing as slack_pacing
from adapters.slack.publisher import POST_METHOD, SlackPublisher
from bot.app.platforms import StoredChannelKinds
from bot.app.scheduler import Scheduler
from bot.delivery.calendar import target_day
from bot.delivery.deliverer import Outcome
from bot.delivery.digests import DIGEST_KIND
from bot.domain import ChannelRef, Schedule
from bot.service import FAN_OUT_CHANNELS, Paperboy, utc_now
from storage.store import Store
from storage.tx import write
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_records import BASIC_MEMBER, TEXT
from tests.fakes.slack_api import SlackFake
from tests.helpers import StaticFeed

DAY = FIRST_DAY  # the digest's day: one day of PAPERS_PER_DAY synthetic papers
DISCORD_GLOBAL_LIMIT = 50  # per second, tests/fakes/discord_ratelimit.py (and Discord's)
DISCORD_CHANNELS_PER_GUILD = 100
DISCORD_GUILD0, DISCORD_CHANNEL0 = 10_000, 1_000_000
SLACK_FAKE_BURST = 3  # posts per channel (SlackFake's default, over Slack's 1/s)
ORDERS = ("store", "interleaved")
DEFAULT_SLACK_CASES = ("10:store", "10:interleaved", "5:interleaved")
Layout = dict[str, list[str]]  # workspace (team, guild) -> its channel ids


# --- the fake, in a child process or on our loop ------------------------------------------


@dataclass(frozen=True)
class FakeSpec:
    """Which fake to run, with which workspaces and limits."""

    platform: str  # "slack" or "discord"
    layout: Layout
    # Slack's limits as the fake enforces them (SlackFake.post_rate, …).
    post_rate: float = 1.0
    post_burst: int = SLACK_FAKE_BURST
    workspace_rate: float = 10.0
    workspace_burst: int = 10
    profile: bool = False


@dataclass(frozen=True)
class FakeReport:
    """What the fake saw between `mark` and `report`."""

    messages: list[tuple[str, str, str | None]]  # (workspace, channel, post token or nonce)
    requests: int  # API requests (Discord: counted against the global limit)
    by_route: dict[str, int]
    rate_limited: int  # 429s answered
    repeat_limited: int  # 429s after the first in the same bucket
    busiest_second: int  # most requests in one second (Slack: posts, in one workspace)
    invalid: int  # Discord's invalid requests (401, 403, 429) in the window; 0 for Slack
    cpu: float  # CPU seconds of the fake's process (inline: 0, it shares ours)
    profile: str = ""


def _busiest(times: Sequence[float]) -> int:
    """The most of `times` (seconds) within any one second."""
    ordered = sorted(times)
    most = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


class FakeServer:
    """A started SlackFake or DiscordFake with the spec's workspaces, and what it counted."""

    def __init__(self, spec: FakeSpec) -> None:
        self.spec = spec
        self.slack: SlackFake | None = None
        self.discord: DiscordFake | None = None
        self._mark = (0, 0, 0, 0, 0.0)
        self._profile: cProfile.Profile | None = None

    async def start(self) -> dict[str, Any]:
        """Start listening; return the API URL and the bot tokens by workspace."""
        spec = self.spec
        if spec.platform == "discord":
            fake = DiscordFake(token=discord_fixture.TOKEN, application_id=discord_fixture.APP_ID)
            await fake.start()
            for guild, channels in spec.layout.items():
                fake.add_guild(
                    int(guild),
                    f"guild {guild}",
                    channels={int(c): {"name": f"c{c}", "type": TEXT} for c in channels},
                    members={1: BASIC_MEMBER},
                )
            self.discord = fake
            return {"api_url": fake.api_base, "tokens": {}}
        slack = SlackFake()
        await slack.start()
        slack.post_rate, slack.post_burst = spec.post_rate, spec.post_burst
        slack.workspace_rate, slack.workspace_burst = spec.workspace_rate, spec.workspace_burst
        tokens = {}
        for team, channels in spec.layout.items():
            tokens[team] = f"xoxb-{team.lower()}"
            slack.add_team(team, bot_token=tokens[team], channels=channels)
        self.slack = slack
        return {"api_url": slack.api_url, "tokens": tokens}

    def mark(self) -> None:
        """Count from here on (what came before, a login, is not the fan-out's)."""
        if self.discord is not None:
            fake = self.discord
            self._mark = (len(fake.world.messages), len(fake.rest.requests), 0, 0, 0.0)
        elif self.slack is not None:
            slack = self.slack
            self._mark = (len(slack.messages), len(slack.calls), slack.rate_limited_count, 0, 0.0)
        self._mark = (*self._mark[:4], time.process_time())
        if self.spec.profile:
            self._profile = cProfile.Profile()
            self._profile.enable()

    def report(self) -> FakeReport:
        """What happened since `mark`."""
        cpu = time.process_time() - self._mark[4]
        profile = ""
        if self._profile is not None:
            self._profile.disable()
            profile = top_functions(self._profile, 25)
            self._profile = None
        if self.discord is not None:
            return self._discord_report(self.discord, cpu, profile)
        assert self.slack is not None
        return self._slack_report(self.slack, cpu, profile)

    def _discord_report(self, fake: DiscordFake, cpu: float, profile: str) -> FakeReport:
        messages = [
            (str(m.guild_id), str(m.channel_id), None if m.nonce is None else str(m.nonce))
            for m in fake.world.messages[self._mark[0] :]
        ]
        requests = fake.rest.requests[self._mark[1] :]
        limited = [r for r in requests if r.status == 429]
        buckets = {"global" if r.scope == "global" else r.path for r in limited}
        return FakeReport(
            messages=messages,
            requests=sum(1 for r in requests if not r.exempt),
            by_route=dict(Counter(f"{r.method} {r.route}" for r in requests)),
            rate_limited=len(limited),
            repeat_limited=len(limited) - len(buckets),
            busiest_second=_busiest([r.at for r in requests if not r.exempt]),
            invalid=fake.invalid_requests,
            cpu=cpu,
            profile=profile,
        )

    def _slack_report(self, slack: SlackFake, cpu: float, profile: str) -> FakeReport:
        posted = slack.messages[self._mark[0] :]
        messages = []
        by_team: defaultdict[str, list[float]] = defaultdict(list)
        for m in posted:
            payload = (m.metadata or {}).get("event_payload") or {}
            messages.append((m.team, m.channel, payload.get("token")))
            by_team[m.team].append(float(m.ts))
        calls = slack.calls[self._mark[1] :]
        limited = [c for c in calls if c.status == 429]
        return FakeReport(
            messages=messages,
            requests=len(calls),
            by_route=dict(Counter(c.method for c in calls)),
            rate_limited=slack.rate_limited_count - self._mark[2],
            # A 429 does not say which bucket refused it; here the workspace's is the one that
            # binds, so repeats are counted per workspace (the stricter count).
            repeat_limited=len(limited) - len({c.team for c in limited}),
            busiest_second=max((_busiest(t) for t in by_team.values()), default=0),
            invalid=0,
            cpu=cpu,
            profile=profile,
        )

    async def stop(self) -> None:
        """Stop listening."""
        if self.discord is not None:
            await self.discord.stop()
        if self.slack is not None:
            await self.slack.stop()


def _serve(spec: FakeSpec, conn: Connection) -> None:
    """Child process: run the fake and answer "mark", "report" and "stop" from the parent."""

    async def run() -> None:
        server = FakeServer(spec)
        conn.send(await server.start())
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "mark":
                server.mark()
                conn.send(None)
            elif command == "report":
                conn.send(server.report())
            else:
                break
        await server.stop()
        conn.send(None)

    asyncio.run(run())


class FakeHost:
    """The fake in a child process (default) or on this loop: `async with FakeHost(...)`."""

    def __init__(self, spec: FakeSpec, inline: bool) -> None:
        self.spec, self.inline = spec, inline
        self.info: dict[str, Any] = {}
        self._server: FakeServer | None = None
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    async def _ask(self, command: str) -> Any:
        assert self._conn is not None
        self._conn.send(command)
        return await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)

    async def __aenter__(self) -> FakeHost:
        if self.inline:
            self._server = FakeServer(self.spec)
            self.info = await self._server.start()
            return self
        parent, child = multiprocessing.get_context("spawn").Pipe()
        ctx = multiprocessing.get_context("spawn")
        self._process = ctx.Process(target=_serve, args=(self.spec, child), daemon=True)
        self._process.start()
        self._conn = parent
        self.info = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
        return self

    async def mark(self) -> None:
        """Start counting."""
        if self._server is not None:
            self._server.mark()
        else:
            await self._ask("mark")

    async def report(self) -> FakeReport:
        """What the fake saw since `mark`."""
        if self._server is not None:
            report = self._server.report()
            return FakeReport(**{**report.__dict__, "cpu": 0.0})
        result: FakeReport = await self._ask("report")
        return result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            await self._server.stop()
            return
        await self._ask("stop")
        assert self._process is not None
        self._process.join(timeout=10)


# --- paperboy's side ----------------------------------------------------------------------


@dataclass
class Result:
    """One row: a fan-out, its floor and what both sides counted."""

    label: str
    channels: int
    floor: float
    limit: str  # the fake's
    budget: str  # the publisher's pacing
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    parts: int = 0  # parts the ledger recorded as sent
    posted: int = 0  # messages the fake holds
    duplicates: int = 0
    missing: int = 0  # channels without their whole digest
    ours_429: int = 0  # 429s the publisher counted
    fake: FakeReport | None = None
    cpu: float = 0.0  # paperboy's CPU seconds (inline: paperboy and the fake together)
    stall: float = 0.0  # the longest event-loop stall during the fan-out
    slots: int = 0  # Discord: request slots the pacer granted during the fan-out
    profile: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor > 0 else float("inf")

    @property
    def failures(self) -> int:
        return sum(n for name, n in self.outcomes.items() if name != Outcome.SENT.value)


@dataclass(frozen=True)
class Plan:
    """How the digest goes out: `send_many` for `day`, or every channel's own job at `fire`."""

    path: str  # "send_many" or "scheduler"
    day: date  # the Daily Papers day the digest covers
    fire: datetime | None = None  # the scheduler path: the minute every job falls due

    @staticmethod
    def make(path: str, channels: int) -> Plan:
        """The plan for a path; the scheduler's minute leaves time to add the jobs first."""
        if path == "send_many":
            return Plan(path, DAY)
        lead = 15 + channels / 2000  # seconds: build the Store, start, add the jobs
        fire = (datetime.now(UTC) + timedelta(seconds=lead + 60)).replace(second=0, microsecond=0)
        return Plan(path, target_day(fire), fire)


def _store(tmp: Path, name: str, layout: Layout, platform: str, plan: Plan) -> Store:
    """A Store on a temp file with one day of papers and the daily digest on everywhere."""
    store = Store(tmp / f"{name}.db")
    now = datetime.now(UTC)
    papers = [replace(p, day=plan.day) for p in PaperFactory().make(PAPERS_PER_DAY)]
    store.upsert_papers(papers, now)
    store.record_poll(plan.day, len(papers), now)
    with write(store.db):  # one transaction: seeding is not what is measured
        for workspace, channels in layout.items():
            for channel in channels:
                ref = ChannelRef(platform, workspace, channel)
                if plan.fire is None:
                    schedule = Schedule(ref, DIGEST_KIND, enabled=True)
                else:  # on from now: the startup catch-up has nothing to post
                    at = plan.fire.strftime("%H:%M")
                    schedule = Schedule(ref, DIGEST_KIND, enabled=True, time=at, enabled_at=now)
                store.save_schedule(schedule, now)
    return store


def _order(store: Store, order: str) -> list[ChannelRef]:
    """The channels as `paperboy digest --send` lists them, or dealt round-robin."""
    refs = [s.channel for s in store.schedules(DIGEST_KIND, enabled=True)]
    if order == "store":
        return refs
    by_workspace: dict[str, list[ChannelRef]] = {}
    for ref in refs:
        by_workspace.setdefault(ref.workspace, []).append(ref)
    queues = list(by_workspace.values())
    return [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]


class CountingScheduler(Scheduler):
    """The product's Scheduler, counting the channels' jobs as they finish."""

    def __init__(self, core: Paperboy, expected: int) -> None:
        super().__init__(core, poll_minutes=1440)
        self.expected = expected
        self.finished = 0
        self.all_done = asyncio.Event()

    async def run(self, slot: str) -> None:
        """One time's job (every channel with that schedule), as the product runs it; then
        count its channels."""
        members = len(self._members.get(slot, ()))
        await super().run(slot)
        self.finished += members
        if self.finished >= self.expected:
            self.all_done.set()


async def _fan_out(
    core: Paperboy,
    store: Store,
    refs: list[ChannelRef],
    result: Result,
    profile: bool,
    plan: Plan,
) -> None:
    """Time the fan-out (wall, CPU and the loop's worst stall): send_many, or the channels' own
    jobs falling due together (timed from their minute, the scheduler started well before)."""
    profiler = cProfile.Profile() if profile else None
    scheduler: CountingScheduler | None = None
    if plan.fire is not None:
        scheduler = CountingScheduler(core, len(refs))
        scheduler.start()  # the startup job adds the jobs, polls (nothing), catches up (nothing)
        until = plan.fire.timestamp() - time.time()
        await asyncio.sleep(max(0.0, until - 0.5))
    async with LoopStalls(0.01) as stalls:
        cpu, start = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        if scheduler is None:
            outcomes = await core.send_many(refs, DIGEST_KIND, day=plan.day)
            result.outcomes = Counter(o.value if o else "nothing to post" for o in outcomes)
        else:
            start += max(0.0, plan.fire.timestamp() - time.time()) if plan.fire else 0.0
            await asyncio.wait_for(scheduler.all_done.wait(), timeout=3600)
        if profiler is not None:
            profiler.disable()
        result.seconds = time.perf_counter() - start
        result.cpu = time.process_time() - cpu
    result.stall = stalls.worst
    if scheduler is not None:
        scheduler.shutdown()
        rows = [store.delivery(ref, DIGEST_KIND, plan.day.isoformat()) for ref in refs]
        states = Counter((row or {}).get("state", "not posted") for row in rows)
        result.outcomes = Counter(
            {Outcome.SENT.value if k == "sent" else str(k): n for k, n in states.items()}
        )
    if profiler is not None:
        result.profile = top_functions(profiler, 25)


def _check(
    store: Store, refs: list[ChannelRef], report: FakeReport, result: Result, day: date
) -> None:
    """Compare what the fake holds with what the ledger says went out, channel by channel."""
    held: Counter[tuple[str, str]] = Counter((w, c) for w, c, _ in report.messages)
    tokens = Counter(t for _, _, t in report.messages if t is not None)
    result.posted = len(report.messages)
    result.fake = report
    for ref in refs:
        row = store.delivery(ref, DIGEST_KIND, day.isoformat()) or {}
        parts = int(row.get("parts_sent") or 0)
        result.parts += parts
        got = held[(ref.workspace, ref.channel)]
        result.duplicates += max(0, got - parts)
        if row.get("state") != "sent" or got < parts or parts == 0:
            result.missing += 1
    result.duplicates = max(result.duplicates, sum(n - 1 for n in tokens.values() if n > 1))


async def bench_discord(
    tmp: Path,
    channels: int,
    *,
    warm: bool,
    inline: bool,
    profile: bool,
    path: str,
    budget: float = BUDGET_PER_SECOND,
) -> Result:
    """One digest to `channels` Discord channels (100 per guild) at the global limit."""
    layout: Layout = {}
    for i in range(channels):
        guild = str(DISCORD_GUILD0 + i // DISCORD_CHANNELS_PER_GUILD)
        layout.setdefault(guild, []).append(str(DISCORD_CHANNEL0 + i))
    plan = Plan.make(path, channels)
    name = f"discord-{channels}-{'warm' if warm else 'cold'}-{path}"
    store = _store(tmp, name, layout, "discord", plan)
    refs = _order(store, "store")
    # Warm: a post is one request; cold: a GET of the channel's kind first.
    floor = channels * (1 if warm else 2) / DISCORD_GLOBAL_LIMIT
    result = Result(
        f"Discord, kinds {'cached' if warm else 'not cached (cold)'}{_via(plan)}",
        channels,
        floor,
        f"{DISCORD_GLOBAL_LIMIT}/s global",
        f"{budget:g}/s" + ("" if budget == BUDGET_PER_SECOND else " (--discord-budget)"),
    )
    async with FakeHost(FakeSpec("discord", layout, profile=profile), inline) as host:
        endpoints.set_api_url(host.info["api_url"])
        # Channel kinds kept in the database, as `paperboy run` keeps them (bot/app/platforms.py).
        kinds = StoredChannelKinds(store, utc_now)
        publisher = DiscordPublisher(
            lambda: discord.Client(intents=discord.Intents.none()),
            discord_fixture.TOKEN,
            pacer=DiscordPacer(budget),
            kinds=kinds,
        )
        if warm:  # as after a first post to every channel
            with write(store.db):
                for ref in refs:
                    kinds.set(ref, TEXT_KIND)
        core = Paperboy(store, StaticFeed(), {publisher.platform: publisher})
        try:
            await publisher.login()  # GET /users/@me, before the clock starts
            await host.mark()
            before, granted = publisher.rate_limited, publisher.pacer.granted
            await _fan_out(core, store, refs, result, profile, plan)
            result.ours_429 = publisher.rate_limited - before
            result.slots = publisher.pacer.granted - granted
            _check(store, refs, await host.report(), result, plan.day)
        finally:
            await core.deliverer.aclose()
            await publisher.close()
            store.close()
    return result


def _via(plan: Plan) -> str:
    return "" if plan.fire is None else ", via the scheduler (every job due at one minute)"


def slack_floor(posts_per_workspace: Sequence[int], parts: int, spec: FakeSpec) -> float:
    """Seconds the fake's token buckets need at least: the slowest workspace, or a channel."""
    workspace = max(
        max(0.0, (p - spec.workspace_burst) / spec.workspace_rate) for p in posts_per_workspace
    )
    return max(workspace, max(0.0, (parts - spec.post_burst) / spec.post_rate))


async def bench_slack(
    tmp: Path,
    channels: int,
    workspaces: int,
    ceiling: float,
    order: str,
    *,
    inline: bool,
    profile: bool,
    path: str,
) -> Result:
    """One digest to `channels` Slack channels over `workspaces` workspaces."""
    layout: Layout = {}
    for i in range(channels):
        layout.setdefault(f"T{i % workspaces:03d}", []).append(f"C{i:06d}")
    spec = FakeSpec(
        "slack",
        layout,
        workspace_rate=ceiling,
        workspace_burst=max(1, round(ceiling)),
        profile=profile,
    )
    plan = Plan.make(path, channels)
    store = _store(tmp, f"slack-{channels}-{ceiling:g}-{order}-{path}", layout, "slack", plan)
    refs = _order(store, order)
    result = Result(
        f"Slack, fake at {ceiling:g}/s, "
        + (f"{order} order" if plan.fire is None else _via(plan).removeprefix(", ")),
        channels,
        0.0,
        f"{ceiling:g}/s per workspace × {workspaces}",
        f"{slack_pacing.WORKSPACE_POSTS_PER_SECOND:g}/s per workspace",
    )
    async with FakeHost(spec, inline) as host:
        tokens: dict[str, str] = host.info["tokens"]

        async def token_for(workspace: str) -> str | None:
            return tokens.get(workspace)

        publisher = SlackPublisher(host.info["api_url"], token_for)
        core = Paperboy(store, StaticFeed(), {publisher.platform: publisher})
        await host.mark()
        await _fan_out(core, store, refs, result, profile, plan)
        result.ours_429 = publisher.rate_limited[POST_METHOD]
        _check(store, refs, await host.report(), result, plan.day)
        await core.deliverer.aclose()
    per_channel = result.parts // max(1, channels)
    posts = Counter(ref.workspace for ref in refs)
    result.floor = slack_floor([n * per_channel for n in posts.values()], per_channel, spec)
    store.close()
    return result


# --- output -------------------------------------------------------------------------------


def _per_post(seconds: float, posts: int) -> str:
    return f"{seconds * 1000 / posts:.2f}" if posts else "—"


def _route(route: str) -> str:
    """`POST /channels/{channel_id}/messages` → `POST …/messages`; Slack methods as they are."""
    method, _, path = route.partition(" ")
    if not path:
        return route
    tail = [p for p in path.split("/") if p and not p.startswith("{")][-1:]
    return f"{method} …/{tail[0]}" if tail else route


def tables(results: list[Result], inline: bool) -> list[Table]:
    """The time-against-floor table and the cost table."""
    main = Table(
        "fan-out",
        "channels",
        "parts sent",
        "seconds",
        "floor s",
        "× floor",
        "posts/s",
        "fake's limit",
        "paperboy's budget",
        "429s ours / fake",
        "429s after 1st in bucket",
        "failures",
        "dupli- cates",
        "missing",
        title="One digest to many channels through the real publishers",
    )
    for r in results:
        fake = r.fake
        main.add_row(
            r.label,
            f"{r.channels:,}",
            f"{r.parts:,}",
            f"{r.seconds:.1f}",
            f"{r.floor:.1f}",
            f"{r.ratio:.3f}",
            f"{r.parts / r.seconds:.1f}" if r.seconds else "—",
            r.limit,
            r.budget,
            f"{r.ours_429} / {fake.rate_limited if fake else '—'}",
            str(fake.repeat_limited if fake else "—"),
            str(r.failures),
            str(r.duplicates),
            str(r.missing),
        )
    cost = Table(
        "fan-out",
        "channels",
        "requests / post",
        "busiest 1 s",
        "invalid requests",
        "paperboy CPU ms/post",
        "paperboy CPU % of wall",
        "fake CPU ms/post",
        "worst loop stall ms",
        f"ms per pacer slot (budget {1000 / BUDGET_PER_SECOND:.1f})",
        "requests by route",
        title="What each post cost",
    )
    for r in results:
        fake = r.fake
        if fake is None:
            continue
        routes = ", ".join(f"{_route(k)} {v:,}" for k, v in sorted(fake.by_route.items()))
        cost.add_row(
            r.label,
            f"{r.channels:,}",
            f"{fake.requests / r.posted:.3f}" if r.posted else "—",
            str(fake.busiest_second),
            str(fake.invalid),
            _per_post(r.cpu, r.parts) + (" (+ fake)" if inline else ""),
            f"{100 * r.cpu / r.seconds:.0f}%" if r.seconds else "—",
            "inline" if inline else _per_post(fake.cpu, r.parts),
            f"{r.stall * 1000:.0f}",
            f"{r.seconds * 1000 / r.slots:.1f}" if r.slots else "—",
            routes,
        )
    return [main, cost]


def slack_case(text: str) -> tuple[float, str]:
    """`10:store` → the fake's workspace ceiling (posts per second) and the channel order."""
    ceiling, _, order = text.partition(":")
    try:
        value = float(ceiling)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the ceiling must be a number") from None
    if value <= 0 or order not in ORDERS:
        raise argparse.ArgumentTypeError(f"{text!r}: want CEILING:ORDER, ORDER one of {ORDERS}")
    return value, order


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=200, help="channels (200; full: 10000)")
    parser.add_argument(
        "--platforms", nargs="+", choices=("discord", "slack"), default=["discord", "slack"]
    )
    parser.add_argument(
        "--cold", type=int, default=50, help="channels of the Discord cold-cache row (50; 0: none)"
    )
    parser.add_argument("--workspaces", type=int, default=10, help="Slack workspaces (10)")
    parser.add_argument(
        "--slack",
        type=slack_case,
        nargs="+",
        default=[slack_case(c) for c in DEFAULT_SLACK_CASES],
        metavar="CEILING:ORDER",
        help="Slack rows: the fake's workspace ceiling per second and the order of the channels "
        "handed to send_many, `store` (as `paperboy digest --send`) or `interleaved` "
        f"(round-robin over workspaces); default {' '.join(DEFAULT_SLACK_CASES)}",
    )
    parser.add_argument(
        "--path",
        nargs="+",
        choices=("send_many", "scheduler"),
        default=["send_many"],
        help="send_many (as `paperboy digest --send`), or the real Scheduler with every "
        "channel's digest job due at the same minute (as at 09:00 with the default time)",
    )
    parser.add_argument(
        "--discord-budget",
        type=float,
        default=BUDGET_PER_SECOND,
        help=f"requests per second the Discord pacer allows (the product's: {BUDGET_PER_SECOND:g})",
    )
    parser.add_argument("--fake", choices=("process", "inline"), default="process")
    parser.add_argument("--profile", action="store_true", help="cProfile both sides")
    args = parser.parse_args()
    if args.channels <= 0 or args.workspaces <= 0 or args.cold < 0:
        raise SystemExit("--channels and --workspaces must be positive, --cold not negative")
    inline = args.fake == "inline"
    out = console()
    load = os.getloadavg()[0]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for path in args.path:
            if "discord" in args.platforms:
                results.append(
                    await bench_discord(
                        tmp,
                        args.channels,
                        warm=True,
                        inline=inline,
                        profile=args.profile,
                        path=path,
                        budget=args.discord_budget,
                    )
                )
                if args.cold and path == "send_many":
                    results.append(
                        await bench_discord(
                            tmp,
                            min(args.cold, args.channels),
                            warm=False,
                            inline=inline,
                            profile=False,
                            path=path,
                            budget=args.discord_budget,
                        )
                    )
            if "slack" in args.platforms:
                cases = args.slack
                if path == "scheduler":  # every job at once: the order does not apply
                    cases = [(c, "store") for c in dict.fromkeys(c for c, _ in args.slack)]
                for ceiling, order in cases:
                    results.append(
                        await bench_slack(
                            tmp,
                            args.channels,
                            args.workspaces,
                            ceiling,
                            order,
                            inline=inline,
                            profile=args.profile,
                            path=path,
                        )
                    )
    for table in tables(results, inline):
        out.print(table)
    where = "in a child process" if not inline else "on paperboy's event loop"
    out.print(
        f"One digest per channel (one day of {PAPERS_PER_DAY} stored papers, top 10); "
        f"send_many fans out {FAN_OUT_CHANNELS} channels at a time, workspaces in turn (so does "
        f"the scheduler's job for a time, with its channels); the fake ran {where}. "
        f"Discord floor: requests / {DISCORD_GLOBAL_LIMIT} per s. Slack floor: the slowest "
        f"workspace's (posts - burst) / ceiling; the fake's bursts: {SLACK_FAKE_BURST} "
        f"per channel, the ceiling rounded per workspace. Load average "
        f"{load:.2f} before, {os.getloadavg()[0]:.2f} after. {environment()}"
    )
    if args.profile:
        for r in results:
            if r.profile:
                out.print(f"\n[bold]paperboy, {r.label}[/bold] (top 25 by own time)")
                out.print(r.profile, markup=False, highlight=False)
            if r.fake is not None and r.fake.profile:
                out.print(f"\n[bold]the fake, {r.label}[/bold] (top 25 by own time)")
                out.print(r.fake.profile, markup=False, highlight=False)


if __name__ == "__main__":
    asyncio.run(main())
