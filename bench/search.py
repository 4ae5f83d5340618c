"""Benchmark archive loading and search: upsert throughput and query latency by archive size.

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --papers 1000 10000 50000 100000

One temp-file SQLite Store (WAL, FTS5 triggers, as in production) grows through the archive
sizes with synthetic papers, a day's batch per `upsert_papers` call as a backfill does. At
each size it times: the last batches upserted exactly as the app does (and the others inside
one explicit transaction, to show what that gains), a poll's refresh of already-stored papers
with moved upvotes, and every query of QUERIES through `Store.search(parse(q), limit=10)`
(parse included, as a user would see it).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import (
    DEFAULT_SEED,
    PAPERS_PER_DAY,
    PaperFactory,
    Timing,
    console,
    count_label,
    environment,
    measure,
    ms,
    positive_ints,
    rate,
)
from rich.table import Table

from bot.domain import Paper
from bot.query.parse import parse
from storage.search import count as count_matches
from storage.search import rank_match
from storage.store import Store

LONG_TERMS = (
    "scalable efficient diffusion models image generation classifier-free guidance flow "
    "matching latent space denoising sampling quality benchmark training inference model method"
)  # 20 words
# (label, query): one of each kind a user writes.
QUERIES: tuple[tuple[str, str], ...] = (
    ("single word", "diffusion"),
    ("phrase", '"video generation"'),
    ("words + phrase + exclusion", 'diffusion "video generation" -survey'),
    ("OR group", 'rl OR "reinforcement learning"'),
    ("negation only", "-survey"),
    ("field", "title:agent"),
    ("author phrase", 'author:"Kaiming He"'),
    ("filters only", "upvotes:>=20 has:code"),
    ("field group + filter", 'title:(mamba OR "state space") upvotes:>=10'),
    ("20 terms, AND", LONG_TERMS),
    ("20 terms, OR", LONG_TERMS.replace(" ", " OR ")),
)
REFRESH_DAYS = 2  # a poll fetches today and yesterday and upserts both, mostly known papers


@dataclass(frozen=True)
class SizeResult:
    """Everything measured at one archive size."""

    papers: int
    added: int  # papers upserted to grow the archive from the previous size to this one
    batches: Timing  # upsert_papers exactly as the app calls it, one batch per call
    batch_size: int
    db_bytes: int
    refresh: Timing
    refresh_size: int
    searches: dict[str, Timing]
    matches: dict[str, int]
    ranked: dict[str, int]


@dataclass(frozen=True)
class Settings:
    """How long to measure each operation (see _common.measure)."""

    batch_size: int
    min_runs: int
    max_runs: int
    budget: float
    cap: float

    def measure(self, fn: Callable[[], object]) -> Timing:
        return measure(
            fn, min_runs=self.min_runs, max_runs=self.max_runs, budget=self.budget, cap=self.cap
        )


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _grow(store: Store, papers: list[Paper], settings: Settings) -> Timing:
    """Upsert new papers a batch per call (a backfill upserts a day per call), as the app
    does (one transaction per call); time each call."""
    size = settings.batch_size
    samples: list[float] = []
    for start in range(0, len(papers), size):
        batch = papers[start : start + size]
        t0 = time.perf_counter()
        result = store.upsert_papers(batch)
        samples.append(time.perf_counter() - t0)
        assert len(result.new) == len(batch) and not store.db.conn.in_transaction
    return Timing(tuple(samples))


def _refresh(store: Store, settings: Settings, known: list[Paper]) -> Timing:
    """A poll re-upserts the newest days: all papers known, upvotes moved since last time."""
    bumped = [dataclasses.replace(p, upvotes=p.upvotes + 1) for p in known]
    versions = (bumped, known)
    turn = [1]  # the first run upserts `bumped`

    def refresh() -> None:
        turn[0] ^= 1
        result = store.upsert_papers(versions[turn[0]])
        assert not result.new and result.updated == len(known)

    timing = settings.measure(refresh)
    store.upsert_papers(known)  # leave the archive as loaded
    return timing


def _bench(papers: list[Paper], sizes: list[int], settings: Settings) -> list[SizeResult]:
    """Grow one archive through `sizes`, measuring at each."""
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="paperboy-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        store = Store(path)
        try:
            loaded = 0
            for size in sizes:
                batches = _grow(store, papers[loaded:size], settings)
                added, loaded = size - loaded, size
                assert store.count_papers() == size
                store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                known = papers[size - REFRESH_DAYS * PAPERS_PER_DAY : size]
                refresh = _refresh(store, settings, known)
                searches: dict[str, Timing] = {}
                matches: dict[str, int] = {}
                ranked: dict[str, int] = {}
                for label, text in QUERIES:
                    matches[label] = count_matches(store.db, parse(text))
                    ranked[label] = _count_ranked(store, text)
                    searches[label] = settings.measure(_searcher(store, text))
                results.append(
                    SizeResult(
                        papers=size,
                        added=added,
                        batches=batches,
                        batch_size=settings.batch_size,
                        db_bytes=_db_bytes(path),
                        refresh=refresh,
                        refresh_size=len(known),
                        searches=searches,
                        matches=matches,
                        ranked=ranked,
                    )
                )
        finally:
            store.close()
    return results


def _count_ranked(store: Store, text: str) -> int:
    """Papers matching the query's ranking expression (the OR of its positive words/phrases):
    search scores and snippets each of them, however few papers the whole query matches."""
    ranker = rank_match(parse(text))
    if ranker is None:
        return 0
    sql = "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?"
    return int(store.db.execute(sql, [ranker]).fetchone()[0])


def _searcher(store: Store, text: str) -> Callable[[], object]:
    def run() -> object:
        return store.search(parse(text), limit=10)

    return run


def _upsert_table(results: list[SizeResult]) -> Table:
    table = Table(
        title="Growing the archive: Store.upsert_papers of new papers, one batch per call"
    )
    for name in ("archive", "added", "batch", "batches", "batch median ms", "batch p95 ms",
                 "papers/s", "load s", "DB MB", "refresh median ms", "refresh p95 ms"):
        table.add_column(name, justify="right")
    for r in results:
        table.add_row(
            count_label(r.papers),
            f"{r.added:,}",
            str(r.batch_size),
            str(r.batches.runs),
            ms(r.batches.median),
            ms(r.batches.p95),
            rate(r.batch_size, r.batches.median),
            f"{r.batches.total:.2f}",
            f"{r.db_bytes / 1e6:.1f}",
            ms(r.refresh.median),
            ms(r.refresh.p95),
        )
    return table


def _search_table(results: list[SizeResult]) -> Table:
    table = Table(title="Search latency: Store.search(parse(q), limit=10), milliseconds")
    table.add_column("query kind", no_wrap=True)
    table.add_column("query", max_width=32, overflow="ellipsis", no_wrap=True)
    for r in results:
        label = count_label(r.papers)
        table.add_column(f"{label} median", justify="right")
        table.add_column(f"{label} p95", justify="right")
        table.add_column(f"{label} matches/ranked", justify="right", no_wrap=True)
    for label, text in QUERIES:
        cells = [label, text]
        for r in results:
            timing = r.searches[label]
            cells += [
                ms(timing.median),
                ms(timing.p95),
                f"{r.matches[label]:,}/{r.ranked[label]:,}",
            ]
        table.add_row(*cells)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--papers", type=int, nargs="+", default=[1000, 10_000, 50_000], metavar="N",
        help="archive sizes, grown in this order (default: 1000 10000 50000)",
    )
    parser.add_argument(
        "--batch", type=int, default=PAPERS_PER_DAY,
        help=f"papers per upsert call (default {PAPERS_PER_DAY}: a day, as backfill does)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--min-runs", type=int, default=5, help="timed runs at least (5)")
    parser.add_argument("--max-runs", type=int, default=40, help="timed runs at most (40)")
    parser.add_argument(
        "--budget", type=float, default=0.2,
        help="keep timing an operation until this many seconds of runs (default 0.2)",
    )
    parser.add_argument(
        "--cap", type=float, default=1.5,
        help="stop after 3 runs once an operation's runs pass this many seconds (default 1.5)",
    )
    args = parser.parse_args()
    sizes = sorted(set(positive_ints(args.papers, "--papers")))
    positive_ints([args.batch, args.min_runs, args.max_runs], "--batch/--min-runs/--max-runs")
    if sizes[0] < REFRESH_DAYS * PAPERS_PER_DAY:
        raise SystemExit(f"--papers: at least {REFRESH_DAYS * PAPERS_PER_DAY} papers")
    settings = Settings(
        args.batch, args.min_runs, args.max_runs, args.budget, args.cap
    )

    out = console()
    started = time.perf_counter()
    with out.status(f"generating {count_label(sizes[-1])} papers…"):
        papers = PaperFactory(args.seed).make(sizes[-1])
    generated = time.perf_counter() - started
    with out.status(f"loading and searching {', '.join(map(count_label, sizes))} papers…"):
        results = _bench(papers, sizes, settings)

    out.print(_upsert_table(results))
    out.print(
        "One archive (temp-file SQLite, WAL) grown through the sizes; each row upserts the "
        "papers added since the previous row, a batch per call, as the app makes it (one "
        "transaction per call). refresh = one poll's "
        f"upsert of the newest {REFRESH_DAYS} days ({REFRESH_DAYS * PAPERS_PER_DAY} "
        "papers, all already stored, upvotes changed)."
    )
    out.print(_search_table(results))
    runs = [t.runs for r in results for t in (r.refresh, *r.searches.values())]
    out.print(
        f"{min(runs)}-{max(runs)} timed runs per cell after 1 warm-up (at least "
        f"{args.min_runs}, then until {args.budget} s of runs; slow operations stop at 3 runs "
        f"once their runs pass {args.cap} s, their warm-up counting as a run); "
        "p95 is nearest-rank (the slowest run when there are fewer than 20). matches = every "
        "paper the query matches (storage.search.count), of which search returns the best 10; "
        "ranked = papers matching the plan's ranking match (storage.search.rank_match), each "
        "of which gets a bm25 score; only the returned page gets snippets."
    )
    out.print(
        f"seed {args.seed}; {count_label(sizes[-1])} synthetic papers generated in "
        f"{generated:.1f} s; total {time.perf_counter() - started:.1f} s; {environment()}"
    )


if __name__ == "__main__":
    main()
