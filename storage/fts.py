"""The FTS5 side of the query language: the indexed columns and the MATCH compiler.

The core hands storage a parsed query (`bot.domain.query`); only this module knows how its
texts map to `papers_fts` columns and how a word or phrase is written in FTS5's syntax.
"""

from __future__ import annotations

from bot.domain.query import TEXTS, And, Node, Or, Phrase, Term

# Columns of `papers` indexed by FTS5, in FTS column order, one per text of `TEXTS`
# (`Paper.texts()`); bm25 weights follow this order.
FTS_COLUMNS = ("title", "summary", "authors_text", "keywords_text")
COLUMN_OF = dict(zip(TEXTS, FTS_COLUMNS, strict=True))


def fts_string(text: str) -> str:
    """One FTS5 string (a phrase of whatever tokens `text` has), safely quoted."""
    return '"' + text.replace('"', '""') + '"'


def to_fts(node: Node) -> str:
    """A safe FTS5 MATCH expression for a text-only subtree; raise ValueError for NOT/filters.

    Each word or phrase becomes one FTS5 string holding the user's original text, so FTS5
    tokenizes it exactly as `bot.query.text` did (re-stemming already-stemmed tokens would not be
    safe: porter is not idempotent). Field leaves get an FTS5 column filter.
    """
    if isinstance(node, Term | Phrase):
        quoted = fts_string(node.text)
        return f"{COLUMN_OF[node.field]} : {quoted}" if node.field else quoted
    if isinstance(node, And | Or):
        op = " AND " if isinstance(node, And) else " OR "
        return "(" + op.join(to_fts(c) for c in node.children) + ")"
    raise ValueError(f"to_fts needs a text-only subtree, got {type(node).__name__}")
