"""storage.fts: the query AST compiled to FTS5 MATCH strings, safely quoted, by column."""

from __future__ import annotations

import pytest

from bot.domain.query import TEXTS, Term
from bot.query.parse import parse
from storage.fts import COLUMN_OF, FTS_COLUMNS, to_fts


def root(text: str):
    return parse(text).root


def term(text: str, *tokens: str) -> Term:
    return Term(text=text, tokens=tokens or (text,))


def test_every_text_of_a_paper_has_its_fts_column():
    assert tuple(COLUMN_OF) == TEXTS and tuple(COLUMN_OF.values()) == FTS_COLUMNS


def test_to_fts_quotes_a_term_with_its_original_text():
    assert to_fts(root("Running")) == '"Running"'


def test_to_fts_keeps_a_phrase_as_one_string():
    assert to_fts(root('"video generation"')) == '"video generation"'


def test_to_fts_maps_fields_to_fts_columns():
    assert to_fts(root("title:a abstract:b author:c")) == (
        '(title : "a" AND summary : "b" AND authors_text : "c")'
    )


def test_to_fts_parenthesizes_and_and_or():
    assert to_fts(root("a (b OR c)")) == '("a" AND ("b" OR "c"))'


def test_to_fts_doubles_embedded_quotes():
    assert to_fts(Term(text='say"hi', tokens=("sai", "hi"))) == '"say""hi"'


def test_to_fts_rejects_negation():
    with pytest.raises(ValueError):
        to_fts(root("-a"))


def test_to_fts_rejects_filters():
    with pytest.raises(ValueError):
        to_fts(root("a upvotes:5"))


def test_to_fts_uses_original_text_because_porter_is_not_idempotent():
    # Re-stemming the stem "agre" would give "agr"; the original word must reach FTS5.
    assert root("agreed") == term("agreed", "agre")
    assert root("agre") == term("agre", "agr")
    assert to_fts(root("agreed")) == '"agreed"'
