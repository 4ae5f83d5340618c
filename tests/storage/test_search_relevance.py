"""Search on real Daily Papers: a paper's name finds it first, and a title word's top three
have it in the title (the full relevance table is `bench/relevance.py`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.domain import Paper
from bot.feed.parse import parse_entries
from bot.query.parse import parse
from bot.query.text import tokenize
from storage.search import search
from storage.store import Store

# Real payloads live beside the repository (`../shared/hf_real`), not in it; absent on a
# contributor's clone, where these tests are skipped.
REAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "hf_real"


@pytest.fixture(scope="module")
def real() -> tuple[Store, list[Paper]]:
    """Every real paper, stored once for the module."""
    files = sorted(REAL_DIR.glob("daily_papers_*.json"))
    if not files:
        pytest.skip(f"no real payloads in {REAL_DIR}")
    papers: dict[str, Paper] = {}
    for path in files:
        day = date.fromisoformat(path.name.removeprefix("daily_papers_")[:10])
        for paper in parse_entries(json.loads(path.read_text(encoding="utf-8")), day):
            papers.setdefault(paper.id, paper)
    store = Store()
    store.upsert_papers(papers.values())
    return store, list(papers.values())


def test_the_name_before_a_title_s_colon_finds_that_paper_first(real):
    store, papers = real
    names: dict[tuple[str, ...], list[Paper]] = {}
    for p in papers:
        head, colon, _ = p.title.partition(":")
        if colon and 1 <= len(head.split()) <= 4 and tokenize(head):
            names.setdefault(tuple(tokenize(head)), []).append(p)
    unique = [ps[0] for ps in names.values() if len(ps) == 1]
    assert len(unique) > 100
    missed = [
        p.title
        for p in unique
        if search(store.db, parse(p.title.partition(":")[0]), limit=1)[0].paper.id != p.id
    ]
    assert missed == []


def test_a_title_word_s_top_three_have_it_in_their_title(real):
    store, papers = real
    titled: dict[str, set[str]] = {}
    spelled: dict[str, str] = {}  # a token and a word of a title that is just that token
    for p in papers:
        for word in p.title.split():
            tokens = tokenize(word)
            if len(tokens) == 1 and word.isalpha():
                titled.setdefault(tokens[0], set()).add(p.id)
                spelled.setdefault(tokens[0], word)
    words = sorted(t for t, ids in titled.items() if 3 <= len(ids) <= 40)
    assert len(words) > 100
    for token in words:
        top = search(store.db, parse(spelled[token]), limit=3)
        assert all(token in tokenize(h.paper.title) for h in top), spelled[token]
