"""Benchmark keyword alerts: bot.alerts.match_alerts over new papers × every subscription.

    .venv/bin/python bench/alerts.py
    .venv/bin/python bench/alerts.py --papers 100 1000 --subs 50 500 5000 --max-evals 6000000

A poll hands the papers it saw for the first time to match_alerts together with every
channel's subscriptions. This times that call for each (papers, subscriptions) pair, after a
call that fills the parsed-query cache (steady state between polls), and separately its parts:
tokenizing the papers (PaperText.many, one SQLite round trip) and parsing every query once
(what a cold or overflowing query cache costs). Subscriptions are realistic queries (words,
phrases, OR groups, exclusions, fields, authors, filters) spread over many channels of several
platforms, at most 50 per channel as the bot allows.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from _common import (
    DEFAULT_SEED,
    FIRST_NAMES,
    LAST_NAMES,
    TOPICS,
    PaperFactory,
    Timing,
    Topic,
    console,
    count_label,
    environment,
    measure,
    ms,
    positive_ints,
    rate,
)
from rich.table import Table

from bot.delivery.alerts import MAX_SUBSCRIPTIONS_PER_CHANNEL, match_alerts
from bot.domain import ChannelRef, Paper, Subscription
from bot.query.match import PaperText
from bot.query.parse import MAX_QUERY_LENGTH, parse

SUBS_PER_CHANNEL = 8  # average; channels get 1..MAX_SUBSCRIPTIONS_PER_CHANNEL
PLATFORMS = ("slack", "discord", "console")
PLATFORM_WEIGHTS = (0.5, 0.45, 0.05)
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Alert queries are short and topical; these words come from the topics' vocabulary.
_EXCLUDE = ("survey", "benchmark", "dataset", "medical", "(survey OR review)")
_TITLE_WORDS = ("agent", "diffusion", "reasoning", "video", "mamba", "robot", "speech", "RAG",
                "quantization", "alignment", "3D", "code", "multimodal", "benchmark")


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
        query = f'abstract:{_term(rng)}'
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


def make_subscriptions(count: int, seed: int) -> list[Subscription]:
    """`count` subscriptions over about count/SUBS_PER_CHANNEL channels (≤ 50 each)."""
    rng = random.Random(seed)
    channels = max(1, math.ceil(count / SUBS_PER_CHANNEL))
    refs = []
    for i in range(channels):
        platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
        refs.append(ChannelRef(platform, f"W{i % 97:03d}", f"C{i:05d}"))
    per_channel: dict[ChannelRef, set[str]] = {}
    subs: list[Subscription] = []
    while len(subs) < count:
        ref = refs[len(subs) % channels] if len(subs) < channels else rng.choice(refs)
        taken = per_channel.setdefault(ref, set())
        query = make_query(rng)
        if len(taken) >= MAX_SUBSCRIPTIONS_PER_CHANNEL or query in taken:
            continue  # a channel has at most 50, each query once (the store's UNIQUE)
        taken.add(query)
        subs.append(Subscription(len(subs) + 1, ref, query, "U0BENCH", CREATED))
    return subs


@dataclass(frozen=True)
class Cell:
    """match_alerts for one (papers, subscriptions) pair."""

    papers: int
    subs: int
    poll: Timing | None  # None: skipped, over --max-evals
    alerts: int
    matched: int  # (paper, subscription) pairs that matched


def _poll_cell(papers: list[Paper], subs: list[Subscription], settings: argparse.Namespace) -> Cell:
    match_alerts(subs, papers[:1])  # fill the parsed-query cache, as earlier polls have
    result: list[int] = []

    def poll() -> None:
        alerts = match_alerts(subs, papers)
        result[:] = [len(alerts), sum(len(a.matched) for a in alerts)]

    timing = measure(
        poll,
        min_runs=settings.min_runs,
        max_runs=settings.max_runs,
        budget=settings.budget,
        cap=settings.cap,
    )
    return Cell(len(papers), len(subs), timing, result[0], result[1])


def _poll_table(cells: list[Cell], tokenize: dict[int, Timing], channels: dict[int, int]) -> Table:
    table = Table(title="match_alerts(subscriptions, new papers): one poll's alert matching")
    for name in ("new papers", "subscriptions", "channels", "runs", "median ms", "p95 ms",
                 "paper×sub evals/s", "µs per eval excl. tokenize", "alerts", "matched pairs",
                 "tokenize share"):
        table.add_column(name, justify="right")
    for c in cells:
        head = [f"{c.papers:,}", f"{c.subs:,}", f"{channels[c.subs]:,}"]
        if c.poll is None:
            table.add_row(*head, "-", "not run", *([""] * 6))
            continue
        evals = c.papers * c.subs
        table.add_row(
            *head,
            str(c.poll.runs),
            ms(c.poll.median),
            ms(c.poll.p95),
            rate(evals, c.poll.median),
            f"{(c.poll.median - tokenize[c.papers].median) / evals * 1e6:.2f}",
            f"{c.alerts:,}",
            f"{c.matched:,}",
            f"{tokenize[c.papers].median / c.poll.median:.0%}",
        )
    return table


def _tokenize_table(tokenize: dict[int, Timing]) -> Table:
    table = Table(title="PaperText.many(new papers) alone: tokenizing")
    for name in ("new papers", "runs", "median ms", "p95 ms", "papers/s"):
        table.add_column(name, justify="right")
    for n, t in sorted(tokenize.items()):
        table.add_row(f"{n:,}", str(t.runs), ms(t.median), ms(t.p95), rate(n, t.median))
    return table


def _parse_table(
    parse_times: dict[int, Timing], distinct: dict[int, int], channels: dict[int, int]
) -> Table:
    table = Table(title="Parsing every distinct query once (bot.query.parse): a cold query cache")
    for name in ("subscriptions", "channels", "distinct queries", "runs", "median ms",
                 "p95 ms", "queries/s"):
        table.add_column(name, justify="right")
    for m, t in sorted(parse_times.items()):
        table.add_row(
            f"{m:,}", f"{channels[m]:,}", f"{distinct[m]:,}", str(t.runs), ms(t.median),
            ms(t.p95), rate(distinct[m], t.median),
        )
    return table


def _parse_all(queries: list[str]) -> None:
    for query in queries:
        parse(query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[100, 1000], metavar="N",
                        help="new papers per poll (default: 100 1000)")
    parser.add_argument("--subs", type=int, nargs="+", default=[50, 500, 5000], metavar="M",
                        help="subscriptions over all channels (default: 50 500 5000)")
    parser.add_argument(
        "--max-evals", type=int, default=1_000_000,
        help="skip pairs with more papers×subscriptions than this (default 1000000; the "
        "1000×5000 pair takes ~20 s a run, at least 3 runs)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--min-runs", type=int, default=5, help="timed runs at least (5)")
    parser.add_argument("--max-runs", type=int, default=40, help="timed runs at most (40)")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="keep timing an operation until this many seconds of runs (0.3)")
    parser.add_argument("--cap", type=float, default=3.0,
                        help="stop after 3 runs once an operation's runs pass this many s (3)")
    args = parser.parse_args()
    paper_counts = sorted(set(positive_ints(args.papers, "--papers")))
    sub_counts = sorted(set(positive_ints(args.subs, "--subs")))
    positive_ints([args.min_runs, args.max_runs, args.max_evals], "--min/max-runs/--max-evals")

    out = console()
    started = time.perf_counter()
    papers = PaperFactory(args.seed).make(max(paper_counts), start=100_000)
    sub_sets = {m: make_subscriptions(m, args.seed) for m in sub_counts}
    channels = {m: len({s.channel for s in subs}) for m, subs in sub_sets.items()}
    distinct = {m: len({s.query for s in subs}) for m, subs in sub_sets.items()}

    def timed(fn: Callable[[], object]) -> Timing:
        return measure(fn, min_runs=args.min_runs, max_runs=args.max_runs, budget=args.budget,
                       cap=args.cap)

    with out.status("tokenizing and parsing…"):
        tokenize = {n: timed(partial(PaperText.many, papers[:n])) for n in paper_counts}
        parse_times = {
            m: timed(partial(_parse_all, sorted({s.query for s in sub_sets[m]})))
            for m in sub_counts
        }
    cells: list[Cell] = []
    for n in paper_counts:
        for m in sub_counts:
            if n * m > args.max_evals:
                cells.append(Cell(n, m, None, 0, 0))
                continue
            with out.status(f"{n:,} papers × {m:,} subscriptions…"):
                cells.append(_poll_cell(papers[:n], sub_sets[m], args))

    out.print(_poll_table(cells, tokenize, channels))
    skipped = [c for c in cells if c.poll is None]
    ran = [c for c in cells if c.poll is not None]
    if skipped and ran:
        big = max(ran, key=lambda c: c.papers * c.subs)
        assert big.poll is not None
        per_eval = big.poll.median / (big.papers * big.subs)
        out.print(
            "not run: "
            + ", ".join(
                f"{c.papers:,}×{c.subs:,} (~{c.papers * c.subs * per_eval:.0f} s a run at the "
                f"{big.papers:,}×{big.subs:,} rate)"
                for c in skipped
            )
            + f": more than --max-evals {args.max_evals:,} papers×subscriptions."
        )
    out.print(
        "Steady state: a first call filled the alert parsed-query cache (lru_cache of 4096). "
        "evals/s = papers × subscriptions / median; µs per eval excl. tokenize = (median - "
        "PaperText.many's median for those papers) / evals; tokenize share = PaperText.many's "
        "median / the poll's median."
    )
    out.print(_tokenize_table(tokenize))
    out.print(_parse_table(parse_times, distinct, channels))
    out.print(
        f"Timed runs after 1 warm-up: at least {args.min_runs}, then until {args.budget} s of "
        f"runs; slow operations stop at 3 runs once their runs pass {args.cap} s, a warm-up "
        "slower than the budget counting as a run. p95 is nearest-rank (the slowest run when "
        "there are fewer than 20)."
    )
    out.print(
        f"seed {args.seed}; {count_label(max(paper_counts))} papers, "
        f"{count_label(max(sub_counts))} subscriptions; total "
        f"{time.perf_counter() - started:.1f} s; {environment()}"
    )


if __name__ == "__main__":
    main()
