"""Benchmark `paperboy run` start-up with many channels: built, scheduled, polled, caught up.

    .venv/bin/python bench/startup.py
    .venv/bin/python bench/startup.py --channels 10000

A Store on a temp file holds N channels (half Slack, half Discord), each with the daily digest
on at its own time and time zone, and every tenth with the weekly roll-up on too. The ledger
holds each schedule's last post as sent, as after a normal restart (so catch-up checks every
schedule and finds nothing missed). No chat tokens: the console is the platform, as with
`paperboy run` on a laptop. The feed is tests/fakes/hf_server.HFServer on 127.0.0.1.

In process, the app is built as `paperboy run` builds it (bot.app.wiring.build_app) and its
Scheduler started; the startup job's phases are timed from the outside (a Scheduler subclass
that times the product's own sync, recover and poll; catch-up is timed by wrapping the core's
method on the instance), and a ticker task measures how long the event loop stalls. "Ready" is
the startup job done: every job scheduled, the startup poll and catch-up run. Baselines: opening
the Store and reading every schedule, APScheduler's bare add_job of N cron jobs, and importing
the CLI in a fresh interpreter. Then the real `paperboy run` in a subprocess, timed to its
"paperboy running" log line and to its startup poll's log line.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from _common import LoopStalls, console, environment, top_functions
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.app.config import Settings
from bot.app.scheduler import Scheduler, slot_id, trigger_for
from bot.app.wiring import build_app, ensure_console_channel
from bot.delivery.deliverer import LEASE
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, PostKey, Schedule
from bot.service import Paperboy
from storage.store import Store
from storage.tx import write
from tests.data.make_days import make_day
from tests.fakes.hf_server import HFServer
from tests.helpers import StaticFeed

T = TypeVar("T")
TARGET_READY = 2.0  # seconds, at 10,000 channels (the target)
WEEKLY_EVERY = 10  # every tenth channel also has the weekly roll-up on
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin")
PAPERS_PER_DAY = 60
SEED_OWNER = "bench-seed"
# What the console platform reads and `paperboy run` logs go to; not the benchmark's output.
QUIET = Console(file=io.StringIO())


# --- the database -------------------------------------------------------------------------


def channel(i: int) -> ChannelRef:
    """Channel i: even ones on Discord, odd ones on Slack, 50 workspaces of each."""
    if i % 2:
        return ChannelRef("slack", f"T{i % 50:02d}", f"C{i:06d}")
    return ChannelRef("discord", str(10_000 + i % 50), str(1_000_000 + i))


def schedules(count: int, now: datetime) -> list[Schedule]:
    """Every channel's daily digest, at its own time and zone; every tenth's weekly roll-up."""
    enabled_at = now - timedelta(days=30)
    out = []
    for i in range(count):
        ref = channel(i)
        at = f"{(i * 7) % 24:02d}:{(i * 13) % 60:02d}"
        zone = ZONES[i % len(ZONES)]
        out.append(
            Schedule(ref, DIGEST_KIND, enabled=True, time=at, timezone=zone, enabled_at=enabled_at)
        )
        if i % WEEKLY_EVERY == 0:
            out.append(
                Schedule(
                    ref,
                    WEEKLY_KIND,
                    enabled=True,
                    time=at,
                    timezone=zone,
                    weekday=i % 7,
                    enabled_at=enabled_at,
                )
            )
    return out


def distinct_times(path: Path) -> int:
    """How many jobs the schedules need: one per (kind, time, zone, weekday) in use."""
    store = Store(path)
    try:
        return len({slot_id(s, s.kind == WEEKLY_KIND) for s in store.schedules(enabled=True)})
    finally:
        store.close()


def prepare(path: Path, count: int) -> int:
    """Write the database: schedules, and each one's last post as sent; return the schedules."""
    now = datetime.now(UTC)
    store = Store(path)
    core = Paperboy(store, StaticFeed())
    wanted = schedules(count, now)
    with write(store.db):  # one transaction: preparing is not what is measured
        for schedule in wanted:
            store.save_schedule(schedule, now)
        for schedule in wanted:
            timed = core.timed(schedule.kind)
            due = timed.due(store, schedule, timed.previous_run(schedule, now))
            if due is None:
                continue
            key = PostKey(schedule.channel, schedule.kind, due.ref)
            store.take_delivery(key, SEED_OWNER, now, LEASE)
            store.mark_part_sent(key, SEED_OWNER, 1, "seeded", None)
            store.finish_delivery(key, SEED_OWNER, now)
    store.close()
    return len(wanted)


def hf_days() -> dict[date, list[dict[str, Any]]]:
    """What the fake HF API serves: today and yesterday (UTC), what the startup poll asks."""
    today = datetime.now(UTC).date()
    return {d: make_day(d, PAPERS_PER_DAY) for d in (today - timedelta(days=1), today)}


# --- in process ---------------------------------------------------------------------------


@dataclass
class Timeline:
    """One start, in seconds from before the Store is opened."""

    built: float = 0.0  # build_app returned (Store open, platforms, feed, core)
    started: float = 0.0  # Scheduler.start() returned
    startup_began: float = 0.0  # the startup job began
    synced: float = 0.0
    recovered: float = 0.0
    polled: float = 0.0
    caught_up: float = 0.0  # catch_up returned (its start is `polled`)
    ready: float = 0.0  # the startup job returned
    jobs_added: int = 0  # what sync() said it applied
    jobs: int = 0  # jobs in APScheduler once ready
    feed_requests: int = 0  # requests the fake HF API answered (the poll's)
    catch_up_ran: bool = False
    new_posts: int = 0  # ledger rows the start added (catch-up found this many posts due)
    stall: float = 0.0  # the loop's worst stall between start() and ready
    stall_sync: float = 0.0  # … while sync() ran
    stall_catch_up: float = 0.0  # … while catch-up ran
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def sync(self) -> float:
        return self.synced - self.startup_began

    @property
    def recover(self) -> float:
        return self.recovered - self.synced

    @property
    def poll(self) -> float:
        return self.polled - self.recovered

    @property
    def catch_up(self) -> float:
        return self.caught_up - self.polled


class TimedScheduler(Scheduler):
    """The product's Scheduler, with the startup job's phases timed."""

    def __init__(self, core: Paperboy, poll_minutes: int, origin: float) -> None:
        super().__init__(core, poll_minutes)
        self.origin = origin
        self.timeline = Timeline()
        self.done = asyncio.Event()

    def _now(self) -> float:
        return time.perf_counter() - self.origin

    async def startup(self) -> None:
        """Time the product's startup job as a whole."""
        self.timeline.startup_began = self._now()
        try:
            await super().startup()
        finally:
            self.timeline.ready = self._now()
            self.done.set()

    async def sync(self) -> int:
        """Time the first sync (later ones, from the tick job, are not the start's)."""
        applied = await super().sync()
        if not self.timeline.synced:
            self.timeline.synced, self.timeline.jobs_added = self._now(), applied
        return applied

    async def recover(self) -> None:
        """Time the startup recovery."""
        await super().recover()
        if not self.timeline.recovered:
            self.timeline.recovered = self._now()

    async def poll(self) -> None:
        """Time the startup poll."""
        await super().poll()
        if not self.timeline.polled:
            self.timeline.polled = self._now()


def _timed_catch_up(
    scheduler: TimedScheduler, catch_up: Callable[[], Awaitable[T]]
) -> Callable[[], Coroutine[Any, Any, T]]:
    """`catch_up`, noting on the scheduler's timeline when it returns."""

    async def timed() -> T:
        result = await catch_up()
        scheduler.timeline.caught_up = scheduler._now()
        scheduler.timeline.catch_up_ran = True
        return result

    return timed


def _settings(db: Path, hf_url: str) -> Settings:
    """paperboy's settings as `paperboy run` reads them, with no chat platform's tokens."""
    for name in [n for n in os.environ if n.startswith(("SLACK_", "DISCORD_"))]:
        del os.environ[name]
    os.environ["PAPERBOY_DB"] = str(db)
    os.environ["PAPERBOY_HF_URL"] = hf_url
    return Settings(_env_file=None)  # pydantic-settings' own argument: no `.env` file


async def start_in_process(
    db: Path, hf: HFServer, profile: cProfile.Profile | None = None
) -> Timeline:
    """Build and start paperboy as `paperboy run` does; wait until the startup job is done
    (profiled from build to ready, when given a profile)."""
    settings = _settings(db, hf.url)
    if profile is not None:
        profile.enable()
    before = len(hf.feed_requests())
    counting = Store(db)  # the ledger's size before the start, outside the timed part
    rows = sum(counting.ledger_counts().values())
    counting.close()
    origin = time.perf_counter()
    app = build_app(settings, QUIET)
    built = time.perf_counter() - origin
    async with LoopStalls(0.002) as stalls:
        ensure_console_channel(app)
        scheduler = TimedScheduler(app.core, settings.poll_minutes, origin)
        app.core.catch_up = _timed_catch_up(  # type: ignore[method-assign]
            scheduler, app.core.catch_up
        )
        scheduler.timeline.built = built
        scheduler.start()
        scheduler.timeline.started = scheduler._now()
        await asyncio.wait_for(scheduler.done.wait(), timeout=600)
    if profile is not None:
        profile.disable()
    line = scheduler.timeline
    line.jobs = len(scheduler.aps.get_jobs())
    line.feed_requests = len(hf.feed_requests()) - before
    line.new_posts = sum(app.store.ledger_counts().values()) - rows
    ticks = [(end - origin, lag) for end, lag in stalls.ticks]
    line.stall = max((lag for _, lag in ticks), default=0.0)
    line.stall_sync = _worst(ticks, line.startup_began, line.synced)
    line.stall_catch_up = _worst(ticks, line.polled, line.caught_up)
    scheduler.shutdown()
    await app.core.deliverer.aclose()
    await app.aclose()
    return line


def _worst(ticks: list[tuple[float, float]], start: float, end: float) -> float:
    """The longest stall that overlaps [start, end] (a tick at t that was l late: [t-l, t])."""
    return max((lag for at, lag in ticks if at >= start and at - lag <= end), default=0.0)


# --- baselines ----------------------------------------------------------------------------


def read_schedules(db: Path) -> tuple[float, int]:
    """Open the Store and read every enabled schedule: what any start must do at least."""
    start = time.perf_counter()
    store = Store(db)
    found = len(store.schedules(enabled=True))
    seconds = time.perf_counter() - start
    store.close()
    return seconds, found


async def bare_add_jobs(db: Path) -> float:
    """APScheduler alone: add every schedule's cron job (product triggers) to a running
    AsyncIOScheduler in one go, no batching, no bookkeeping."""
    store = Store(db)
    found = store.schedules(enabled=True)
    store.close()
    aps = AsyncIOScheduler(timezone=UTC)
    aps.start()

    async def job() -> None:
        return None

    start = time.perf_counter()
    for s in found:
        aps.add_job(
            job,
            trigger_for(s, s.kind == WEEKLY_KIND),
            id=f"{s.kind}:{s.channel.key}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    await asyncio.sleep(0)  # the wake-ups add_job queued run here
    seconds = time.perf_counter() - start
    aps.shutdown(wait=False)
    return seconds


def import_cli() -> float:
    """A fresh interpreter importing the CLI (the floor of any `paperboy …` process)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bot.app.cli"], check=True)
    return time.perf_counter() - start


# --- the real `paperboy run` --------------------------------------------------------------


@dataclass(frozen=True)
class ProcessStart:
    """The `paperboy run` subprocess: seconds from spawn to its log lines."""

    running: float | None
    polled: float | None
    log: str


async def run_subprocess(db: Path, hf_url: str, cwd: Path, timeout: float = 120) -> ProcessStart:
    """Spawn `paperboy run` (console only: no chat tokens), wait for "paperboy running" and the
    startup poll's "poll:" line on stderr, then stop it with SIGTERM by its pid."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "HF_TOKEN", "PAPERBOY_"))
    }
    env |= {
        "PAPERBOY_DB": str(db),
        "PAPERBOY_HF_URL": hf_url,
        "PAPERBOY_LOG_LEVEL": "INFO",
        "COLUMNS": "200",
    }
    exe = Path(sys.executable).with_name("paperboy")
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        str(exe),
        "run",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = polled = None
    lines: list[str] = []
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            while polled is None:
                raw = await proc.stderr.readline()
                if not raw:
                    break  # it exited
                text = raw.decode(errors="replace")
                lines.append(text)
                if running is None and "paperboy running" in text:
                    running = time.perf_counter() - start
                elif running is not None and "poll:" in text:
                    polled = time.perf_counter() - start
    except TimeoutError:
        pass
    finally:
        if proc.returncode is None:
            proc.terminate()  # SIGTERM to this pid: paperboy stops gracefully
            try:
                async with asyncio.timeout(15):
                    await proc.communicate()
            except TimeoutError:
                proc.kill()
                await proc.wait()
    return ProcessStart(running, polled, "".join(lines[-20:]))


# --- output -------------------------------------------------------------------------------


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.3f}"


def _worst_s(values: list[float]) -> str:
    return f"{max(values):.3f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000, help="channels (1000; full: 10000)")
    parser.add_argument("--runs", type=int, default=3, help="in-process starts (3)")
    parser.add_argument(
        "--no-subprocess", action="store_true", help="skip the `paperboy run` subprocess"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one more start (build to ready) and print the costliest functions",
    )
    args = parser.parse_args()
    if args.channels <= 0 or args.runs <= 0:
        raise SystemExit("--channels and --runs must be positive")
    out = console()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        prepared = tmp / "prepared.db"
        count = prepare(prepared, args.channels)
        # One per time in use, the console digest's (at the default time), then poll and tick.
        expected_jobs = distinct_times(prepared) + 1 + 2
        async with HFServer(hf_days()) as hf:
            lines: list[Timeline] = []
            for i in range(args.runs):
                db = tmp / f"run-{i}.db"
                shutil.copy(prepared, db)
                lines.append(await start_in_process(db, hf))
            profile: cProfile.Profile | None = None
            if args.profile:
                profile = cProfile.Profile()
                shutil.copy(prepared, tmp / "profiled.db")
                await start_in_process(tmp / "profiled.db", hf, profile)
            floors = [read_schedules(prepared)[0] for _ in range(args.runs)]
            adds = [await bare_add_jobs(prepared) for _ in range(args.runs)]
            imports = [import_cli() for _ in range(args.runs)]
            proc: ProcessStart | None = None
            if not args.no_subprocess:
                db = tmp / "subprocess.db"
                shutil.copy(prepared, db)
                proc = await run_subprocess(db, hf.url, tmp)
    out.print(table(args.channels, count, lines, floors, adds, imports, proc))
    always = all(t.feed_requests > 0 and t.catch_up_ran for t in lines)
    out.print(
        f"{args.channels:,} channels, {count:,} schedules ({count - args.channels:,} weekly); "
        f"median and worst of {args.runs} in-process starts, each on a fresh copy of the "
        f"database. Startup poll and catch-up ran in every start: {'yes' if always else 'NO'}; "
        f"jobs once ready: {', '.join(str(t.jobs) for t in lines)} (expected {expected_jobs}); "
        f"posts catch-up found due: {', '.join(str(t.new_posts) for t in lines)}. "
        f"{environment()}"
    )
    if profile is not None:
        for sort in ("tottime", "cumulative"):
            out.print(f"\n[bold]one more start, build to ready, top 30 by {sort}[/bold]")
            out.print(top_functions(profile, 30, sort), markup=False, highlight=False)
    if proc is not None and (proc.running is None or proc.polled is None):
        out.print("[bold red]paperboy run did not log as expected; its last lines:[/]")
        out.print(proc.log, markup=False, highlight=False)


def table(
    channels: int,
    count: int,
    lines: list[Timeline],
    floors: list[float],
    adds: list[float],
    imports: list[float],
    proc: ProcessStart | None,
) -> Table:
    """Phases of the start side by side with what they are compared to."""
    t = Table(
        "phase",
        "median s",
        "worst s",
        "compared with",
        "its s",
        "× that",
        title=f"`paperboy run` start-up with {channels:,} channels",
    )

    def row(
        name: str,
        values: list[float],
        other: str,
        other_values: list[float] | None,
    ) -> None:
        if other_values:
            ratio = statistics.median(values) / max(statistics.median(other_values), 1e-9)
            t.add_row(name, _s(values), _worst_s(values), other, _s(other_values), f"{ratio:.1f}")
        else:
            t.add_row(name, _s(values), _worst_s(values), other, "", "")

    row(
        "build_app (Store open + migrate, console, feed, core)",
        [x.built for x in lines],
        "open Store + read all schedules",
        floors,
    )
    row("Scheduler.start() returned", [x.started - x.built for x in lines], "", None)
    row("… until the startup job began", [x.startup_began - x.started for x in lines], "", None)
    row(
        f"sync(): {count + 1:,} schedules into {lines[0].jobs - 2:,} jobs (one per time)",
        [x.sync for x in lines],
        f"APScheduler add_job ×{count:,} (a job per schedule), bare",
        adds,
    )
    row("recover()", [x.recover for x in lines], "", None)
    row("startup poll (HF fake, 2 days)", [x.poll for x in lines], "", None)
    row(f"catch_up(): {count + 1:,} schedules checked", [x.catch_up for x in lines], "", None)
    row(
        "READY: startup job done, from before Store open",
        [x.ready for x in lines],
        "the target",
        [TARGET_READY] * len(lines),
    )
    row("worst event-loop stall, start → ready", [x.stall for x in lines], "", None)
    row("… during sync()", [x.stall_sync for x in lines], "", None)
    row("… during catch_up()", [x.stall_catch_up for x in lines], "", None)
    if proc is not None:
        t.add_row(
            '`paperboy run` subprocess: spawn → "paperboy running"',
            f"{proc.running:.3f}" if proc.running is not None else "no line",
            "",
            "python -c 'import bot.app.cli'",
            _s(imports),
            f"{proc.running / statistics.median(imports):.1f}" if proc.running else "",
        )
        t.add_row(
            '… spawn → its startup poll\'s "poll:" line',
            f"{proc.polled:.3f}" if proc.polled is not None else "no line",
            "",
            "the target",
            f"{TARGET_READY:.3f}",
            f"{proc.polled / TARGET_READY:.1f}" if proc.polled else "",
        )
    return t


if __name__ == "__main__":
    asyncio.run(main())
