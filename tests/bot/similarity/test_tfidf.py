"""The TF-IDF engine on a real Store: stored features, weights from the archive, scores."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.similarity.engine import paper_vectors
from bot.similarity.matcher import rank_like
from bot.similarity.tfidf import NAME, SEED_TERMS, TfidfEngine
from storage.store import Store
from tests.data import similar_papers as sp
from tests.helpers import make_paper

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    store = Store(":memory:")
    store.upsert_papers([*sp.archive(), *sp.new_day()], NOW)
    return store


def test_the_paper_like_the_seed_scores_above_the_threshold_and_the_other_does_not(
    store: Store,
) -> None:
    engine = TfidfEngine()
    ranked = rank_like(engine, store, [sp.seed_paper()], sp.new_day())
    assert [(p.id, seed) for p, seed, _ in ranked] == [(sp.LIKE, sp.SEED)]
    assert ranked[0][2] >= engine.threshold


def test_a_paper_is_wholly_like_itself_and_vectors_are_unit_length(store: Store) -> None:
    engine = TfidfEngine()
    [vector] = paper_vectors(engine, store, [sp.seed_paper()])
    assert math.isclose(sum(w * w for w in vector.values()), 1.0)
    scores = engine.index({sp.SEED: vector}).scores(vector, 0.0)
    assert math.isclose(scores[sp.SEED], 1.0)


def test_features_are_stored_once_and_again_when_the_texts_change(store: Store) -> None:
    engine = TfidfEngine()
    paper_vectors(engine, store, [sp.seed_paper()])
    stored = store.stored_vectors(NAME, [sp.SEED, sp.LIKE])
    assert list(stored) == [sp.SEED]
    digest, features = stored[sp.SEED]
    assert json.loads(features)["mamba"] == 1 + 2  # the abstract once, the keywords twice (×2)
    paper_vectors(engine, store, [sp.seed_paper()])
    assert store.stored_vectors(NAME, [sp.SEED]) == stored  # read back, not computed again
    # HF adds AI keywords later: the features follow.
    later = replace(sp.seed_paper(), ai_keywords=(*sp.seed_paper().ai_keywords, "linear time"))
    paper_vectors(engine, store, [later])
    new_digest, new_features = store.stored_vectors(NAME, [sp.SEED])[sp.SEED]
    assert new_digest != digest and json.loads(new_features)["linear"] >= 2


def test_a_word_every_paper_has_weighs_nothing(store: Store) -> None:
    shared = [
        make_paper(f"2612.{i:05d}", sp.NEW_DAY, title=f"Model {w}")
        for i, w in enumerate(("alpha", "beta", "gamma"))
    ]
    store.upsert_papers(shared, NOW)
    counts = store.term_counts(["model", "alpha", "nothere"])
    assert counts["alpha"] == 1 and counts["model"] >= 3 and "nothere" not in counts
    [vector] = TfidfEngine().vectors(store, TfidfEngine().encode([shared[0]]))
    assert vector["alpha"] > vector.get("model", 0.0)


def test_a_seed_keeps_only_its_heaviest_terms_in_the_index(store: Store) -> None:
    engine = TfidfEngine()
    words = " ".join(f"w{i}x" for i in range(SEED_TERMS * 2))
    long = make_paper("2612.09999", sp.NEW_DAY, title="Long", summary=words)
    store.upsert_papers([long], NOW)
    [vector] = paper_vectors(engine, store, [long])
    index = engine.index({long.id: vector})
    assert sum(len(p) for p in index.postings.values()) == SEED_TERMS
