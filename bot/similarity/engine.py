"""What a similarity engine is, and the paper vectors every engine reads through storage.

An engine turns a paper into stored features once (`encode`: the same paper, the same bytes,
whatever else is stored; encoded again when its texts change), weighs them into unit vectors
at match time (`vectors`: TF-IDF reads the archive's document counts then), and indexes seed
vectors so a new paper is scored against thousands of seeds at once (`index`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.domain import Paper
from bot.ports import Repository

Vector = Any  # an engine's own unit vector: a sparse dict (TF-IDF), a float array (semantic)


class SeedIndex(Protocol):
    """Seed vectors indexed for scoring many seeds against one paper."""

    def scores(self, vector: Vector, floor: float) -> dict[str, float]:
        """The cosine similarity of the vector with each seed scoring at least `floor`."""
        ...


class Engine(Protocol):
    """A way to score how alike two papers are, from 0 (nothing shared) to 1."""

    name: str  # the stored vectors' engine, e.g. "tfidf-1"
    threshold: float  # the score an alert needs by default

    def encode(self, papers: Sequence[Paper]) -> list[bytes]:
        """Each paper's features, to store: they depend on the paper alone."""
        ...

    def vectors(self, repo: Repository, features: Sequence[bytes]) -> list[Vector]:
        """Unit vectors from stored features (weighted by the archive as it is now)."""
        ...

    def index(self, seeds: Mapping[str, Vector]) -> SeedIndex:
        """An index of seed vectors by paper id."""
        ...


def text_digest(paper: Paper) -> str:
    """A digest of the texts engines read (title, abstract, AI keywords)."""
    texts = "\x1f".join((paper.title, paper.summary, *paper.ai_keywords))
    return hashlib.sha256(texts.encode()).hexdigest()[:16]


def paper_vectors(engine: Engine, repo: Repository, papers: Sequence[Paper]) -> list[Vector]:
    """The papers' unit vectors, encoding (and storing) only those not stored before or
    stored from other texts."""
    if not papers:
        return []
    digests = {p.id: text_digest(p) for p in papers}
    stored = {
        pid: features
        for pid, (digest, features) in repo.stored_vectors(engine.name, list(digests)).items()
        if digest == digests[pid]
    }
    missing = {p.id: p for p in papers if p.id not in stored}
    if missing:
        fresh = dict(zip(missing, engine.encode(list(missing.values())), strict=True))
        repo.save_vectors(engine.name, {pid: (digests[pid], f) for pid, f in fresh.items()})
        stored = {**stored, **fresh}
    return engine.vectors(repo, [stored[p.id] for p in papers])
