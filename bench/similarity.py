"""Papers like these: how well similarity alerts rank, where their thresholds fall, how fast.

    .venv/bin/python bench/similarity.py                    # 300 seeds, 10,000 alerts
    .venv/bin/python bench/similarity.py --small            # 40 seeds, 500 alerts: seconds
    .venv/bin/python bench/similarity.py --seeds 800 --alerts 20000

The papers are every real `/api/daily_papers` body in `../shared/hf_real` (read from there,
never copied into the repository), stored in a Store on a temp file. Three tables:

1. Quality. A seed is a paper with at least 3 relevant other papers, where relevant means it
   shares an HF AI keyword (case-insensitive, the exact string) or an author with the seed. For
   up to --seeds seeds (drawn with a fixed seed) each ranker ranks every other paper, and the
   table gives the mean precision@10, and again with relevance = shares an author only (over
   the seeds with at least one such paper). TF-IDF reads the AI keywords, so the keyword
   relevance favours it (and the semantic engine, which embeds them too); the author column
   is the judgement neither engine reads. Rankers: `rank_like` with each engine and a floor
   of -1 (TF-IDF then ranks every paper sharing a term with the seed's kept terms; the rest
   score 0 and are never ranked), the bare FTS5 query `SELECT rowid FROM papers_fts WHERE
   papers_fts MATCH ? ORDER BY bm25(papers_fts) LIMIT 11` on the seed's distinct title words
   joined by OR, the Jaccard overlap of title+abstract words, and random order as the floor.
2. Thresholds. For each engine at 0.5×, 1× and 1.5× its THRESHOLD, over the same seeds: the
   share of (seed, other paper) pairs that pass, the matches that makes per seed on a 50-paper
   day, and the precision (keyword-or-author relevance) of the passing pairs.
3. Speed. --alerts similarity alerts of 1-3 random seeds each (from the archive, stored with
   `add_subscription`, 20 a channel) against a poll of the latest --poll papers:
   `LikeIndex.match` once warm (the first match, which builds the seed vectors, is reported
   apart) against every pair: for every alert, each of its seeds' full vector scored against
   every paper (a dict cosine for TF-IDF, a numpy dot for the semantic engine). Both count
   the (alert, paper) matches at the engine's THRESHOLD: TF-IDF's index keeps each seed's
   heaviest SEED_TERMS terms, so it finds fewer than every full-vector pair does.

The semantic engine's rows need `wordllama` (`pip install 'paperboy-bot[semantic]'`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import DEFAULT_SEED, console, environment, measure, ms
from _real import REAL_DIR, real_papers
from rich.console import Console
from rich.table import Table

from bot.domain import ChannelRef, ChannelSettings, Paper
from bot.ports import Repository
from bot.query.text import tokenize
from bot.similarity.engine import Engine, SeedIndex, Vector, paper_vectors
from bot.similarity.matcher import LikeIndex, rank_like
from bot.similarity.seeds import like_text
from bot.similarity.tfidf import TfidfEngine
from storage.fts import fts_string
from storage.store import Store

TOP = 10
MIN_RELEVANT = 3
DAY_PAPERS = 50
ALERTS_PER_CHANNEL = 20
SCALES = (0.5, 1.0, 1.5)
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SMALL_SEEDS, SMALL_ALERTS = 40, 500
Ranking = list[str]  # paper ids, best first


class Memo:
    """An engine whose vectors are weighed once per stored features (the archive is fixed)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.threshold = engine.threshold
        self._vectors: dict[bytes, Vector] = {}

    def encode(self, papers: Sequence[Paper]) -> list[bytes]:
        """The engine's features."""
        return self.engine.encode(papers)

    def vectors(self, repo: Repository, features: Sequence[bytes]) -> list[Vector]:
        """The engine's vectors, each weighed once."""
        missing = [f for f in dict.fromkeys(features) if f not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.engine.vectors(repo, missing), strict=True))
        return [self._vectors[f] for f in features]

    def index(self, seeds: Mapping[str, Vector]) -> SeedIndex:
        """The engine's seed index."""
        return self.engine.index(seeds)


def load_engines(out: Console) -> dict[str, Engine | None]:
    """The engines by row name; the semantic one is None when wordllama is not installed."""
    engines: dict[str, Engine | None] = {"tfidf": TfidfEngine(), "semantic (wordllama)": None}
    try:
        import wordllama  # noqa: F401

        from bot.similarity.semantic import SemanticEngine, SemanticUnavailable

        try:
            engines["semantic (wordllama)"] = SemanticEngine()
        except SemanticUnavailable as exc:
            out.print(f"semantic engine unavailable: {exc}")
    except ImportError:
        pass
    return engines


# --- relevance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgements:
    """Which other papers are relevant to each paper: by keyword or author, by author alone."""

    any: dict[str, set[str]]
    author: dict[str, set[str]]


def judgements(papers: Sequence[Paper]) -> Judgements:
    """Papers sharing an AI keyword (case-insensitive exact string) or an author."""
    by_keyword: defaultdict[str, set[str]] = defaultdict(set)
    by_author: defaultdict[str, set[str]] = defaultdict(set)
    for p in papers:
        for keyword in p.ai_keywords:
            by_keyword[keyword.strip().lower()].add(p.id)
        for name in p.authors:
            by_author[name.strip()].add(p.id)
    author: dict[str, set[str]] = {}
    anything: dict[str, set[str]] = {}
    for p in papers:
        co = set().union(*(by_author[a.strip()] for a in p.authors)) - {p.id}
        kw = set().union(*(by_keyword[k.strip().lower()] for k in p.ai_keywords)) - {p.id}
        author[p.id] = co
        anything[p.id] = co | kw
    return Judgements(anything, author)


def eligible_seeds(papers: Sequence[Paper], judged: Judgements) -> list[Paper]:
    """The papers with at least MIN_RELEVANT relevant others."""
    return [p for p in papers if len(judged.any[p.id]) >= MIN_RELEVANT]


# --- rankers -------------------------------------------------------------------------------


def engine_scores(
    engine: Engine, store: Store, seeds: Sequence[Paper], papers: Sequence[Paper]
) -> dict[str, list[tuple[str, float]]]:
    """Each seed's ranking of all other papers by `rank_like` (floor -1), with scores."""
    memo = Memo(engine)
    return {
        s.id: [(p.id, score) for p, _, score in rank_like(memo, store, [s], papers, -1.0)]
        for s in seeds
    }


def title_or(title: str) -> str:
    """The title's distinct words (by their tokens), each quoted as written, joined by OR."""
    words: dict[tuple[str, ...], str] = {}
    for word in title.split():
        tokens = tuple(tokenize(word))
        if tokens:
            words.setdefault(tokens, word)
    return " OR ".join(fts_string(w) for w in words.values())


def fts_ranker(store: Store) -> Callable[[Paper], Ranking]:
    """The bare FTS5 query on the OR of the seed's title words."""
    ids = dict(store.db.execute("SELECT pk, id FROM papers").fetchall())
    sql = (
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
        f"ORDER BY bm25(papers_fts) LIMIT {TOP + 1}"
    )

    def rank(seed: Paper) -> Ranking:
        expression = title_or(seed.title)
        if not expression:
            return []
        rows = store.db.execute(sql, [expression]).fetchall()
        return [ids[r[0]] for r in rows if ids[r[0]] != seed.id][:TOP]

    return rank


def jaccard_ranker(papers: Sequence[Paper]) -> Callable[[Paper], Ranking]:
    """Others by the Jaccard overlap of their title+abstract words with the seed's."""
    words = {p.id: frozenset(tokenize(f"{p.title} {p.summary}")) for p in papers}

    def rank(seed: Paper) -> Ranking:
        mine = words[seed.id]
        scored = []
        for pid, theirs in words.items():
            if pid != seed.id:
                union = len(mine | theirs)
                scored.append((-(len(mine & theirs) / union if union else 0.0), pid))
        scored.sort()
        return [pid for _, pid in scored[:TOP]]

    return rank


def random_ranker(papers: Sequence[Paper], seed: int) -> Callable[[Paper], Ranking]:
    """Others in random order (a fixed seed)."""
    rng = random.Random(seed)
    ids = [p.id for p in papers]

    def rank(paper: Paper) -> Ranking:
        return [pid for pid in rng.sample(ids, TOP + 1) if pid != paper.id][:TOP]

    return rank


def precision(ranking: Ranking, relevant: set[str]) -> float:
    """Share of the top TOP that are relevant (a short ranking counts its gaps as misses)."""
    return sum(pid in relevant for pid in ranking[:TOP]) / TOP


@dataclass
class Quality:
    """Mean precision@10 of one ranker."""

    any: list[float] = field(default_factory=list)
    author: list[float] = field(default_factory=list)

    def add(self, ranking: Ranking, seed: str, judged: Judgements) -> None:
        """Judge one seed's ranking."""
        self.any.append(precision(ranking, judged.any[seed]))
        if judged.author[seed]:
            self.author.append(precision(ranking, judged.author[seed]))


def quality_table(
    rankings: Mapping[str, Mapping[str, Ranking] | None],
    seeds: Sequence[Paper],
    judged: Judgements,
    papers: int,
    eligible: int,
) -> Table:
    """The precision@10 table."""
    with_author = sum(1 for s in seeds if judged.author[s.id])
    table = Table(
        title=f"Papers like a seed: {len(seeds)} seeds (of {eligible} eligible) among "
        f"{papers:,} real papers",
        caption="relevant: shares an HF AI keyword or an author with the seed",
    )
    table.add_column("ranker")
    table.add_column("precision@10 (keyword or author)", justify="right")
    table.add_column(f"precision@10 (author only, {with_author} seeds)", justify="right")
    for name, by_seed in rankings.items():
        if by_seed is None:
            table.add_row(name, "not installed", "not installed")
            continue
        q = Quality()
        for s in seeds:
            q.add(by_seed[s.id], s.id, judged)
        table.add_row(name, f"{statistics.fmean(q.any):.3f}", f"{_mean(q.author):.3f}")
    return table


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def threshold_table(
    scores: Mapping[str, Mapping[str, list[tuple[str, float]]]],
    thresholds: Mapping[str, float],
    judged: Judgements,
    papers: int,
) -> Table:
    """Pairs passing each engine's threshold, and how good they are."""
    table = Table(title="Thresholds: (seed, other paper) pairs that pass, over the same seeds")
    for col in (
        "engine",
        "threshold",
        "pairs passing",
        f"matches per seed per {DAY_PAPERS}-paper day",
        "precision of passing pairs",
    ):
        table.add_column(col, justify="right")
    for name, by_seed in scores.items():
        base = thresholds[name]
        pairs = len(by_seed) * (papers - 1)
        for scale in SCALES:
            limit = base * scale
            passing = good = 0
            for seed, ranked in by_seed.items():
                for pid, score in ranked:
                    if score >= limit:
                        passing += 1
                        good += pid in judged.any[seed]
            share = passing / pairs if pairs else 0.0
            table.add_row(
                name,
                f"{limit:.3f}" + (" (THRESHOLD)" if scale == 1.0 else f" ({scale}×)"),
                f"{passing:,} ({share:.2%})",
                f"{share * DAY_PAPERS:.2f}",
                f"{good / passing:.3f}" if passing else "-",
            )
    return table


# --- speed ---------------------------------------------------------------------------------


def make_alerts(
    store: Store, pool: Sequence[Paper], count: int, seed: int
) -> list[tuple[int, tuple[str, ...]]]:
    """`count` similarity alerts of 1-3 seeds from `pool`, ALERTS_PER_CHANNEL a channel."""
    rng = random.Random(seed)
    ids = [p.id for p in pool]
    alerts: list[tuple[int, tuple[str, ...]]] = []
    n = 0
    while len(alerts) < count:
        seeds = tuple(rng.sample(ids, rng.randint(1, 3)))
        channel = n // ALERTS_PER_CHANNEL
        ref = ChannelRef("slack", f"W{channel % 97:03d}", f"C{channel:05d}")
        if n % ALERTS_PER_CHANNEL == 0:
            store.save_channel(ChannelSettings(ref))
        n += 1
        sub = store.add_subscription(ref, like_text(seeds), "U0BENCH", CREATED)
        if sub is not None:
            alerts.append((sub.id, seeds))
    return alerts


def dict_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The dot product of two unit sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def all_pairs(
    engine: Engine,
    store: Store,
    alerts: Sequence[tuple[int, tuple[str, ...]]],
    seed_vectors: Mapping[str, Vector],
    poll: Sequence[Paper],
    cosine: Callable[[Any, Any], float],
) -> int:
    """Matches (alert, paper) found by scoring every seed of every alert against every paper."""
    vectors = list(zip([p.id for p in poll], paper_vectors(engine, store, poll), strict=True))
    found = 0
    for _, seeds in alerts:
        for pid, vector in vectors:
            if pid in seeds:
                continue
            best = max(cosine(seed_vectors[s], vector) for s in seeds)
            found += best >= engine.threshold
    return found


def _np_dot(a: Any, b: Any) -> float:
    return float(a @ b)


@dataclass(frozen=True)
class Speed:
    """One engine's poll timings."""

    engine: str
    alerts: int
    seeds: int
    first: float
    warm: float
    floor: float
    matches: int
    floor_matches: int


def speed(
    name: str, engine: Engine, papers: Sequence[Paper], args: argparse.Namespace, tmp: Path
) -> Speed:
    """Time a poll of the latest papers against the alerts, with the index and every pair."""
    store = Store(tmp / f"speed-{engine.name}.db")
    try:
        store.upsert_papers(papers)
        ordered = sorted(papers, key=lambda p: (p.day, p.id))
        poll, pool = ordered[-args.poll :], ordered[: -args.poll]
        alerts = make_alerts(store, pool, args.alerts, args.seed)
        index = LikeIndex(engine)
        index.update(store.subscriptions())
        start = time.perf_counter()
        matches = len(index.match(store, poll))
        first = time.perf_counter() - start
        warm = measure(lambda: index.match(store, poll), min_runs=3, max_runs=10, budget=1.0)
        distinct = sorted({s for _, seeds in alerts for s in seeds})
        by_id = {p.id: p for p in pool}
        full = dict(
            zip(distinct, paper_vectors(engine, store, [by_id[s] for s in distinct]), strict=True)
        )
        cosine = dict_cosine if isinstance(engine, TfidfEngine) else _np_dot
        start = time.perf_counter()
        floor_matches = all_pairs(engine, store, alerts, full, poll, cosine)
        floor = time.perf_counter() - start
    finally:
        store.close()
    return Speed(
        name, len(alerts), len(distinct), first, warm.median, floor, matches, floor_matches
    )


def speed_table(rows: Sequence[Speed], skipped: Sequence[str], poll: int) -> Table:
    """The poll timings."""
    table = Table(
        title=f"Speed: a poll of {poll} new papers against the similarity alerts",
        caption="first match: builds the seed vectors; LikeIndex.match: median of later ones",
    )
    for col in (
        "engine",
        "alerts",
        "distinct seeds",
        "first match (ms)",
        "LikeIndex.match (ms)",
        "all pairs (ms)",
        "all pairs / index",
        "matches: index",
        "matches: all pairs",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.engine,
            f"{r.alerts:,}",
            f"{r.seeds:,}",
            ms(r.first),
            ms(r.warm),
            ms(r.floor),
            f"{r.floor / r.warm:.0f}×",
            f"{r.matches:,}",
            f"{r.floor_matches:,}",
        )
    for name in skipped:
        table.add_row(name, *["not installed"] + ["-"] * 7)
    return table


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    """Print the quality, threshold and speed tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--seeds", type=int, default=None, help="seed papers judged (300)")
    ap.add_argument("--alerts", type=int, default=None, help="similarity alerts timed (10,000)")
    ap.add_argument("--poll", type=int, default=DAY_PAPERS, help="new papers per poll (50)")
    ap.add_argument(
        "--small", action="store_true", help=f"{SMALL_SEEDS} seeds, {SMALL_ALERTS} alerts"
    )
    args = ap.parse_args()
    if args.seeds is None:
        args.seeds = SMALL_SEEDS if args.small else 300
    if args.alerts is None:
        args.alerts = SMALL_ALERTS if args.small else 10_000
    if args.seeds <= 0 or args.alerts <= 0 or args.poll <= 0:
        raise SystemExit("--seeds, --alerts and --poll must be positive")
    out = console()
    papers = real_papers()
    if not papers:
        out.print(f"no real payloads in {REAL_DIR}: nothing to measure")
        return 0
    if args.poll >= len(papers):
        raise SystemExit(f"--poll must be below the {len(papers)} real papers")
    started = time.perf_counter()
    engines = load_engines(out)
    judged = judgements(papers)
    eligible = eligible_seeds(papers, judged)
    seeds = random.Random(args.seed).sample(eligible, min(args.seeds, len(eligible)))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "similarity.db")
        store.upsert_papers(papers)
        scores = {
            name: engine_scores(engine, store, seeds, papers)
            for name, engine in engines.items()
            if engine is not None
        }
        rankings: dict[str, dict[str, Ranking] | None] = {
            name: None
            if engine is None
            else {s: [p for p, _ in r] for s, r in scores[name].items()}
            for name, engine in engines.items()
        }
        for name, ranker in (
            ("FTS5 OR of the seed's title words", fts_ranker(store)),
            ("word overlap (Jaccard of title+abstract words)", jaccard_ranker(papers)),
            ("random", random_ranker(papers, args.seed)),
        ):
            rankings[name] = {s.id: ranker(s) for s in seeds}
        store.close()
        out.print(quality_table(rankings, seeds, judged, len(papers), len(eligible)))
        thresholds = {n: e.threshold for n, e in engines.items() if e is not None}
        out.print(threshold_table(scores, thresholds, judged, len(papers)))
        timed = [
            speed(name, engine, papers, args, Path(tmp))
            for name, engine in engines.items()
            if engine is not None
        ]
        skipped = [name for name, engine in engines.items() if engine is None]
        out.print(speed_table(timed, skipped, args.poll))
    out.print(f"seed {args.seed}; total {time.perf_counter() - started:.1f} s; {environment()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
