"""storage.search: SQL/FTS5 compilation, ranking, snippets and safety against hostile queries."""

from __future__ import annotations

import sqlite3
from datetime import date
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.query.parse import QueryError, parse
from storage.ranking import compile_where, rank_match
from storage.search import count, search
from storage.store import Store


def make_paper(pid: str, **overrides) -> Paper:
    fields = {
        "id": pid,
        "title": f"Filler paper {pid}",
        "summary": "Nothing to see here.",
        "authors": ("Some One",),
        "upvotes": 0,
        "comments": 0,
        "day": date(2024, 1, 1),
    }
    fields.update(overrides)
    return Paper(**fields)  # type: ignore[arg-type]


def filler(n: int = 20) -> list[Paper]:
    return [make_paper(f"f{i:02d}") for i in range(n)]


def store_with(*papers: Paper, with_filler: bool = True) -> Store:
    store = Store()
    store.upsert_papers([*papers, *(filler() if with_filler else [])])
    return store


def ids(store: Store, text: str, **kwargs) -> list[str]:
    return [h.paper.id for h in search(store.db, parse(text), **kwargs)]


# --- ranking ------------------------------------------------------------------------------


def test_title_match_ranks_above_abstract_only_match():
    store = store_with(
        make_paper("abstract", summary="We apply diffusion to proteins."),
        make_paper("title", title="Diffusion for proteins"),
    )
    assert ids(store, "diffusion") == ["title", "abstract"]


def test_title_match_beats_abstract_match_with_somewhat_more_upvotes():
    store = store_with(
        make_paper("abstract", summary="We apply diffusion to proteins.", upvotes=10),
        make_paper("title", title="Diffusion for proteins", upvotes=1),
    )
    assert ids(store, "diffusion") == ["title", "abstract"]


def test_upvote_prior_breaks_ties_between_equally_relevant_papers():
    store = store_with(
        make_paper("a", title="Diffusion for proteins", upvotes=3),
        make_paper("b", title="Diffusion for proteins", upvotes=40),
    )
    assert ids(store, "diffusion") == ["b", "a"]


def test_exact_ties_are_broken_by_id():
    store = store_with(
        make_paper("b", title="Diffusion for proteins"),
        make_paper("a", title="Diffusion for proteins"),
    )
    assert ids(store, "diffusion") == ["a", "b"]


def test_title_hits_go_by_upvotes_and_the_rest_by_a_higher_is_better_score():
    store = store_with(
        make_paper("a", title="Diffusion", upvotes=5),
        make_paper("a2", title="Diffusion models", upvotes=9),
        make_paper("b", summary="diffusion here"),
        make_paper("c", authors=("Diffusion Smith",)),
    )
    hits = search(store.db, parse("diffusion"))
    assert [h.paper.id for h in hits[:2]] == ["a2", "a"]
    assert [h.score for h in hits[:2]] == [0.0, 0.0]
    rest = [h.score for h in hits[2:]]
    assert len(rest) == 2 and all(s != 0.0 for s in rest)
    assert rest == sorted(rest, reverse=True)


def test_hits_matching_only_a_filter_rank_after_text_hits():
    store = store_with(
        make_paper("popular", upvotes=99),
        make_paper("text", title="Diffusion", upvotes=1),
    )
    assert ids(store, "diffusion OR upvotes:>=50") == ["text", "popular"]


def test_filter_only_query_ranks_by_upvotes_then_newest_day():
    store = store_with(
        make_paper("old", upvotes=10, day=date(2024, 1, 1)),
        make_paper("new", upvotes=10, day=date(2024, 2, 1)),
        make_paper("top", upvotes=30, day=date(2023, 1, 1)),
    )
    assert ids(store, "upvotes:>=10") == ["top", "new", "old"]


def test_negation_only_query_returns_every_paper_without_the_word():
    store = store_with(
        make_paper("survey", title="A survey of agents", upvotes=50),
        make_paper("agents", title="Agents that plan", upvotes=5),
    )
    found = ids(store, "-survey", limit=1000)
    assert "survey" not in found
    assert found[0] == "agents"
    assert len(found) == 21


def test_excluded_words_are_taken_out_by_fts5_s_own_not_and_do_not_change_scores():
    assert rank_match(parse("diffusion -survey")) == '("diffusion" NOT "survey")'
    store = store_with(
        make_paper("a", title="Diffusion survey"),
        make_paper("b", title="Diffusion models", upvotes=3),
        make_paper("c", summary="diffusion, diffusion", upvotes=1),
    )
    plain = {h.paper.id: h.score for h in search(store.db, parse("diffusion"))}
    excluded = [(h.paper.id, h.score) for h in search(store.db, parse("diffusion -survey"))]
    assert excluded == [(pid, plain[pid]) for pid in ("b", "c")]


# --- snippets -----------------------------------------------------------------------------


def test_snippet_highlights_the_match():
    store = store_with(make_paper("a", summary="We apply diffusion to proteins."))
    (hit,) = search(store.db, parse("diffusion"))
    assert hit.snippet is not None
    assert "**diffusion**" in hit.snippet


def test_snippet_is_none_without_a_text_match():
    store = store_with(make_paper("a", upvotes=70))
    (hit,) = search(store.db, parse("upvotes:>=70"))
    assert hit.snippet is None
    assert hit.score == 0.0


def test_search_returns_full_papers():
    paper = make_paper("2401.1", title="Diffusion", authors=("A", "B"), ai_keywords=("k",))
    store = store_with(paper)
    (hit,) = search(store.db, parse("diffusion"))
    assert hit.paper == paper


# --- filtering ----------------------------------------------------------------------------


def test_words_are_stemmed_like_the_matcher():
    store = store_with(make_paper("a", title="Running models"))
    assert ids(store, "runs modeling") == ["a"]


def test_words_match_without_diacritics():
    store = store_with(make_paper("a", title="Café models"))
    assert ids(store, "CAFE") == ["a"]


def test_phrase_requires_adjacent_words():
    store = store_with(
        make_paper("adjacent", title="video generation"),
        make_paper("apart", title="video and generation"),
    )
    assert ids(store, '"video generation"') == ["adjacent"]


def test_title_field_excludes_abstract_only_matches():
    store = store_with(
        make_paper("title", title="Agents"), make_paper("abstract", summary="agents")
    )
    assert ids(store, "title:agents") == ["title"]


def test_abstract_field_excludes_title_only_matches():
    store = store_with(
        make_paper("title", title="Agents"), make_paper("abstract", summary="agents")
    )
    assert ids(store, "abstract:agents") == ["abstract"]


def test_author_field_matches_author_phrase():
    store = store_with(
        make_paper("he", authors=("Kaiming He",)), make_paper("other", title="Kaiming He")
    )
    assert ids(store, 'author:"kaiming he"') == ["he"]


def test_unfielded_words_match_ai_keywords():
    store = store_with(make_paper("kw", ai_keywords=("reinforcement learning",)))
    assert ids(store, "reinforcement") == ["kw"]


def test_field_group_applies_the_field_to_each_word():
    store = store_with(
        make_paper("a", title="Agents"),
        make_paper("b", title="Bandits"),
        make_paper("c", summary="agents bandits"),
    )
    assert sorted(ids(store, "title:(agents OR bandits)")) == ["a", "b"]


def test_has_code_requires_a_non_empty_repo():
    store = store_with(
        make_paper("repo", github_repo="https://github.com/x/y"),
        make_paper("empty", github_repo=""),
    )
    assert ids(store, "has:code") == ["repo"]


def test_negated_has_code_includes_missing_and_empty_repos():
    store = store_with(
        make_paper("repo", github_repo="https://github.com/x/y"),
        make_paper("empty", github_repo=""),
        with_filler=False,
    )
    assert ids(store, "-has:code") == ["empty"]


@pytest.mark.parametrize(
    ("op", "expected"),
    [(">=", ["b", "c"]), (">", ["c"]), ("<=", ["b", "a"]), ("<", ["a"]), ("=", ["b"])],
)
def test_upvote_operators(op, expected):
    store = store_with(
        make_paper("a", upvotes=1),
        make_paper("b", upvotes=10),
        make_paper("c", upvotes=20),
        with_filler=False,
    )
    assert sorted(ids(store, f"upvotes:{op}10")) == sorted(expected)


def test_or_across_text_and_filters():
    store = store_with(make_paper("text", title="Agents"), make_paper("code", github_repo="g"))
    assert sorted(ids(store, "agents OR has:code")) == ["code", "text"]


def test_negated_group():
    store = store_with(
        make_paper("a", title="agents survey"),
        make_paper("b", title="agents benchmark"),
        make_paper("c", title="agents"),
    )
    assert sorted(ids(store, "agents -(survey OR benchmark)")) == ["c"]


def test_limit_and_offset_page_through_results():
    store = store_with(*(make_paper(f"p{i}", title="Agents", upvotes=i) for i in range(5)))
    assert ids(store, "agents", limit=2) == ["p4", "p3"]
    assert ids(store, "agents", limit=2, offset=2) == ["p2", "p1"]


def test_count_counts_all_matches():
    store = store_with(*(make_paper(f"p{i}", title="Agents") for i in range(5)))
    assert count(store.db, parse("agents")) == 5


def test_count_of_negation_only_query():
    store = store_with(make_paper("s", title="survey"))
    assert count(store.db, parse("-survey")) == 20


def test_user_values_are_bound_parameters():
    where, params = compile_where(parse("title:x upvotes:>=7"))
    assert "x" not in where and "7" not in where
    assert params == ['title : "x"', 7]


def test_text_only_siblings_share_one_match():
    where, params = compile_where(parse("a b -c upvotes:5"))
    assert params == ['("a" AND "b")', '"c"', 5]
    assert where.count("MATCH ?") == 2


# --- hostile input ------------------------------------------------------------------------

HOSTILE_QUERIES = [
    'title:" OR 1=1 --',
    '"a" NEAR(b)',
    "*",
    "^title",
    "a'; DROP TABLE papers; --",
    "title:x) OR (1=1",
    "{title}:x",
    'abc"" OR ""',
    "NEAR(a b, 2)",
    "a* b*",
    "col:val",
    'title:"a" + "b"',
    "x AND",
    '" OR rowid > 0 OR "',
    "papers_fts:x",
    "rank:x",
    "-",
    "title:(a NOT)",
]


@pytest.mark.parametrize("text", HOSTILE_QUERIES)
def test_hostile_query_is_text_or_query_error_never_sqlite_error(text):
    store = store_with(make_paper("a", title="title near a b"))
    try:
        query = parse(text)
    except QueryError:
        return
    search(store.db, query)
    count(store.db, query)
    assert store.count_papers() == 21


def test_near_is_searched_as_a_word():
    store = store_with(make_paper("near", title="near b"), make_paper("a", title="a b"))
    assert ids(store, '"a" NEAR(b)') == []
    assert ids(store, "NEAR(b)") == ["near"]


def test_caret_and_star_are_not_fts_operators():
    store = store_with(make_paper("a", title="A title"))
    assert ids(store, "^title") == ["a"]
    with pytest.raises(QueryError):
        parse("*")


@lru_cache(maxsize=1)
def _fuzz_store() -> Store:
    return store_with(
        make_paper("a", title="Running models: café NEAR title", github_repo="g", upvotes=3),
        make_paper("b", summary='"quoted" OR AND NOT rank', authors=("He Kaiming",)),
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_search_never_raises_sqlite_errors_on_arbitrary_text(text):
    try:
        query = parse(text)
    except QueryError:
        return
    try:
        search(_fuzz_store().db, query, limit=5)
    except sqlite3.Error as exc:  # pragma: no cover - the assertion explains
        pytest.fail(f"sqlite3 error for {text!r}: {exc}")


# --- a day filter (alert dry runs) -----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["diffusion", "diffusion -video", "diffusion OR has:code", "upvotes:>=0", "-video"]
)
def test_days_keeps_only_papers_first_listed_on_those_days(text):
    store = store_with(
        make_paper("old", title="Diffusion video", day=date(2024, 1, 1)),
        make_paper("new", title="Diffusion models", day=date(2024, 1, 3)),
        make_paper("mid", title="Diffusion audio", day=date(2024, 1, 2)),
        with_filler=False,
    )
    days = [date(2024, 1, 2), date(2024, 1, 3)]
    everywhere = set(ids(store, text))
    wanted = {p for p in everywhere if p != "old"}
    assert set(ids(store, text, days=days)) == wanted
    assert count(store.db, parse(text), days=days) == len(wanted)
    assert ids(store, text, days=[]) == [] and count(store.db, parse(text), days=[]) == 0
