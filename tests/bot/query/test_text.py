"""bot.query.text tokenizes exactly like the papers_fts index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from bot.domain import Paper
from bot.query.text import tokenize, tokenize_columns, tokenize_tuple
from storage.store import Store


def test_tokenize_lowercases_and_stems_with_porter():
    assert tokenize("Running Models") == ["run", "model"]


def test_tokenize_removes_diacritics():
    assert tokenize("Café naïve") == ["cafe", "naiv"]


def test_tokenize_splits_on_punctuation_and_hyphens():
    assert tokenize("GPT-4, o1!") == ["gpt", "4", "o1"]


def test_tokenize_of_punctuation_only_is_empty():
    assert tokenize('!!! -- "') == []


def test_tokenize_of_empty_string_is_empty():
    assert tokenize("") == []


def test_tokenize_keeps_repeated_tokens_in_order():
    assert tokenize("run ran run") == ["run", "ran", "run"]


def test_tokenize_handles_text_longer_than_the_cache_limit():
    text = " ".join(["models"] * 200)
    assert tokenize(text) == ["model"] * 200


def test_tokenize_tuple_returns_the_same_tokens_as_a_tuple():
    assert tokenize_tuple("Running Models") == ("run", "model")


def test_tokenize_returns_a_fresh_list_each_call():
    first = tokenize("models")
    first.append("mutated")
    assert tokenize("models") == ["model"]


def test_tokenize_matches_the_tokens_papers_fts_indexes():
    text = "Agreed: CAFÉ-style Runners' modelling of GPT-4 (naïvely), 12:30 états"
    store = Store()
    paper = Paper(
        id="1", title=text, summary="", authors=(), upvotes=0, comments=0, day=date(2024, 1, 1)
    )
    store.upsert_papers([paper])
    store.db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, papers_fts, instance)")
    rows = store.db.execute(
        "SELECT term FROM temp.vocab WHERE col = 'title' ORDER BY offset"
    ).fetchall()
    assert tokenize(text) == [r[0] for r in rows]


def test_tokenize_columns_returns_tokens_per_doc_and_column():
    result = tokenize_columns([("Running models", "Café"), ("", "GPT-4")])
    assert result == [(("run", "model"), ("cafe",)), ((), ("gpt", "4"))]


def test_tokenize_columns_of_no_docs_is_empty():
    assert tokenize_columns([]) == []


def test_tokenize_columns_rejects_docs_of_different_widths():
    with pytest.raises(ValueError):
        tokenize_columns([("a", "b"), ("c",)])


def test_tokenize_columns_leaves_no_state_between_calls():
    tokenize_columns([("first call",)])
    assert tokenize_columns([("second",)]) == [(("second",),)]


def test_tokenize_columns_handles_thousands_of_docs():
    docs = [(f"paper {i} about running models", "abstract text") for i in range(3000)]
    result = tokenize_columns(docs)
    assert len(result) == 3000
    assert result[2999] == (("paper", "2999", "about", "run", "model"), ("abstract", "text"))


def test_tokenize_is_thread_safe():
    texts = [f"running model number {i}" for i in range(400)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda t: tokenize_columns([(t, t)]), texts))
    for i, result in enumerate(results):
        expected = ("run", "model", "number", str(i))
        assert result == [(expected, expected)]
