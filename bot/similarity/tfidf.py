"""The default engine: TF-IDF vectors of title, abstract and AI keywords, from the archive.

Words are FTS5's own tokens (`bot.query.text`: case-folded, porter-stemmed), so "diffusion
models" and "Diffusion Model" are one feature. A term's weight is (1 + ln tf) × ln((N + 1) /
(df + 1)), where df is how many stored papers have it (read from the search index's own
vocabulary) and N how many are stored: words every paper uses weigh nothing. Title and keyword
words count twice. Each seed keeps its heaviest SEED_TERMS terms (renormalized), which keeps
the inverted index small enough to score a poll against 10,000 alerts in a fraction of a second.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from bot.domain import Paper
from bot.ports import Repository
from bot.query.text import tokenize_columns

NAME = "tfidf-1"
# Calibrated on the real Daily Papers days (bench/similarity.py): about 1 paper in 200 of a
# day passes it for a seed, and the ones that do mostly share its topic.
THRESHOLD = 0.13
SEED_TERMS = 64
TITLE_WEIGHT = 2
KEYWORD_WEIGHT = 2

SparseVector = dict[str, float]


def _unit(weights: Mapping[str, float]) -> SparseVector:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items() if w > 0} if norm > 0 else {}


class TfidfSeeds:
    """An inverted index from each term to the seeds that weigh it."""

    def __init__(self, seeds: Mapping[str, SparseVector]) -> None:
        self.postings: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
        for seed, vector in seeds.items():
            top = sorted(vector.items(), key=lambda kv: -kv[1])[:SEED_TERMS]
            for term, weight in _unit(dict(top)).items():
                self.postings[term].append((seed, weight))

    def scores(self, vector: SparseVector, floor: float) -> dict[str, float]:
        """Cosine of the vector with each seed (its kept terms) scoring at least `floor`."""
        total: defaultdict[str, float] = defaultdict(float)
        postings = self.postings
        for term, weight in vector.items():
            for seed, seed_weight in postings.get(term, ()):
                total[seed] += weight * seed_weight
        return {seed: score for seed, score in total.items() if score >= floor}


class TfidfEngine:
    """TF-IDF over the archive; needs nothing but SQLite."""

    name = NAME
    threshold = THRESHOLD

    def encode(self, papers: Sequence[Paper]) -> list[bytes]:
        """Each paper's weighted term counts, as JSON."""
        docs = [[p.title, p.summary, " ; ".join(p.ai_keywords)] for p in papers]
        out = []
        for title, summary, keywords in tokenize_columns(docs):
            counts: Counter[str] = Counter(summary)
            for term in title:
                counts[term] += TITLE_WEIGHT
            for term in keywords:
                counts[term] += KEYWORD_WEIGHT
            out.append(json.dumps(dict(sorted(counts.items())), separators=(",", ":")).encode())
        return out

    def vectors(self, repo: Repository, features: Sequence[bytes]) -> list[SparseVector]:
        """Unit TF-IDF vectors, weighted by the archive's document counts now."""
        counts = [json.loads(f) for f in features]
        terms = set().union(*counts) if counts else set()
        df = repo.term_counts(terms)
        n = max(repo.count_papers(), 1)
        idf = {t: math.log((n + 1) / (df.get(t, 0) + 1)) for t in terms}
        return [
            _unit({t: (1 + math.log(tf)) * idf[t] for t, tf in c.items() if tf > 0}) for c in counts
        ]

    def index(self, seeds: Mapping[str, SparseVector]) -> TfidfSeeds:
        """The seeds' inverted index."""
        return TfidfSeeds(seeds)
