"""storage.search planning: which MATCH ranks a query, what the score means, paged snippets."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.query.parse import parse
from storage.ranking import BM25_WEIGHTS, UPVOTE_PRIOR, plan, rank_match
from storage.search import count, search
from storage.store import Store
from tests.storage.test_search import make_paper, store_with
from tests.test_query_agreement import paper_lists, query_strings

# --- which MATCH ranks a query ------------------------------------------------------------


def test_pure_and_query_ranks_via_the_and_of_its_words():
    p = plan(parse(" ".join(f"w{i}" for i in range(20))))
    assert p.rank == "(" + " AND ".join(f'"w{i}"' for i in range(20)) + ")"
    assert p.covers
    assert p.where == ""


def test_and_query_ranks_via_its_text_conditions_and_filters_the_rest_in_sql():
    p = plan(parse('diffusion "video generation" -survey upvotes:>=5'))
    assert p.rank == '(("diffusion" AND "video generation") NOT "survey")'
    assert p.covers
    assert p.where == "r.upvotes >= ?"
    assert p.params == (5,)
    assert p.highlight == '("diffusion" OR "video generation")'


def test_text_only_query_is_its_own_rank_match():
    p = plan(parse('rl OR "reinforcement learning"'))
    assert p.rank == '("rl" OR "reinforcement learning")'
    assert (p.covers, p.where, p.params) == (True, "", ())


def test_or_with_a_filter_falls_back_to_the_or_of_positive_words():
    p = plan(parse("(diffusion video) OR upvotes:>=50"))
    assert p.rank == '("diffusion" OR "video")'
    assert not p.covers
    assert "r.upvotes >= ?" in p.where


def test_and_without_a_pure_text_condition_falls_back_too():
    p = plan(parse("(diffusion OR has:code) upvotes:>=5"))
    assert p.rank == '"diffusion"'
    assert not p.covers


@pytest.mark.parametrize("text", ["-survey", "upvotes:>=20 has:code", "-(a OR b)"])
def test_queries_without_positive_words_are_unranked(text):
    p = plan(parse(text))
    assert p.rank is None
    assert p.highlight is None
    assert rank_match(parse(text)) is None


def test_repeated_words_and_double_negations_are_simplified():
    assert rank_match(parse("agents agents")) == '"agents"'
    assert rank_match(parse("--agents planning")) == '("agents" AND "planning")'
    assert plan(parse("--agents planning")).covers


def test_rank_match_is_the_plans_rank():
    for text in ("a b", "a OR b", "a -b", "a OR has:code", "-a", "a (b OR has:code)"):
        assert rank_match(parse(text)) == plan(parse(text)).rank


# --- what the score means -----------------------------------------------------------------


def _or_scores(store: Store, match: str) -> dict[str, float]:
    """Scores as the OR of the positive words would give them (the pre-planning ranking)."""
    weights = ", ".join(map(str, BM25_WEIGHTS))
    sql = (
        f"SELECT p.id, bm25(papers_fts, {weights}) AS s, p.upvotes FROM papers_fts "
        "JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ?"
    )
    rows = store.db.execute(sql, [match]).fetchall()
    return {pid: -(s - UPVOTE_PRIOR * math.log(1 + up)) for pid, s, up in rows}


def test_and_ranking_scores_untitled_hits_exactly_like_the_or_of_their_words():
    store = store_with(
        make_paper("both", summary="Diffusion for video", upvotes=4),
        make_paper("keywords", summary="video video", ai_keywords=("diffusion",), upvotes=1),
        make_paper("abstract", summary="diffusion and video, diffusion", upvotes=9),
        make_paper("one", summary="Diffusion only", upvotes=50),
    )
    expected = _or_scores(store, '"diffusion" OR "video"')
    hits = search(store.db, parse("diffusion video -survey upvotes:>=1"))
    both_words = sorted(["both", "keywords", "abstract"], key=lambda pid: -expected[pid])
    assert [h.paper.id for h in hits] == both_words
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.paper.id], rel=1e-12)


def test_snippets_mark_positive_words_outside_the_rank_match():
    store = store_with(make_paper("a", title="Diffusion for video", github_repo="g"))
    assert rank_match(parse("diffusion (video OR has:code)")) == '"diffusion"'
    (hit,) = search(store.db, parse("diffusion (video OR has:code)"))
    assert hit.snippet is not None
    assert "**Diffusion**" in hit.snippet and "**video**" in hit.snippet


# --- snippets and pages -------------------------------------------------------------------


def _paged_store() -> Store:
    return store_with(
        *(
            make_paper(f"p{i}", title=f"Agents {'planning' if i % 2 else 'memory'}", upvotes=i % 4)
            for i in range(12)
        ),
        make_paper("popular", upvotes=90),
    )


@pytest.mark.parametrize("text", ["agents", "agents -memory", "agents OR upvotes:>=50", "-memory"])
def test_pages_are_slices_of_the_full_ranking(text):
    store = _paged_store()
    query = parse(text)
    full = [(h.paper.id, h.snippet, h.score) for h in search(store.db, query, limit=100)]
    assert len(full) == count(store.db, query)
    paged = []
    for offset in range(0, len(full), 3):
        paged += [(h.paper.id, h.snippet, h.score) for h in search(store.db, query, 3, offset)]
    assert paged == full


def test_snippets_are_computed_only_for_the_returned_page(monkeypatch):
    store = _paged_store()
    calls: list[tuple[str, Any]] = []
    execute = store.db.execute

    def spy(sql: str, *args: Any) -> Any:
        calls.append((sql, args[0] if args else None))
        return execute(sql, *args)

    monkeypatch.setattr(store.db, "execute", spy)
    hits = search(store.db, parse("agents"), limit=2, offset=5)
    assert len(hits) == 2 and all(h.snippet for h in hits)
    snippet_calls = [params for sql, params in calls if "snippet(" in sql]
    assert len(snippet_calls) == 1
    match, *pks = snippet_calls[0]
    assert match == '"agents"'
    pk_of = dict(execute("SELECT id, pk FROM papers").fetchall())
    assert pks == [pk_of[h.paper.id] for h in hits]


def test_filter_only_page_runs_no_snippet_query(monkeypatch):
    store = _paged_store()
    calls: list[str] = []
    execute = store.db.execute

    def spy(sql: str, *args: Any) -> Any:
        calls.append(sql)
        return execute(sql, *args)

    monkeypatch.setattr(store.db, "execute", spy)
    (hit,) = search(store.db, parse("upvotes:>=50"))
    assert hit.paper.id == "popular" and hit.snippet is None
    assert not any("snippet(" in sql for sql in calls)


def test_empty_page_and_zero_limit():
    store = _paged_store()
    assert search(store.db, parse("agents"), limit=5, offset=100) == []
    assert search(store.db, parse("agents"), limit=0) == []
    assert search(store.db, parse("nothingmatches")) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper_lists(), query_strings, st.integers(min_value=1, max_value=3))
def test_generated_queries_page_consistently(papers: list[Paper], text: str, size: int):
    store = Store()
    store.upsert_papers(papers)
    query = parse(text)
    full = [(h.paper.id, h.snippet, h.score) for h in search(store.db, query, limit=100)]
    paged = []
    for offset in range(0, len(full), size):
        paged += [(h.paper.id, h.snippet, h.score) for h in search(store.db, query, size, offset)]
    assert paged == full
    # Text hits (the ones with a snippet) come first; those scored (not in a title tier,
    # which goes by upvotes) best score first.
    text_hits = [score for _, snippet, score in full if snippet is not None]
    assert [snippet is not None for _, snippet, _ in full] == [True] * len(text_hits) + [False] * (
        len(full) - len(text_hits)
    )
    scored = [score for score in text_hits if score != 0.0]
    assert scored == sorted(scored, reverse=True)
