"""Benchmark the Daily Papers client: fetching whole days from the fake HF API, and parsing.

    .venv/bin/python bench/feed.py
    .venv/bin/python bench/feed.py --entries 60 300 1000 --server inline

The real FeedClient (httpx, paging 100 entries a request until a short page) fetches days of
synthetic entries in Hugging Face's 2026 payload shape from tests/fakes/hf_server.HFServer on
127.0.0.1. By default the server runs in its own process, so the client's time is the client's
(plus loopback); `--server inline` runs it on the client's event loop, as the tests do. Then
the client's CPU work alone: json.loads of the page bodies, and parse_entries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _common import (
    DEFAULT_SEED,
    PaperFactory,
    Timing,
    console,
    environment,
    measure,
    ms,
    positive_ints,
    rate,
)
from rich.table import Table

from bot.domain import Paper
from bot.feed.client import PAGE_SIZE, FeedClient, parse_entries

# The fake HF server lives with the tests, which are not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.hf_server import HFServer

DAY = date(2026, 3, 9)  # a Monday
Entry = dict[str, Any]


def _hex_id(seed: int) -> str:
    return f"{seed * 2654435761 % (1 << 96):024x}"


def hf_entry(paper: Paper, index: int) -> Entry:
    """One `/api/daily_papers` entry in HF's 2026 shape (as tests/data's recorded one)."""
    submitted = datetime(DAY.year, DAY.month, DAY.day, index % 10, index % 60)
    published = (paper.published_at or submitted).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    user = {
        "_id": _hex_id(index + 7),
        "avatarUrl": f"/avatars/{_hex_id(index + 11)}.svg",
        "fullname": paper.authors[0],
        "name": paper.authors[0].lower().replace(" ", "-"),
        "type": "user",
        "isPro": index % 4 == 0,
    }
    organization = (
        {
            "_id": _hex_id(index + 13),
            "name": paper.organization.replace(" ", ""),
            "fullname": paper.organization,
            "avatar": f"https://cdn-uploads.huggingface.co/production/uploads/{_hex_id(index)}/"
            "avatar.png",
        }
        if paper.organization
        else None
    )
    media = [f"https://cdn-uploads.huggingface.co/production/uploads/{_hex_id(index)}/fig1.webp"]
    inner: Entry = {
        "id": paper.id,
        "authors": [
            {"_id": _hex_id(index * 31 + i), "name": name, "hidden": False}
            for i, name in enumerate(paper.authors)
        ],
        "mediaUrls": media,
        "publishedAt": published,
        "submittedOnDailyAt": submitted.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "title": paper.title,
        "submittedOnDailyBy": user,
        "summary": paper.summary,
        "upvotes": paper.upvotes,
        "discussionId": _hex_id(index + 3),
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
    }
    if paper.github_repo:
        inner |= {
            "projectPage": paper.project_page or "",
            "githubRepo": paper.github_repo,
            "githubRepoAddedBy": "user",
            "githubStars": paper.github_stars or 0,
        }
    if organization:
        inner["organization"] = organization
    entry: Entry = {
        "paper": inner,
        "publishedAt": published,
        "title": paper.title,
        "summary": paper.summary,
        "mediaUrls": media,
        "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/"
        f"{paper.id}.png",
        "numComments": paper.comments,
        "submittedBy": {
            **user,
            "isHf": False,
            "isHfAdmin": False,
            "isMod": False,
            "followerCount": index % 50,
            "isUserFollowing": False,
        },
        "isAuthorParticipating": index % 3 == 0,
    }
    if organization:
        entry["organization"] = organization
    return entry


def make_days(counts: list[int], seed: int) -> dict[date, list[Entry]]:
    """One day per count, DAY, DAY+1, …, with distinct papers."""
    factory = PaperFactory(seed)
    days: dict[date, list[Entry]] = {}
    start = 0
    for offset, count in enumerate(counts):
        papers = factory.make(count, start=start)
        days[DAY + timedelta(days=offset)] = [hf_entry(p, start + i) for i, p in enumerate(papers)]
        start += count
    return days


# --- the server, in its own process or on the client's loop -------------------------------


def _per_day(server: HFServer) -> dict[str, int]:
    """Feed requests the server answered, by the `date` asked for."""
    return dict(Counter(r.query.get("date", "") for r in server.feed_requests()))


def _serve(days: dict[date, list[Entry]], conn: Connection) -> None:
    """Child process: serve `days` until the parent says stop; send back the request count."""

    async def run() -> None:
        async with HFServer(days) as server:
            conn.send(server.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            conn.send(_per_day(server))

    asyncio.run(run())


class Server:
    """HFServer in a child process (default) or on the benchmark's event loop (inline)."""

    def __init__(
        self, days: dict[date, list[Entry]], inline: bool, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.days, self.inline, self.loop = days, inline, loop
        self._server: HFServer | None = None
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> str:
        if self.inline:
            self._server = HFServer(self.days)
            return self.loop.run_until_complete(self._server.start())
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(self.days, child), daemon=True)
        self._process.start()
        self._conn = parent
        url: str = parent.recv()
        return url

    def stop(self) -> dict[str, int]:
        """Stop serving; return how many feed requests it answered, by date."""
        counts: dict[str, int]
        if self._server is not None:
            counts = _per_day(self._server)
            self.loop.run_until_complete(self._server.stop())
            return counts
        assert self._conn is not None and self._process is not None
        self._conn.send("stop")
        counts = self._conn.recv()
        self._process.join(timeout=10)
        return counts


# --- measurements ------------------------------------------------------------------------


@dataclass(frozen=True)
class DayResult:
    """Everything measured for one day's size."""

    entries: int
    requests: float  # per fetch_day, as the server counted them
    body_bytes: int
    reused: Timing  # one long-lived FeedClient, as the app keeps
    fresh: Timing  # a new FeedClient (new connection) per fetch
    loads: Timing  # json.loads of the day's page bodies
    parse: Timing  # parse_entries of the day's decoded pages


def _pages(entries: list[Entry]) -> list[bytes]:
    """The page bodies fetch_day receives (aiohttp's json_response uses json.dumps)."""
    pages = [entries[i : i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)]
    if len(entries) % PAGE_SIZE == 0:
        pages.append([])  # a full last page makes the client ask for the next, empty one
    return [json.dumps(page).encode() for page in pages]


def _bench_day(
    day: date,
    entries: list[Entry],
    url: str,
    loop: asyncio.AbstractEventLoop,
    timed: Callable[[Callable[[], object]], Timing],
) -> tuple[Timing, Timing, Timing, Timing, int]:
    client = FeedClient(base_url=url)

    def fetch() -> None:
        papers = loop.run_until_complete(client.fetch_day(day))
        assert len(papers) == len(entries)

    def fetch_fresh() -> None:
        async def go() -> list[Paper]:
            async with FeedClient(base_url=url) as fresh:
                return await fresh.fetch_day(day)

        assert len(loop.run_until_complete(go())) == len(entries)

    try:
        reused = timed(fetch)
        fresh = timed(fetch_fresh)
    finally:
        loop.run_until_complete(client.aclose())
    bodies = _pages(entries)
    decoded = [json.loads(b) for b in bodies]
    loads = timed(lambda: [json.loads(b) for b in bodies])
    parse = timed(lambda: [parse_entries(page, day) for page in decoded])
    return reused, fresh, loads, parse, sum(len(b) for b in bodies)


def _fetch_table(results: list[DayResult], mode: str) -> Table:
    table = Table(title=f"FeedClient.fetch_day from the fake HF API ({mode}): fetch + parse")
    for name in (
        "entries",
        "requests",
        "body MB",
        "client",
        "runs",
        "median ms",
        "p95 ms",
        "entries/s",
    ):
        table.add_column(name, justify="right")
    for r in results:
        for label, t in (("reused", r.reused), ("new per fetch", r.fresh)):
            table.add_row(
                f"{r.entries:,}",
                f"{r.requests:g}",
                f"{r.body_bytes / 1e6:.2f}",
                label,
                str(t.runs),
                ms(t.median),
                ms(t.p95),
                rate(r.entries, t.median),
            )
    return table


def _parse_table(results: list[DayResult]) -> Table:
    table = Table(title="The client's CPU work alone, per day")
    for name in (
        "entries",
        "json.loads median ms",
        "p95 ms",
        "entries/s",
        "parse_entries median ms",
        "p95 ms",
        "entries/s",
        "share of fetch",
    ):
        table.add_column(name, justify="right")
    for r in results:
        table.add_row(
            f"{r.entries:,}",
            ms(r.loads.median),
            ms(r.loads.p95),
            rate(r.entries, r.loads.median),
            ms(r.parse.median),
            ms(r.parse.p95),
            rate(r.entries, r.parse.median),
            f"{(r.loads.median + r.parse.median) / r.reused.median:.0%}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--entries",
        type=int,
        nargs="+",
        default=[60, 300],
        metavar="N",
        help="entries in a day, one day per value (default: 60 300; 300 = 3 full pages)",
    )
    parser.add_argument(
        "--server",
        choices=("process", "inline"),
        default="process",
        help="run the fake HF API in a child process (default) or inline",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--min-runs", type=int, default=10, help="timed runs at least (10)")
    parser.add_argument("--max-runs", type=int, default=60, help="timed runs at most (60)")
    parser.add_argument(
        "--budget",
        type=float,
        default=1.0,
        help="keep timing an operation until this many seconds of runs (1.0)",
    )
    args = parser.parse_args()
    counts = positive_ints(args.entries, "--entries")
    positive_ints([args.min_runs, args.max_runs], "--min-runs/--max-runs")

    def timed(fn: Callable[[], object]) -> Timing:
        return measure(
            fn,
            min_runs=args.min_runs,
            max_runs=args.max_runs,
            budget=args.budget,
            cap=args.budget * 3,
        )

    out = console()
    started = time.perf_counter()
    days = make_days(counts, args.seed)
    loop = asyncio.new_event_loop()
    server = Server(days, args.server == "inline", loop)
    results: list[DayResult] = []
    measured: list[tuple[date, list[Entry], tuple[Timing, Timing, Timing, Timing, int]]] = []
    try:
        url = server.start()
        for day, entries in days.items():
            with out.status(f"{len(entries)} entries…"):
                measured.append((day, entries, _bench_day(day, entries, url, loop, timed)))
        requests = server.stop()
    finally:
        loop.close()
    for day, entries, (reused, fresh, loads, parse, size) in measured:
        fetches = reused.runs + fresh.runs + 2  # each timing also made one warm-up fetch
        per_fetch = requests.get(day.isoformat(), 0) / fetches
        results.append(DayResult(len(entries), per_fetch, size, reused, fresh, loads, parse))

    mode = "server in a child process" if args.server == "process" else "server on the same loop"
    out.print(_fetch_table(results, mode))
    out.print(
        f"A day of N entries takes N // {PAGE_SIZE} + 1 requests of limit={PAGE_SIZE} (the "
        "client stops at a short page, so a full last page costs one more, empty, request). "
        "reused = one long-lived FeedClient (keep-alive), as the app keeps; new per fetch = "
        "a FeedClient per day (new connection). Times include the fake server's work"
        + (" on the other core." if args.server == "process" else " (same loop).")
    )
    out.print(_parse_table(results))
    out.print(
        "share of fetch = (json.loads + parse_entries) medians / the reused client's fetch "
        f"median. Timed runs after 1 warm-up: at least {args.min_runs}, then until "
        f"{args.budget} s of runs (at most {args.max_runs}); p95 is nearest-rank (the slowest "
        "run when there are fewer than 20)."
    )
    out.print(f"seed {args.seed}; total {time.perf_counter() - started:.1f} s; {environment()}")


if __name__ == "__main__":
    main()
