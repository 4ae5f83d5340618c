"""Score new papers against every channel's "papers like these" alerts.

`LikeIndex` holds the similarity alerts (the subscriptions whose text is `like <ids>`) and
their seed papers' vectors, and gives each new paper the alerts whose best seed scores at
least the engine's threshold. Seed vectors are weighed by the archive as it was when they
were built, and built again once the archive has grown by REWEIGH_GROWTH.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Paper, Subscription
from bot.ports import Repository
from bot.similarity.engine import Engine, SeedIndex, Vector, paper_vectors
from bot.similarity.seeds import is_like, parse_like

log = logging.getLogger(__name__)

REWEIGH_GROWTH = 0.05


@dataclass(frozen=True)
class LikeMatch:
    """A paper close enough to one of a similarity alert's seeds."""

    subscription: Subscription
    paper: Paper
    seed: str
    score: float

    @property
    def why(self) -> str:
        """What the alert says of it: "similar to 2401.12345, score 0.42"."""
        return why_text(self.seed, self.score)


def why_text(seed: str, score: float) -> str:
    """ "similar to 2401.12345, score 0.42"."""
    return f"similar to {seed}, score {score:.2f}"


def seeds_of(sub: Subscription) -> tuple[str, ...] | None:
    """A similarity alert's seeds, or None for a keyword alert (or an unreadable one)."""
    return parse_like(sub.query) if is_like(sub.query) else None


def best_per_subscription(
    subs: Iterable[tuple[Subscription, tuple[str, ...]]], scores: Mapping[str, float]
) -> list[tuple[Subscription, str, float]]:
    """Each subscription with a seed in `scores`, and its best seed and score."""
    out = []
    for sub, seeds in subs:
        scored = [(scores[s], s) for s in seeds if s in scores]
        if scored:
            score, seed = max(scored)
            out.append((sub, seed, score))
    return out


class SeedVectors:
    """Seed papers' vectors and their index, rebuilt when the seeds or the archive change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._vectors: dict[str, Vector] = {}
        self._index: SeedIndex | None = None
        self._papers_at_build = 0

    def index(self, repo: Repository, seeds: set[str]) -> SeedIndex:
        """The index of these seeds' vectors (those paperboy has stored)."""
        papers = repo.count_papers()
        grown = papers > self._papers_at_build * (1 + REWEIGH_GROWTH)
        if grown:
            self._vectors, self._index = {}, None
            self._papers_at_build = papers
        missing = [s for s in seeds if s not in self._vectors]
        if missing:
            stored = [p for s in missing if (p := repo.get_paper(s)) is not None]
            if stored:  # a seed paperboy has not stored (yet) changes nothing
                vectors = paper_vectors(self.engine, repo, stored)
                self._vectors.update(zip([p.id for p in stored], vectors, strict=True))
                self._index = None
        if self._index is None or set(self._vectors) - seeds:
            self._vectors = {s: v for s, v in self._vectors.items() if s in seeds}
            self._index = self.engine.index(self._vectors)
        return self._index


class LikeIndex:
    """Every channel's similarity alerts, and their seeds' vectors. Not thread-safe."""

    def __init__(self, engine: Engine, threshold: float | None = None) -> None:
        self.engine = engine
        self.threshold = engine.threshold if threshold is None else threshold
        self._subs: dict[int, tuple[Subscription, tuple[str, ...]]] = {}
        self._seeds = SeedVectors(engine)

    def __len__(self) -> int:
        """How many similarity alerts are held."""
        return len(self._subs)

    def update(self, added: Iterable[Subscription] = (), removed: Iterable[int] = ()) -> None:
        """Forget the `removed` ids, then hold the similarity alerts among `added`."""
        for sub_id in removed:
            self._subs.pop(sub_id, None)
        for sub in added:
            seeds = seeds_of(sub)
            if seeds is None:
                self._subs.pop(sub.id, None)
            else:
                self._subs[sub.id] = (sub, seeds)

    def match(
        self,
        repo: Repository,
        papers: Sequence[Paper],
        first_seen: Mapping[str, datetime] | None = None,
    ) -> list[LikeMatch]:
        """The similarity alerts each paper matches (a subscription made after the paper was
        first stored, as `first_seen` says, sees it as old); a seed never matches itself."""
        if not self._subs or not papers:
            return []
        by_seed: defaultdict[str, list[tuple[Subscription, tuple[str, ...]]]] = defaultdict(list)
        for sub, seeds in self._subs.values():
            for seed in seeds:
                by_seed[seed].append((sub, seeds))
        index = self._seeds.index(repo, set(by_seed))
        seen_at = first_seen or {}
        found: list[LikeMatch] = []
        for paper, vector in zip(papers, paper_vectors(self.engine, repo, papers), strict=True):
            scores = index.scores(vector, self.threshold)
            scores.pop(paper.id, None)
            if not scores:
                continue
            seen = seen_at.get(paper.id)
            candidates = {
                sub.id: (sub, seeds)
                for seed in scores
                for sub, seeds in by_seed[seed]
                if paper.id not in seeds and (seen is None or sub.created_at <= seen)
            }
            for sub, seed, score in best_per_subscription(
                sorted(candidates.values(), key=lambda c: c[0].id), scores
            ):
                found.append(LikeMatch(sub, paper, seed, score))
        return found


def rank_like(
    engine: Engine,
    repo: Repository,
    seeds: Sequence[Paper],
    papers: Sequence[Paper],
    threshold: float | None = None,
) -> list[tuple[Paper, str, float]]:
    """The papers (not seeds) scoring at least the threshold against the seeds, best first,
    each with its best seed and score (a dry run, the subscribe preview, the benchmark)."""
    floor = engine.threshold if threshold is None else threshold
    vectors = paper_vectors(engine, repo, seeds)
    index = engine.index(dict(zip([s.id for s in seeds], vectors, strict=True)))
    ids = {s.id for s in seeds}
    ranked = []
    for paper, vector in zip(papers, paper_vectors(engine, repo, papers), strict=True):
        if paper.id in ids:
            continue
        scores = index.scores(vector, floor)
        if scores:
            score, seed = max((v, k) for k, v in scores.items())
            ranked.append((paper, seed, score))
    ranked.sort(key=lambda r: (-r[2], -r[0].upvotes, r[0].id))
    return ranked
