"""Benchmark alert dry runs (`alerts test`, the `subscribe` preview): index vs re-tokenizing.

    .venv/bin/python bench/dryrun.py
    .venv/bin/python bench/dryrun.py --papers 100000

One temp-file SQLite Store (WAL, FTS5, as in production) holds synthetic papers
(bench/_common.PaperFactory, 60 a day). For each query class it times, in the same run:

- old: what the handler did before: the papers of the last ALERT_TEST_DAYS stored days
  (`papers_on`) re-tokenized and matched through `match_alerts` with a probe subscription;
- new: `Handlers.alerts_test` as it is now: `count_matches` and one page of `search`, both
  filtered to those days, answered by the FTS5 index;
- handle: the whole command as a platform sends it (`Handlers.handle`: parse, the hop to a
  command thread and back), and the event loop's worst stall while it ran (a 1 ms ticker).

The two ways must agree on how many papers match; the script stops if they do not.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from _common import (
    DEFAULT_SEED,
    PAPERS_PER_DAY,
    LoopStalls,
    PaperFactory,
    Timing,
    console,
    count_label,
    environment,
    measure,
    ms,
    positive_ints,
)
from rich.table import Table

from bot.commands.handlers import ALERT_TEST_DAYS, Handlers
from bot.delivery.alerts import match_alerts
from bot.domain import ChannelRef, Invocation, Paper, Subscription
from bot.service import Paperboy
from storage.store import Store
from storage.tx import write

CH = ChannelRef("console", "local", "bench")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# (label, query): the kinds of queries people test before subscribing.
QUERIES: tuple[tuple[str, str], ...] = (
    ("single word", "diffusion"),
    ("rare word", "mamba"),
    ("very common word", "model"),
    ("phrase", '"video generation"'),
    ("OR group", 'rl OR "reinforcement learning" OR grpo'),
    ("words + exclusion", "agents planning -survey"),
    ("field", "title:agent"),
    ("field group", 'title:(mamba OR "state space")'),
    ("author phrase", 'author:"Wei Zhang"'),
    ("word + filter", "reasoning upvotes:>=20"),
    ("word OR filter", "mamba OR has:code"),
    ("filters only", "upvotes:>=20 has:code"),
    ("negation only", "-diffusion"),
)


class _NoFeed:
    """The dry run never fetches."""

    async def fetch_day(self, day: date) -> list[Paper]:
        raise AssertionError("a dry run does not fetch")

    async def fetch_week(self, week: str) -> list[Paper] | None:
        raise AssertionError("a dry run does not fetch")


@dataclass(frozen=True)
class Row:
    """One query class at one archive size."""

    matches: int
    old: Timing
    new: Timing
    handle: Timing
    stall: float  # the loop's worst stall (seconds) while `handle` ran


def _old_way(store: Store, text: str) -> Callable[[], int]:
    """The handler before: re-tokenize the week's papers through the alert matcher."""
    probe = [Subscription(0, CH, text, "", NOW)]

    def run() -> int:
        days = store.recent_days(ALERT_TEST_DAYS)
        papers = store.papers_on(days, limit=10_000)
        return len(match_alerts(probe, papers))

    return run


def _matches(handlers: Handlers, text: str) -> int:
    """The count the dry run reports (`Handlers.alerts_test`, sync, as its thread runs it)."""
    reply = handlers.alerts_test({"query": text}, Invocation(CH, "bench"))
    assert reply.ok, reply.text
    if "would not have matched" in reply.text:
        return 0
    return int(reply.text.split("would have alerted on ", 1)[1].split()[0])


def _load(store: Store, papers: list[Paper]) -> None:
    """Store papers a day per transaction, as a backfill does (loading is not measured)."""
    for start in range(0, len(papers), PAPERS_PER_DAY):
        with write(store.db):
            store.upsert_papers(papers[start : start + PAPERS_PER_DAY], NOW)


def _bench_size(store: Store, args: argparse.Namespace) -> dict[str, Row]:
    handlers = Handlers(Paperboy(store, _NoFeed(), clock=lambda: NOW))
    loop = asyncio.new_event_loop()
    rows: dict[str, Row] = {}

    def timed(fn: Callable[[], object]) -> Timing:
        return measure(
            fn, min_runs=args.min_runs, max_runs=args.max_runs, budget=args.budget, cap=args.cap
        )

    async def handle_with_stalls(text: str) -> float:
        async with LoopStalls(0.001) as stalls:
            for _ in range(args.min_runs):
                reply = await handlers.handle(f"alerts test {text}", Invocation(CH, "bench"))
                assert reply.ok, reply.text
        return stalls.worst

    try:
        for label, text in QUERIES:
            old_fn = _old_way(store, text)
            old_count = old_fn()
            new_count = _matches(handlers, text)
            if old_count != new_count:
                raise SystemExit(
                    f"{label} ({text!r}): the matcher says {old_count} papers, "
                    f"the dry run {new_count}"
                )

            def through_handle(text: str = text) -> object:
                return loop.run_until_complete(
                    handlers.handle(f"alerts test {text}", Invocation(CH, "bench"))
                )

            rows[label] = Row(
                matches=new_count,
                old=timed(old_fn),
                new=timed(partial(_matches, handlers, text)),
                handle=timed(through_handle),
                stall=loop.run_until_complete(handle_with_stalls(text)),
            )
    finally:
        loop.close()
    return rows


async def _idle_stall(seconds: float) -> float:
    """The 1 ms ticker's worst lateness on a loop with nothing else to do (the floor)."""
    async with LoopStalls(0.001) as stalls:
        await asyncio.sleep(seconds)
    return stalls.worst


def _table(size: int, rows: dict[str, Row]) -> Table:
    table = Table(
        title=f"Alert dry run over the last {ALERT_TEST_DAYS} stored days "
        f"({ALERT_TEST_DAYS * PAPERS_PER_DAY} papers) of {count_label(size)}, "
        "milliseconds"
    )
    table.add_column("query kind", no_wrap=True)
    table.add_column("query", max_width=34, overflow="ellipsis", no_wrap=True)
    for name in (
        "matches",
        "old median",
        "old p95",
        "new median",
        "new p95",
        "handle median",
        "handle p95",
        "loop stall",
        "old/new",
    ):
        table.add_column(name, justify="right")
    for label, text in QUERIES:
        r = rows[label]
        table.add_row(
            label,
            text,
            f"{r.matches:,}",
            ms(r.old.median),
            ms(r.old.p95),
            ms(r.new.median),
            ms(r.new.p95),
            ms(r.handle.median),
            ms(r.handle.p95),
            ms(r.stall),
            f"{r.old.median / r.new.median:,.0f}x",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--papers",
        type=int,
        nargs="+",
        default=[10_000],
        metavar="N",
        help="archive sizes, grown in this order (default: 10000; the target is 100000)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--min-runs", type=int, default=5, help="timed runs at least (5)")
    parser.add_argument("--max-runs", type=int, default=40, help="timed runs at most (40)")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.2,
        help="keep timing an operation until this many seconds of runs (default 0.2)",
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=1.5,
        help="stop after 3 runs once an operation's runs pass this many seconds (default 1.5)",
    )
    args = parser.parse_args()
    sizes = sorted(set(positive_ints(args.papers, "--papers")))
    positive_ints([args.min_runs, args.max_runs], "--min-runs/--max-runs")
    if sizes[0] < ALERT_TEST_DAYS * PAPERS_PER_DAY:
        raise SystemExit(f"--papers: at least {ALERT_TEST_DAYS * PAPERS_PER_DAY} papers")

    out = console()
    started = time.perf_counter()
    with out.status(f"generating {count_label(sizes[-1])} papers…"):
        papers = PaperFactory(args.seed).make(sizes[-1])
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="paperboy-bench-") as tmp:
        store = Store(Path(tmp) / "bench.db")
        try:
            loaded = 0
            for size in sizes:
                with out.status(f"loading {count_label(size)} papers…"):
                    _load(store, papers[loaded:size])
                    loaded = size
                    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                with out.status(f"dry runs at {count_label(size)} papers…"):
                    rows = _bench_size(store, args)
                out.print(_table(size, rows))
        finally:
            store.close()
    idle = asyncio.run(_idle_stall(0.5))
    out.print(
        "old = papers_on(last days) + match_alerts (re-tokenizes every paper of those days, "
        "on the event loop before this change); new = Handlers.alerts_test: count_matches + "
        "search(limit=10), both with days=; handle = Handlers.handle('alerts test …'), the "
        "command as a platform runs it, in a command thread; loop stall = the worst lateness "
        f"of a 1 ms ticker on the loop over {args.min_runs} handle calls (idle loop: "
        f"{ms(idle)}; the old way ran on the loop, stalling it for its whole time). After 1 "
        f"warm-up, at least {args.min_runs} runs, then until {args.budget} s of runs (at most "
        f"{args.max_runs}); p95 is nearest-rank (the slowest run when fewer than 20)."
    )
    out.print(
        f"seed {args.seed}; {count_label(sizes[-1])} synthetic papers generated in "
        f"{generated:.1f} s; total {time.perf_counter() - started:.1f} s; {environment()}"
    )


if __name__ == "__main__":
    main()
