"""Search the paper archive with a parsed query: AST -> SQL WHERE + FTS5 MATCH, BM25 ranking."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.domain import SearchHit
from bot.query import (
    And,
    HasCode,
    Node,
    Not,
    Or,
    Phrase,
    Query,
    Term,
    Upvotes,
    is_text_only,
    positive_leaves,
    to_fts,
)
from storage.papers import row_to_paper

# bm25 weights over (title, summary, authors_text, keywords_text): title counts most.
BM25_WEIGHTS = (10.0, 3.0, 2.0, 4.0)
# score = bm25 - UPVOTE_PRIOR * ln(1 + upvotes); lower is better, as with SQLite's bm25().
UPVOTE_PRIOR = 0.5
SNIPPET_TOKENS = 16

_FTS_IN = "p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
_SQL_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}


def _compile(node: Node, params: list[Any]) -> str:
    """SQL boolean expression over `papers p` for a node; appends its bound parameters."""
    if is_text_only(node):
        params.append(to_fts(node))
        return _FTS_IN
    if isinstance(node, Not):
        return f"NOT ({_compile(node.child, params)})"
    if isinstance(node, Upvotes):
        params.append(node.n)
        return f"p.upvotes {_SQL_OPS[node.op]} ?"
    if isinstance(node, HasCode):
        return "(p.github_repo IS NOT NULL AND p.github_repo != '')"
    if isinstance(node, And | Or):
        # Text-only children share one MATCH (a maximal text subtree); the rest are SQL.
        text = [c for c in node.children if is_text_only(c)]
        rest = [c for c in node.children if not is_text_only(c)]
        parts: list[str] = []
        if text:
            params.append(to_fts(text[0] if len(text) == 1 else type(node)(tuple(text))))
            parts.append(_FTS_IN)
        parts.extend(_compile(c, params) for c in rest)
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(parts) + ")"
    raise TypeError(f"unexpected query node {node!r}")  # pragma: no cover


def compile_where(query: Query) -> tuple[str, list[Any]]:
    """The SQL WHERE expression (over `papers p`) and parameters for a query."""
    params: list[Any] = []
    return _compile(query.root, params), params


def rank_match(query: Query) -> str | None:
    """FTS5 MATCH used for ranking and snippets: OR of the query's positive words/phrases."""
    leaves: list[Term | Phrase] = list(dict.fromkeys(positive_leaves(query.root)))
    if not leaves:
        return None
    return to_fts(leaves[0] if len(leaves) == 1 else Or(tuple(leaves)))


def _unranked_sql(where: str) -> str:
    return (
        "SELECT p.*, NULL AS _score, NULL AS _snip FROM papers p "
        f"WHERE {where} ORDER BY p.upvotes DESC, p.day DESC, p.id LIMIT ? OFFSET ?"
    )


def _ranked_sql(where: str) -> str:
    # Papers outside the rank match (matched only via a filter or an OR branch) come last.
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    return (
        "WITH r AS MATERIALIZED ("
        f"SELECT rowid AS rid, bm25(papers_fts, {weights}) AS s, "
        f"snippet(papers_fts, -1, '**', '**', '…', {SNIPPET_TOKENS}) AS snip "
        "FROM papers_fts WHERE papers_fts MATCH ?) "
        f"SELECT p.*, r.s - {UPVOTE_PRIOR} * ln(1 + max(p.upvotes, 0)) AS _score, "
        "r.snip AS _snip FROM papers p LEFT JOIN r ON r.rid = p.pk "
        f"WHERE {where} "
        "ORDER BY (r.rid IS NULL), _score, p.upvotes DESC, p.day DESC, p.id "
        "LIMIT ? OFFSET ?"
    )


def search(
    db: sqlite_utils.Database, query: Query, limit: int = 10, offset: int = 0
) -> list[SearchHit]:
    """Papers matching the query, best first: BM25 (title > abstract) plus an upvote prior."""
    where, params = compile_where(query)
    ranker = rank_match(query)
    page = [max(0, int(limit)), max(0, int(offset))]
    if ranker is None:
        rows = db.query(_unranked_sql(where), [*params, *page])
    else:
        rows = db.query(_ranked_sql(where), [ranker, *params, *page])
    hits = []
    for row in rows:
        score, snippet = row.pop("_score"), row.pop("_snip")
        # SearchHit.score is higher-is-better (negated SQL score); 0.0 without a text match.
        relevance = -float(score) if score is not None else 0.0
        hits.append(SearchHit(paper=row_to_paper(row), snippet=snippet, score=relevance))
    return hits


def count(db: sqlite_utils.Database, query: Query) -> int:
    """How many papers match the query."""
    where, params = compile_where(query)
    return int(db.execute(f"SELECT count(*) FROM papers p WHERE {where}", params).fetchone()[0])
