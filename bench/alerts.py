"""Benchmark keyword alerts: the subscription index (a percolator) against checking every pair.

    .venv/bin/python bench/alerts.py            # 1,000 and 10,000 subscriptions × 200 papers
    .venv/bin/python bench/alerts.py --full     # and 100,000 subscriptions over 5,000 channels
    .venv/bin/python bench/alerts.py --full --max-evals 30000000   # brute force at 100k too

A poll hands the papers it saw for the first time to the alert matcher. The process keeps every
subscription parsed and indexed by the words it requires (`SubscriptionIndex`), so a paper is
checked only against the subscriptions that can match it; `match_alerts` checks every pair.
For each size this times one poll's matching both ways (the same papers, the same
subscriptions; tokenizing the papers included in both), checks that they give the same alerts,
and reports the work the index saves (distinct queries a paper is checked against), what
building the index costs (parse + index every subscription, as at startup), applying one
change, and the first and a later sync of an `AlertMatcher` from a Store on a temp file.

Subscriptions are realistic queries (words, phrases, OR groups, exclusions, fields, authors,
filters), 20 a channel on average (1..50), as the bot allows. Which word a query is indexed
on is chosen by document frequencies in a sample of other papers (as the matcher samples the
recent days' papers). `--real` takes the new papers (and the sample) from the real Daily
Papers bodies beside the repository instead of synthetic ones.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _common import (
    DEFAULT_SEED,
    FIRST_NAMES,
    LAST_NAMES,
    TOPICS,
    LoopStalls,
    PaperFactory,
    Timing,
    Topic,
    console,
    environment,
    measure,
    ms,
    positive_ints,
)
from rich.table import Table

from bot.delivery.alerts import (
    MAX_SUBSCRIPTIONS_PER_CHANNEL,
    AlertMatcher,
    SubscriptionIndex,
    match_alerts,
)
from bot.domain import Alert, ChannelRef, ChannelSettings, Paper, Subscription
from bot.query.match import PaperText
from bot.query.parse import MAX_QUERY_LENGTH
from bot.query.percolate import Cost, frequency_cost
from storage.store import Store
from storage.tx import write

SUBS_PER_CHANNEL = 20  # average; channels get 1..MAX_SUBSCRIPTIONS_PER_CHANNEL
PLATFORMS = ("slack", "discord", "console")
PLATFORM_WEIGHTS = (0.5, 0.45, 0.05)
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Alert queries are short and topical; these words come from the topics' vocabulary.
_EXCLUDE = ("survey", "benchmark", "dataset", "medical", "(survey OR review)")
_TITLE_WORDS = (
    "agent",
    "diffusion",
    "reasoning",
    "video",
    "mamba",
    "robot",
    "speech",
    "RAG",
    "quantization",
    "alignment",
    "3D",
    "code",
    "multimodal",
    "benchmark",
)


def _term(rng: random.Random, topic: Topic | None = None) -> str:
    """A topic word or phrase as a user types it: quoted when it has several words."""
    topic = topic or rng.choice(TOPICS)
    text = rng.choice(rng.choice((topic.keywords, topic.keywords, topic.phrases, topic.tasks)))
    if rng.random() < 0.5:
        text = text.lower()
    return f'"{text}"' if " " in text else text


def make_query(rng: random.Random) -> str:
    """One realistic alert query."""
    kind = rng.random()
    topic = rng.choice(TOPICS)  # combined terms come from one research area
    if kind < 0.30:
        query = _term(rng)
    elif kind < 0.45:
        query = " OR ".join(_term(rng) for _ in range(rng.randint(2, 3)))
    elif kind < 0.55:
        query = f"{_term(rng, topic)} {_term(rng, topic)}"
    elif kind < 0.65:
        query = f"{_term(rng)} -{rng.choice(_EXCLUDE)}"
    elif kind < 0.72:
        query = f"title:{rng.choice(_TITLE_WORDS)}"
    elif kind < 0.75:
        query = f"title:({_term(rng, topic)} OR {_term(rng, topic)})"
    elif kind < 0.78:
        query = f"abstract:{_term(rng)}"
    elif kind < 0.83:
        query = f'author:"{rng.choice(FIRST_NAMES[:25])} {rng.choice(LAST_NAMES[:30])}"'
    elif kind < 0.91:
        query = f"{_term(rng)} {rng.choice(('upvotes:>=20', 'upvotes:>=50', 'has:code'))}"
    else:
        query = (
            f"({_term(rng, topic)} OR {_term(rng, topic)}) {_term(rng, topic)} "
            f"-{rng.choice(_EXCLUDE)} "
            f"upvotes:>={rng.choice((5, 10, 20))}"
        )
    return query[:MAX_QUERY_LENGTH]


def make_subscriptions(
    count: int, seed: int, per_channel: int = SUBS_PER_CHANNEL
) -> list[Subscription]:
    """`count` subscriptions over count/per_channel channels (≤ 50 each), in id order."""
    rng = random.Random(seed)
    channels = max(1, math.ceil(count / per_channel))
    refs = []
    for i in range(channels):
        platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
        refs.append(ChannelRef(platform, f"W{i % 97:03d}", f"C{i:05d}"))
    queries: dict[ChannelRef, set[str]] = {}
    subs: list[Subscription] = []
    while len(subs) < count:
        ref = refs[len(subs) % channels] if len(subs) < channels else rng.choice(refs)
        taken = queries.setdefault(ref, set())
        query = make_query(rng)
        if len(taken) >= MAX_SUBSCRIPTIONS_PER_CHANNEL or query in taken:
            continue  # a channel has at most 50, each query once (the store's UNIQUE)
        taken.add(query)
        subs.append(Subscription(len(subs) + 1, ref, query, "U0BENCH", CREATED))
    return subs


@dataclass
class Size:
    """One subscription count: the measurements of its poll, index and store."""

    subs: list[Subscription]
    channels: int
    distinct: int
    index: Timing  # SubscriptionIndex.match(papers): one poll
    matching: Timing  # the percolator alone: the matching (paper, query) pairs, no Alerts
    brute: Timing | None  # match_alerts(subs, papers); None: over --max-evals
    agree: bool | None
    alerts: int
    pairs: int  # (paper, subscription) pairs that matched
    leaves: int  # distinct words and phrases
    exact: list[int]  # per paper: distinct queries matched by a word alone, not evaluated
    evaluated: list[int]  # per paper: distinct queries evaluated
    matched: list[int]  # per paper: distinct queries matched
    unindexed: int  # distinct queries with no word to index on (evaluated for every paper)
    build: Timing  # SubscriptionIndex(subs): parse and index all
    change: Timing  # one subscribe and one unsubscribe applied to the built index
    first_sync: float | None = None  # AlertMatcher.sync from a Store: read, sample, build
    first_stall: float | None = None  # of it: the longest the event loop was held
    later_sync: float | None = None  # AlertMatcher.sync after one subscribe in the Store
    poll: float | None = None  # AlertMatcher.match(store, papers): a poll, from the Store
    poll_stall: float | None = None  # of it: the longest the event loop was held


def _timed(args: argparse.Namespace, fn: Callable[[], object], *, slow: bool = False) -> Timing:
    return measure(
        fn,
        min_runs=1 if slow else args.min_runs,
        max_runs=args.max_runs,
        budget=args.budget,
        cap=args.cap,
    )


def _percolate_only(index: SubscriptionIndex, papers: list[Paper]) -> int:
    pairs = 0
    for paper, text in zip(papers, PaperText.many(papers), strict=True):
        pairs += sum(len(keys) for keys in index.percolator.match(text, paper))
    return pairs


def _one_change(index: SubscriptionIndex, template: Subscription) -> None:
    extra = Subscription(
        10**9, template.channel, '"bench only" OR quantization', "U0BENCH", CREATED
    )
    index.add(extra)
    index.remove(extra.id)


def _bench_size(
    subs: list[Subscription], papers: list[Paper], cost: Cost, args: argparse.Namespace
) -> Size:
    index = SubscriptionIndex(subs, cost=cost)
    result: list[list[Alert]] = [[]]

    def poll() -> None:
        result[0] = index.match(papers)

    timing = _timed(args, poll)
    alerts = result[0]
    matching = _timed(args, lambda: _percolate_only(index, papers))
    brute: Timing | None = None
    agree: bool | None = None
    if len(papers) * len(subs) <= args.max_evals:
        match_alerts(subs, papers[:1])  # fill its parsed-query cache, as earlier polls would
        expected: list[list[Alert]] = [[]]

        def every_pair() -> None:
            expected[0] = match_alerts(subs, papers)

        brute = _timed(args, every_pair, slow=len(papers) * len(subs) > 1_000_000)
        agree = expected[0] == alerts
    texts = PaperText.many(papers)
    work = [index.percolator.candidates(t) for t in texts]
    matched = [len(index.percolator.match(t, p)) for t, p in zip(texts, papers, strict=True)]
    build = _timed(args, lambda: SubscriptionIndex(subs, cost=cost), slow=True)
    change = _timed(args, lambda: _one_change(index, subs[0]))
    return Size(
        subs=subs,
        channels=len({s.channel for s in subs}),
        distinct=index.percolator.distinct,
        index=timing,
        matching=matching,
        brute=brute,
        agree=agree,
        alerts=len(alerts),
        pairs=sum(len(a.matched) for a in alerts),
        leaves=index.percolator.leaves,
        exact=[w[0] for w in work],
        evaluated=[w[1] for w in work],
        matched=matched,
        unindexed=index.percolator.unindexed,
        build=build,
        change=change,
    )


async def _stalled(work: Awaitable[object]) -> tuple[float, float]:
    """How long `work` took, and the longest a ticker on the event loop waited meanwhile."""
    async with LoopStalls() as stalls:
        start = time.perf_counter()
        await work
        elapsed = time.perf_counter() - start
    return elapsed, stalls.worst


def _bench_store(size: Size, sample: list[Paper], papers: list[Paper]) -> None:
    """An AlertMatcher on a Store holding the subscriptions (and the sample papers, the recent
    days it chooses index words by): its first sync, one after a subscribe, then a poll."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        store.upsert_papers(sample, CREATED)
        with write(store.db):  # loading is not measured: one transaction
            for channel in sorted({s.channel for s in size.subs}, key=lambda c: c.key):
                store.save_channel(ChannelSettings(channel))
            for sub in size.subs:
                store.add_subscription(sub.channel, sub.query, sub.created_by, CREATED)
        matcher = AlertMatcher()

        async def run() -> None:
            size.first_sync, size.first_stall = await _stalled(matcher.sync(store))
            store.add_subscription(size.subs[0].channel, '"bench only"', "U0BENCH", CREATED)
            size.later_sync, _ = await _stalled(matcher.sync(store))
            size.poll, size.poll_stall = await _stalled(matcher.match(store, papers))

        asyncio.run(run())
        store.close()


def _p95(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def _poll_table(sizes: list[Size], papers: int) -> Table:
    table = Table(title=f"One poll's alert matching: {papers:,} new papers × every subscription")
    for name in (
        "subscriptions",
        "channels",
        "distinct queries",
        "index median ms",
        "index p95 ms",
        "of it: finding matches ms",
        "every pair median ms",
        "every pair / index",
        "same alerts",
        "alerts",
        "matched pairs",
    ):
        table.add_column(name, justify="right")
    for s in sizes:
        brute = "skipped" if s.brute is None else ms(s.brute.median)
        ratio = "" if s.brute is None else f"{s.brute.median / s.index.median:.1f}×"
        agree = "-" if s.agree is None else ("yes" if s.agree else "NO")
        table.add_row(
            f"{len(s.subs):,}",
            f"{s.channels:,}",
            f"{s.distinct:,}",
            ms(s.index.median),
            ms(s.index.p95),
            ms(s.matching.median),
            brute,
            ratio,
            agree,
            f"{s.alerts:,}",
            f"{s.pairs:,}",
        )
    return table


def _work_table(sizes: list[Size]) -> Table:
    table = Table(title="The work per paper, in distinct queries (every pair: all of them)")
    for name in (
        "subscriptions",
        "distinct queries",
        "distinct words and phrases",
        "no word: evaluated for every paper",
        "matched by a word alone (mean)",
        "evaluated mean",
        "evaluated p95",
        "evaluated max",
        "candidates / distinct",
        "matched mean",
        "candidates that matched",
    ):
        table.add_column(name, justify="right")
    for s in sizes:
        candidates = [a + b for a, b in zip(s.exact, s.evaluated, strict=True)]
        mean = statistics.fmean(candidates)
        matched = statistics.fmean(s.matched)
        table.add_row(
            f"{len(s.subs):,}",
            f"{s.distinct:,}",
            f"{s.leaves:,}",
            f"{s.unindexed:,}",
            f"{statistics.fmean(s.exact):,.0f}",
            f"{statistics.fmean(s.evaluated):,.0f}",
            f"{_p95(s.evaluated):,}",
            f"{max(s.evaluated):,}",
            f"{mean / s.distinct:.1%}",
            f"{matched:,.0f}",
            f"{matched / mean:.0%}" if mean else "-",
        )
    return table


def _build_table(sizes: list[Size]) -> Table:
    table = Table(title="Building and changing the index; an AlertMatcher on a Store (one run)")
    for name in (
        "subscriptions",
        "build median s",
        "µs per subscription",
        "one subscribe + unsubscribe µs",
        "first sync s",
        "its longest loop stall ms",
        "sync after one subscribe ms",
        "a poll s",
        "its longest loop stall ms",
    ):
        table.add_column(name, justify="right")

    def opt(value: float | None, scale: float, digits: int) -> str:
        return "-" if value is None else f"{value * scale:,.{digits}f}"

    for s in sizes:
        table.add_row(
            f"{len(s.subs):,}",
            f"{s.build.median:.2f}",
            f"{s.build.median / len(s.subs) * 1e6:.0f}",
            f"{s.change.median * 1e6:.0f}",
            opt(s.first_sync, 1, 2),
            opt(s.first_stall, 1e3, 0),
            opt(s.later_sync, 1e3, 1),
            opt(s.poll, 1, 2),
            opt(s.poll_stall, 1e3, 0),
        )
    return table


def _papers(args: argparse.Namespace) -> tuple[list[Paper], list[Paper]]:
    """The new papers of the poll, and other papers to sample word frequencies from."""
    if args.real:
        from _real import REAL_DIR, real_papers

        real = real_papers()
        if len(real) < args.papers + 1:
            raise SystemExit(
                f"--real: {len(real)} papers in {REAL_DIR}, need more than {args.papers}"
            )
        return real[: args.papers], real[args.papers : args.papers + args.sample]
    factory = PaperFactory(args.seed)
    everything = factory.make(args.sample + args.papers, start=100_000 - args.sample)
    return everything[args.sample :], everything[: args.sample]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=200, help="new papers per poll (200)")
    parser.add_argument(
        "--subs",
        type=int,
        nargs="+",
        default=None,
        metavar="M",
        help="subscription counts (default 1000 10000; --full adds 100000)",
    )
    parser.add_argument(
        "--full", action="store_true", help="full size: 1,000, 10,000 and 100,000 subscriptions"
    )
    parser.add_argument(
        "--per-channel",
        type=int,
        default=SUBS_PER_CHANNEL,
        help=f"subscriptions per channel on average ({SUBS_PER_CHANNEL}: "
        "100,000 over 5,000 channels)",
    )
    parser.add_argument(
        "--max-evals",
        type=int,
        default=2_000_000,
        help="check every pair only where papers × subscriptions is at most this (2000000: "
        "up to 10,000 subscriptions × 200 papers; ~60 s a run at 100,000)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=500,
        help="papers whose word frequencies choose the index words (500)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="the real Daily Papers bodies (../shared/hf_real) as papers",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="skip the AlertMatcher syncs from a Store (loading 100k is slow)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--min-runs", type=int, default=5, help="timed runs at least (5)")
    parser.add_argument("--max-runs", type=int, default=40, help="timed runs at most (40)")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.3,
        help="keep timing an operation until this many seconds of runs (0.3)",
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=3.0,
        help="stop after 3 runs once an operation's runs pass this many s (3)",
    )
    args = parser.parse_args()
    counts = args.subs or ([1_000, 10_000, 100_000] if args.full else [1_000, 10_000])
    counts = sorted(set(positive_ints(counts, "--subs")))
    positive_ints(
        [args.papers, args.per_channel, args.sample, args.min_runs, args.max_runs, args.max_evals],
        "--papers/--per-channel/--sample/--min/max-runs/--max-evals",
    )

    out = console()
    started = time.perf_counter()
    papers, sample = _papers(args)
    with out.status("tokenizing the frequency sample…"):
        cost = frequency_cost(PaperText.many(sample))
    sizes: list[Size] = []
    for m in counts:
        subs = make_subscriptions(m, args.seed, args.per_channel)
        with out.status(f"{len(papers):,} papers × {m:,} subscriptions…"):
            size = _bench_size(subs, papers, cost, args)
        if not args.no_store:
            with out.status(f"an AlertMatcher syncing {m:,} subscriptions from a Store…"):
                _bench_store(size, sample, papers)
        sizes.append(size)

    out.print(_poll_table(sizes, len(papers)))
    skipped = [s for s in sizes if s.brute is None]
    ran = [s for s in sizes if s.brute is not None]
    if skipped and ran:
        big = max(ran, key=lambda s: len(s.subs))
        assert big.brute is not None
        per_sub = big.brute.median / len(big.subs)
        out.print(
            "every pair skipped (over --max-evals): "
            + ", ".join(
                f"{len(s.subs):,} (~{len(s.subs) * per_sub:.0f} s a run"
                f" at the {len(big.subs):,} rate)"
                for s in skipped
            )
        )
    out.print(
        "index = SubscriptionIndex.match(papers), what a poll runs (in a worker thread): "
        "tokenize the papers, find each one's candidates, check them, build the Alerts. "
        "Finding matches = the same without building Alerts (the matching (paper, query) "
        "pairs only). Every pair = match_alerts, after a call that filled its parsed-query "
        "cache. Same alerts: the two lists are equal (order included)."
    )
    out.print(_work_table(sizes))
    out.print(
        "Per paper, the words and phrases indexed under one of its tokens are checked once "
        "each; a query that is one word or phrase or an OR of them matches when one of them "
        "is there (not evaluated); any other query is evaluated when a word it requires is "
        "there (or always, with no word). Candidates = both kinds; subscriptions sharing a "
        "query count once."
    )
    out.print(_build_table(sizes))
    out.print(
        "Build = SubscriptionIndex(subscriptions): parse each distinct query once, compile and "
        "index it. First sync = AlertMatcher.sync on a fresh process: read every subscription "
        f"and the {len(sample):,} sample papers from the Store (on the event loop), tokenize "
        "the sample and build (in a worker thread). A later sync reads only the changes since "
        "its version. A poll = AlertMatcher.match(store, new papers), what Paperboy awaits. "
        "Loop stall = the longest a 5 ms ticker task on the event loop was late meanwhile."
    )
    out.print(
        f"Timed runs after 1 warm-up: at least {args.min_runs}, then until {args.budget} s of "
        f"runs; slow operations stop at 3 runs once their runs pass {args.cap} s (checking "
        "every pair over 1,000,000 evaluations and builds: 1 run when the warm-up takes "
        "longer than the budget). p95 is nearest-rank."
    )
    source = "real Daily Papers" if args.real else f"seed {args.seed}"
    out.print(
        f"{source}; {len(papers):,} new papers, {len(sample):,} sample papers, "
        f"{args.per_channel} subscriptions a channel; total "
        f"{time.perf_counter() - started:.1f} s; {environment()}"
    )


if __name__ == "__main__":
    main()
