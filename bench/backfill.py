"""Benchmark `paperboy backfill`: requests and time for the archive, day by day against big steps.

    .venv/bin/python bench/backfill.py
    .venv/bin/python bench/backfill.py --full
    .venv/bin/python bench/backfill.py --full --server inline --undated-before 2025-09-16

A synthetic Daily Papers archive shaped like the real one (docs/reference/hugging-face.md §5):
papers on weekdays only, 10 a day at the start growing to 60 at the end (±25%, seeded), none on
Christmas or New Year's Day; `--full` is the whole archive, 2023-05-04 to 2026-11-30 (1,307
days), the default its last 180 days. The entries are the real 2026 shape (`make_day` of
tests/data), served by tests/fakes/hf_server.HFServer on 127.0.0.1 (in a child process by
default), whose `month=` also lists the previous month's last day, as HF's may (§2).

Each plan runs into a fresh SQLite store with the real FeedClient and Paperboy:

- before: the backfill as it was, one `date=` request per day, a pause between days;
- now: `bot.backfill.backfill`, whole months by `month=`, weeks of 4+ wanted days by `week=`,
  the rest by `date=`, a pause per request;
- now, undated before X: the same, with the entries before X in the 2024 shape (no
  `submittedOnDailyAt`), so their months are given up after one page and asked day by day.

The pauses dominate the time, so they are not waited for: an injected `sleep` adds them up,
and each request is stamped with the pause time before it, which gives the time with pauses
(pauses + the measured client time) and the most requests in any 5 minutes with an instant
server (HF allows 500 to an anonymous caller, §7). The measured time is the client and the
store alone (the pauses at 0), and includes the fake server when it runs inline.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import random
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from _common import DEFAULT_SEED, console, environment
from rich.table import Table

from bot.backfill import DEFAULT_DELAY, backfill, days_between
from bot.feed.client import FeedClient
from bot.service import Paperboy
from storage.store import Store

# The fake HF server and its entries live with the tests, which are not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.data.make_days import make_day
from tests.fakes.hf_server import HFServer

FIRST_DAY = date(2023, 5, 4)  # the first day of the public scrape of Daily Papers (§5)
LAST_DAY = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SMALL_DAYS = 180
OLD_DELAY = 0.5  # what the backfill paused between days before (and the CLI's `--delay`)
WINDOW = 300.0  # HF's rate-limit window, seconds (§7)
HF_ANONYMOUS_QUOTA = 500
KINDS = ("month", "week", "date")


def day_sizes(first: date, last: date, seed: int) -> dict[date, int]:
    """Papers per day: weekdays only, growing from 10 to 60 over the whole archive, ±25%."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days
    sizes: dict[date, int] = {}
    for day in days_between(FIRST_DAY, LAST_DAY):
        base = 10 + 50 * (day - FIRST_DAY).days / span
        size = max(1, round(base * rng.uniform(0.75, 1.25)))  # drawn for every day: stable
        if (
            first <= day <= last
            and day.weekday() < 5
            and (day.month, day.day) not in ((12, 25), (1, 1))
        ):
            sizes[day] = size
    return sizes


def kind_of(query: httpx.QueryParams | dict[str, str]) -> str:
    return next((k for k in ("date", "week", "month") if k in query), "?")


# --- the server, in its own process or on the benchmark's loop -------------------------------


def _entries(sizes: dict[date, int]) -> dict[date, list[dict[str, Any]]]:
    return {day: make_day(day, size) for day, size in sizes.items()}


def _undate(server: HFServer, before: date) -> None:
    for day, entries in server.days.items():
        if day < before:
            for entry in entries:
                entry["paper"].pop("submittedOnDailyAt", None)


def _counts(server: HFServer) -> Counter[str]:
    counts = Counter(kind_of(r.query) for r in server.feed_requests())
    server.requests.clear()
    return counts


def _serve(sizes: dict[date, int], conn: Connection) -> None:
    """Child process: serve the archive; answer `count` (and reset), `undate`, `stop`."""

    async def run() -> None:
        async with HFServer(_entries(sizes), today=NOW.date(), month_edge_days=1) as server:
            conn.send(server.url)
            loop = asyncio.get_running_loop()
            while True:
                command, arg = await loop.run_in_executor(None, conn.recv)
                if command == "count":
                    conn.send(_counts(server))
                elif command == "undate":
                    _undate(server, arg)
                    conn.send(None)
                else:
                    break

    asyncio.run(run())


class Server:
    """HFServer in a child process (default) or on the benchmark's event loop (inline)."""

    def __init__(self, sizes: dict[date, int], inline: bool) -> None:
        self.sizes, self.inline = sizes, inline
        self._server: HFServer | None = None
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    async def start(self) -> str:
        if self.inline:
            self._server = HFServer(_entries(self.sizes), today=NOW.date(), month_edge_days=1)
            return await self._server.start()
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(self.sizes, child), daemon=True)
        self._process.start()
        self._conn = parent
        url: str = await asyncio.to_thread(parent.recv)
        return url

    async def _ask(self, command: str, arg: object = None) -> Any:
        assert self._conn is not None
        self._conn.send((command, arg))
        return await asyncio.to_thread(self._conn.recv)

    async def counts(self) -> Counter[str]:
        """Feed requests answered since the last call, by parameter."""
        if self._server is not None:
            return _counts(self._server)
        counts: Counter[str] = await self._ask("count")
        return counts

    async def undate(self, before: date) -> None:
        """Drop `submittedOnDailyAt` from the entries before `before` (the 2024 shape)."""
        if self._server is not None:
            _undate(self._server, before)
        else:
            await self._ask("undate", before)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            return
        assert self._conn is not None and self._process is not None
        self._conn.send(("stop", None))
        await asyncio.to_thread(self._process.join, 10)


# --- one plan ----------------------------------------------------------------------------------


class Paused:
    """The injected `sleep`: adds the pauses up instead of waiting them."""

    def __init__(self) -> None:
        self.total = 0.0

    async def __call__(self, seconds: float) -> None:
        self.total += seconds


class Stamped(httpx.AsyncBaseTransport):
    """A transport that stamps each request with the pause time so far, by parameter."""

    def __init__(self, paused: Paused) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paused = paused
        self.stamps: list[float] = []
        self.kinds: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.stamps.append(self.paused.total)
        self.kinds[kind_of(request.url.params)] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def day_by_day(
    core: Paperboy,
    since: date,
    until: date,
    *,
    delay: float,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """The backfill before big steps: one `core.poll([day])` a day, `delay` between days."""
    done = core.repo.polled_days()
    first = True
    for day in days_between(since, until):
        if day in done:
            continue
        if not first and delay > 0:
            await sleep(delay)
        first = False
        await core.poll([day], alerts=False)


@dataclass(frozen=True)
class Run:
    """One plan over the archive."""

    name: str
    delay: float  # pause per request (now) or per day (before)
    fake: Counter[str]  # requests the fake answered, by parameter
    client: Counter[str]  # requests the client sent, by parameter
    stamps: list[float]  # pause time before each request, at `delay`
    pauses: float  # seconds of pauses in all
    seconds: float  # the client and the store (pauses not waited)
    papers: dict[str, str]  # paper id -> day, as stored
    days: int  # days recorded as fetched

    def at(self, delay: float, name: str) -> Run:
        """The same run with another pause: the pauses scale with it (nothing else does)."""
        scale = delay / self.delay if self.delay else 0.0
        return replace(
            self,
            name=name,
            delay=delay,
            stamps=[t * scale for t in self.stamps],
            pauses=self.pauses * scale,
        )

    def peak(self, window: float = WINDOW) -> int:
        """The most requests in any `window` seconds, were the server instant."""
        stamps = sorted(self.stamps)
        return max((bisect_left(stamps, t + window) - i for i, t in enumerate(stamps)), default=0)


async def run_plan(
    name: str, url: str, server: Server, since: date, until: date, *, new: bool, delay: float
) -> Run:
    paused = Paused()
    stamped = Stamped(paused)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        client = FeedClient(url, transport=stamped, clock=lambda: NOW)
        core = Paperboy(store, client, clock=lambda: NOW)
        started = time.perf_counter()
        try:
            if new:
                report = await backfill(core, since, until, delay=delay, sleep=paused)
                assert not report.errors, report.errors[:3]
            else:
                await day_by_day(core, since, until, delay=delay, sleep=paused)
            seconds = time.perf_counter() - started
            papers = dict(store.db.execute("SELECT id, day FROM papers").fetchall())
            days = len(store.polled_days())
        finally:
            await client.aclose()
            store.close()
    return Run(
        name,
        delay,
        await server.counts(),
        stamped.kinds,
        stamped.stamps,
        paused.total,
        seconds,
        papers,
        days,
    )


# --- the table ---------------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def table(runs: list[Run], since: date, until: date, expected: int) -> Table:
    days = (until - since).days + 1
    out = Table(
        title=f"Backfill {since} → {until} ({days:,} days, {expected:,} papers) from the "
        "fake HF API"
    )
    for name in (
        "plan",
        "requests",
        *KINDS,
        "pause",
        "time with pauses",
        "peak / 5 min",
        "client + store (pauses 0)",
        "papers/s",
        "papers",
        "days recorded",
    ):
        out.add_column(name, justify="left" if name == "plan" else "right")
    for r in runs:
        total = sum(r.fake.values())
        unit = "day" if r.name.startswith("before") else "request"
        out.add_row(
            r.name,
            f"{total:,}",
            *(f"{r.fake.get(k, 0):,}" for k in KINDS),
            f"{r.delay:g} s/{unit}",
            _minutes(r.pauses + r.seconds),
            f"{r.peak():,}",
            f"{r.seconds:.1f} s",
            f"{len(r.papers) / r.seconds:,.0f}" if r.seconds else "∞",
            f"{len(r.papers):,}",
            f"{r.days:,}",
        )
    return out


def scaled(run: Run, delay: float) -> list[Run]:
    """The run at `delay`, and at the CLI's `--delay` default when that differs."""
    runs = [run.at(delay, run.name)]
    if delay != OLD_DELAY:
        runs.append(run.at(OLD_DELAY, f"{run.name}, --delay {OLD_DELAY:g}"))
    return runs


async def main_async(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)  # an undatable month is logged; expected here
    out = console()
    started = time.perf_counter()
    until = LAST_DAY
    since = FIRST_DAY if args.full else until - timedelta(days=args.days - 1)
    sizes = day_sizes(since, until, args.seed)
    expected = sum(sizes.values())
    server = Server(sizes, args.server == "inline")
    with out.status(f"serving {expected:,} entries…"):
        url = await server.start()
    runs: list[Run] = []
    try:
        for name, new, delay in (
            ("before: day by day", False, OLD_DELAY),
            ("now: big steps", True, args.delay or 1.0),
        ):
            with out.status(f"{name}…"):
                runs.append(await run_plan(name, url, server, since, until, new=new, delay=delay))
        runs[1:] = scaled(runs[1], args.delay)
        undated = args.undated_before
        if undated is not None and since < undated:
            await server.undate(undated)
            name = f"now, undated < {undated}"
            with out.status(f"{name}…"):
                run = await run_plan(
                    name, url, server, since, until, new=True, delay=args.delay or 1.0
                )
            runs.extend(scaled(run, args.delay))
    finally:
        await server.stop()

    out.print(table(runs, since, until, expected))
    same = all(r.papers == runs[0].papers for r in runs) and len(runs[0].papers) == expected
    agree = all(r.fake == r.client for r in runs)
    out.print(
        "requests = feed requests the fake answered (every page counts); pause = "
        "backfill(delay=…) (before: `delay` between days; now: `delay` for each request of a "
        "step, after it); time with pauses = the pauses added up + the measured client + store "
        "time; peak / 5 min = the most requests in any 5 minutes were the server instant "
        f"(HF allows {HF_ANONYMOUS_QUOTA} to an anonymous caller); client + store = the run's "
        "own time with the pauses not waited for (a --delay 0.5 row is the run above it, its "
        "pauses scaled)"
        + (
            " (the fake server runs on the same loop)."
            if args.server == "inline"
            else " (the fake server runs in a child process)."
        )
    )
    out.print(
        f"Every plan stored the same {len(runs[0].papers):,} papers on the same days: "
        f"{'yes' if same else 'NO'}; the client's request count agrees with the fake's: "
        f"{'yes' if agree else 'NO'}."
    )
    out.print(f"seed {args.seed}; total {time.perf_counter() - started:.1f} s; {environment()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the whole archive, {FIRST_DAY} to {LAST_DAY} (default: the last {SMALL_DAYS} days)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=SMALL_DAYS,
        help=f"days up to {LAST_DAY} without --full (default {SMALL_DAYS})",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=DEFAULT_DELAY,
        help=f"the new plan's pause per request (default {DEFAULT_DELAY})",
    )
    parser.add_argument(
        "--undated-before",
        type=date.fromisoformat,
        default=date(2025, 1, 1),
        metavar="YYYY-MM-DD",
        help="also run the new plan with entries before this day in the 2024 "
        "shape (default 2025-01-01; only when the range starts before)",
    )
    parser.add_argument(
        "--server",
        choices=("process", "inline"),
        default="process",
        help="run the fake HF API in a child process (default) or inline",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    args = parser.parse_args()
    if args.days <= 0 or args.delay < 0:
        raise SystemExit("--days must be positive and --delay at least 0")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
