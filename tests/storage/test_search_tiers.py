"""storage.search tiers: the one-pass path for small matches and the tier-by-tier path for
common words find the same papers as the matcher, page consistently, and keep tiers in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.query.match import PaperText, matches
from bot.query.parse import parse
from storage import search as search_module
from storage.ranking import plan
from storage.search import count, search
from storage.store import Store
from tests.storage.test_search import make_paper, store_with
from tests.test_query_agreement import SETTINGS, paper_lists, query_strings

# (BIG_MIN, PROBE_FACTOR, SMALL_TIER, MARK_TITLES): every match small, titles marked by FTS5;
# small, titles gathered; every match "common", tiers joined and sorted; common, probes that
# give up at once (tiers gathered); common, probes that may succeed.
MODES = {
    "small": (10**9, 25, 200, 500),
    "small, gathered": (10**9, 25, 200, 0),
    "common, joined": (1, 25, 10**9, 500),
    "common, gathered": (1, 0, 0, 500),
    "common, probed": (1, 3, 0, 500),
}


@contextmanager
def mode(name: str) -> Iterator[None]:
    """Run searches with the size thresholds of one mode."""
    big_min, factor, small, mark = MODES[name]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_module, "BIG_MIN", big_min)
        patch.setattr(search_module, "BIG_SHARE", 0.0)
        patch.setattr(search_module, "PROBE_FACTOR", factor)
        patch.setattr(search_module, "SMALL_TIER", small)
        patch.setattr(search_module, "MARK_TITLES", mark)
        yield


def tiers_of(store: Store, text: str, common: bool) -> dict[str, int]:
    """Each matching paper's tier, from the plan's title conditions on titles_fts (without
    "some of the words" for a common match)."""
    p = plan(parse(text))
    titles = p.titles[: len(p.titles) - (common and p.partial)]
    found = {h.paper.id for h in search(store.db, parse(text), limit=1000)}
    tier = dict.fromkeys(found, len(titles))
    for i, title in reversed(list(enumerate(titles))):
        rows = store.db.execute(
            "SELECT p.id FROM titles_fts JOIN papers p ON p.pk = titles_fts.rowid "
            "WHERE titles_fts MATCH ?",
            [title],
        ).fetchall()
        for (pid,) in rows:
            if pid in tier:
                tier[pid] = i
    return tier


@pytest.mark.parametrize("name", list(MODES))
@SETTINGS
@given(papers=paper_lists(), text=query_strings, size=st.integers(min_value=1, max_value=3))
def test_every_path_finds_the_matchers_papers_in_tier_order_and_pages_consistently(
    name: str, papers: list[Paper], text: str, size: int
) -> None:
    store = Store()
    store.upsert_papers(papers)
    query = parse(text)
    texts = PaperText.many(papers)
    expected = {p.id for p, t in zip(papers, texts, strict=True) if matches(query, t, p)}
    with mode(name):
        full = [h.paper.id for h in search(store.db, query, limit=100)]
        paged: list[str] = []
        for offset in range(0, len(full), size):
            paged += [h.paper.id for h in search(store.db, query, size, offset)]
        tier = tiers_of(store, text, common=name.startswith("common"))
        assert count(store.db, query) == len(expected)
    assert set(full) == expected and len(full) == len(expected)
    assert paged == full
    if plan(query).covers:
        order = [tier[pid] for pid in full]
        assert order == sorted(order), f"tiers out of order for {text!r}: {order}"


def _tiered_store() -> Store:
    return store_with(
        make_paper("phrase", title="Video generation at scale", upvotes=1),
        make_paper("prefix", title="Generation video", summary="video generation", upvotes=2),
        make_paper("both", title="Video models for generation", upvotes=3),
        make_paper("one", title="Video models", summary="generation", upvotes=400),
        make_paper("none", summary="video generation video generation", upvotes=900),
    )


@pytest.mark.parametrize("name", list(MODES))
def test_title_phrase_then_all_words_then_some_then_none_whatever_the_upvotes(name: str):
    store = _tiered_store()
    with mode(name):
        got = [h.paper.id for h in search(store.db, parse("video generation"))]
    assert got[0] == "phrase"
    assert set(got[1:3]) == {"prefix", "both"}
    # Common words: a title with some of them is no better than none, both go by upvotes.
    assert got[3:] == (["none", "one"] if name.startswith("common") else ["one", "none"])


def test_common_words_read_down_the_upvotes_index_when_their_tier_is_dense():
    store = store_with(
        *(make_paper(f"m{i}", title=f"Model {i}", upvotes=i) for i in range(30)), with_filler=False
    )
    with mode("common, probed"):
        got = [h.paper.id for h in search(store.db, parse("model"), limit=5)]
        scores = {h.score for h in search(store.db, parse("model"), limit=5)}
    assert got == ["m29", "m28", "m27", "m26", "m25"]
    assert scores == {0.0}  # ordered by upvotes, not scored


def test_a_day_filter_uses_the_one_pass_path_and_keeps_tiers():
    store = store_with(
        make_paper("title", title="Diffusion", day=date(2024, 1, 2)),
        make_paper("abstract", summary="diffusion", upvotes=50, day=date(2024, 1, 2)),
        make_paper("old", title="Diffusion", day=date(2024, 1, 1)),
        with_filler=False,
    )
    with mode("common, probed"):
        got = [h.paper.id for h in search(store.db, parse("diffusion"), days=[date(2024, 1, 2)])]
    assert got == ["title", "abstract"]


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=40))
def test_upvote_changes_reach_the_rank_table_and_title_changes_the_title_index(upvotes: int):
    store = Store()
    store.upsert_papers([make_paper("a", title="Old words", upvotes=1)])
    store.upsert_papers([make_paper("a", title="Fresh words", upvotes=upvotes)])
    assert store.db.execute("SELECT upvotes FROM paper_rank").fetchall() == [(upvotes,)]
    assert [h.paper.id for h in search(store.db, parse("title:fresh"))] == ["a"]
    assert search(store.db, parse("title:old")) == []
    titles = "SELECT count(*) FROM titles_fts WHERE titles_fts MATCH ?"
    assert store.db.execute(titles, ["old"]).fetchone() == (0,)
    assert store.db.execute(titles, ["fresh"]).fetchone() == (1,)


@pytest.mark.parametrize("name", ["small", "small, gathered"])
def test_a_word_that_cannot_be_in_a_title_tier_does_not_lift_a_paper(name: str):
    # `cats` is in an OR with an author, so it makes no title tier: a title with only `cats`
    # has none of the title tiers' words, however its words are found.
    store = store_with(
        make_paper("cats", title="Cats only here", summary="alpha beta", upvotes=90),
        make_paper("alpha", title="Alpha stories", summary="beta cats", upvotes=1),
    )
    with mode(name):
        got = [h.paper.id for h in search(store.db, parse("alpha beta (cats OR author:turing)"))]
    assert got == ["alpha", "cats"]
