"""Search the paper archive with a parsed query: AST -> SQL WHERE + FTS5 MATCH, BM25 ranking.

A search runs in two steps inside one read transaction. The first ranks: it selects only the
primary keys and scores of one page of hits, through the cheapest plan the query's shape
allows (see `plan`). The second fetches those few papers and their snippets, so
snippet() runs at most `limit` times however many papers the query's words appear in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlite_utils

from bot.domain import SearchHit
from bot.domain.query import (
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
)
from storage.fts import to_fts
from storage.papers import row_to_paper

# bm25 weights over (title, summary, authors_text, keywords_text): title counts most.
BM25_WEIGHTS = (10.0, 3.0, 2.0, 4.0)
# score = bm25 - UPVOTE_PRIOR * ln(1 + upvotes); lower is better, as with SQLite's bm25().
UPVOTE_PRIOR = 0.5
SNIPPET_TOKENS = 16

_FTS_IN = "p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
_SQL_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}
_BM25 = f"bm25(papers_fts, {', '.join(str(w) for w in BM25_WEIGHTS)})"
_PRIOR = f"{UPVOTE_PRIOR} * ln(1 + max(p.upvotes, 0))"
_TIES = "p.upvotes DESC, p.day DESC, p.id"  # after the score; p.id is unique
_PKS = "(SELECT value FROM json_each(?))"  # a JSON array of primary keys, one parameter


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


@dataclass(frozen=True)
class SearchPlan:
    """How search evaluates a query; it depends only on the query, never on the data.

    `rank` is the FTS5 MATCH whose bm25 scores hits (None: the query has no positive words,
    so hits are ordered by upvotes, day, id). When `covers`, every paper the query matches
    also matches `rank`: search scans the rank match joined to `papers`, and `where` holds
    only the rest of the query ('' for none). Otherwise `where` is the whole query and
    papers outside `rank` (matched only via a filter or an OR branch) come after the rest.
    `highlight` (the OR of the positive words and phrases) is what snippets mark.
    """

    rank: str | None
    covers: bool
    where: str
    params: tuple[Any, ...]
    highlight: str | None


def _simplify(node: Node) -> Node:
    """An equivalent condition without double negations or repeated AND/OR operands, so
    `--a b` ranks like `a b` and `a a` like `a` (a repeated phrase would count twice)."""
    if isinstance(node, Not):
        child = _simplify(node.child)
        return child.child if isinstance(child, Not) else Not(child)
    if isinstance(node, And | Or):
        flat: list[Node] = []
        for child in map(_simplify, node.children):
            flat.extend(child.children if isinstance(child, type(node)) else (child,))
        children = tuple(dict.fromkeys(flat))
        return children[0] if len(children) == 1 else type(node)(children)
    return node


def _either(leaves: Iterable[Term | Phrase]) -> str | None:
    """FTS5 MATCH for any of these words/phrases (each once), or None for none."""
    distinct = list(dict.fromkeys(leaves))
    if not distinct:
        return None
    return to_fts(distinct[0] if len(distinct) == 1 else Or(tuple(distinct)))


def plan(query: Query) -> SearchPlan:
    """Choose the tightest MATCH to rank by: only papers matching it are scored.

    - only words and phrases (`a "b c"`, `a OR b`): the query itself;
    - an AND with some word/phrase conditions (`a "b c" -d upvotes:>=5`): their AND, the
      other conditions (`-d`, filters, mixed groups) filtering in SQL;
    - anything else with positive words (`a OR has:code`): the OR of its positive words and
      phrases, and papers matched without one come after the rest;
    - no positive words (`-a`, filters): no ranking, just upvotes, day, id.

    bm25 sums one term per phrase of the MATCH over the paper's hits of that phrase, while
    the boolean structure only decides which papers match, so on a paper that has all of
    them `a AND b` scores exactly like `a OR b`. A hit's score is therefore the same as if
    every query ranked by the OR of its positive words, except that words in a condition
    mixed with filters (`video` in `a (video OR has:code)`) do not count, and in an OR of
    groups (`(a b) OR c`) only the words of the groups that matched count.
    """
    root = _simplify(query.root)
    highlight = _either(positive_leaves(root))
    if is_text_only(root):  # words and phrases only: the query is its own rank match
        return SearchPlan(to_fts(root), True, "", (), highlight)
    conditions = root.children if isinstance(root, And) else ()
    text = [c for c in conditions if is_text_only(c)]
    params: list[Any] = []
    if text:
        rest = " AND ".join(_compile(c, params) for c in conditions if not is_text_only(c))
        rank = to_fts(text[0] if len(text) == 1 else And(tuple(text)))
        return SearchPlan(rank, True, rest, tuple(params), highlight)
    # No positive words (rank None), or OR-shaped / every condition mixes words with filters:
    # rank by any positive word, and papers matched without one come after the rest.
    where = _compile(root, params)
    return SearchPlan(highlight, False, where, tuple(params), highlight)


def rank_match(query: Query) -> str | None:
    """FTS5 MATCH whose bm25 ranks the query's hits (see `plan`): the query itself when it
    is only words and phrases; else the AND of its top-level word/phrase conditions; else
    the OR of its positive words and phrases. None when it has no positive words."""
    return plan(query).rank


def _from_where(p: SearchPlan, days: str | None = None) -> tuple[str, list[Any]]:
    """FROM ... WHERE ... selecting exactly the query's matches (on `days`, a JSON array of
    ISO days, when given), and its parameters."""
    on_days = [days] if days is not None else []
    day_sql = f" AND p.day IN {_PKS}" if days is not None else ""
    if p.covers:
        extra = f" AND {p.where}" if p.where else ""
        sql = (
            "FROM papers_fts CROSS JOIN papers p ON p.pk = papers_fts.rowid "
            f"WHERE papers_fts MATCH ?{extra}{day_sql}"
        )
        return sql, [p.rank, *p.params, *on_days]
    return f"FROM papers p WHERE {p.where or 1}{day_sql}", [*p.params, *on_days]


def _page_sql(p: SearchPlan, days: str | None) -> tuple[str, list[Any]]:
    """SQL for one page of (pk, score) pairs, best first; LIMIT/OFFSET are the last two ?."""
    page = "LIMIT ? OFFSET ?"
    if p.rank is None:
        sql, params = _from_where(p, days)
        return f"SELECT p.pk, NULL AS score {sql} ORDER BY {_TIES} {page}", params
    if p.covers:
        # CROSS JOIN keeps FTS5 the outer loop: one MATCH scan, then primary-key lookups.
        sql, params = _from_where(p, days)
        select = f"SELECT p.pk, {_BM25} - {_PRIOR} AS score"
        return f"{select} {sql} ORDER BY score, {_TIES} {page}", params
    # Papers outside the rank match (matched only via a filter or an OR branch) come last.
    day_sql = f" AND p.day IN {_PKS}" if days is not None else ""
    return (
        f"WITH r AS MATERIALIZED (SELECT rowid AS rid, {_BM25} AS s "
        "FROM papers_fts WHERE papers_fts MATCH ?) "
        f"SELECT p.pk, r.s - {_PRIOR} AS score FROM papers p LEFT JOIN r ON r.rid = p.pk "
        f"WHERE {p.where}{day_sql} ORDER BY (r.rid IS NULL), score, {_TIES} {page}"
    ), [p.rank, *p.params, *([days] if days is not None else [])]


def _snippets(db: sqlite_utils.Database, highlight: str, pks: list[int]) -> dict[int, str]:
    """snippet() for just these papers (each matches `highlight`), by primary key."""
    if not pks:
        return {}
    sql = (
        f"SELECT rowid, snippet(papers_fts, -1, '**', '**', '…', {SNIPPET_TOKENS}) "
        f"FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN {_PKS}"
    )
    return dict(db.execute(sql, [highlight, json.dumps(pks)]).fetchall())


def _days_json(days: Iterable[date] | None) -> str | None:
    return None if days is None else json.dumps(sorted({d.isoformat() for d in days}))


def search(
    db: sqlite_utils.Database,
    query: Query,
    limit: int = 10,
    offset: int = 0,
    *,
    days: Iterable[date] | None = None,
) -> list[SearchHit]:
    """Papers matching the query (first listed on `days`, when given), best first.

    SearchHit.score is higher-is-better: -(bm25 of `rank_match` - the upvote prior); 0.0 for
    a paper outside the rank match (it matched only via a filter or an OR branch).
    """
    p = plan(query)
    sql, params = _page_sql(p, _days_json(days))
    with db.atomic():  # one snapshot for the ranking and the fetch
        ranked = db.execute(sql, [*params, max(0, int(limit)), max(0, int(offset))]).fetchall()
        pks = json.dumps([pk for pk, _ in ranked])
        rows = {r["pk"]: r for r in db.query(f"SELECT * FROM papers WHERE pk IN {_PKS}", [pks])}
        scored = [pk for pk, score in ranked if score is not None]
        snippets = _snippets(db, p.highlight, scored) if p.highlight else {}
    hits = []
    for pk, score in ranked:
        relevance = -float(score) if score is not None else 0.0
        paper = row_to_paper(rows[pk])
        hits.append(SearchHit(paper=paper, snippet=snippets.get(pk), score=relevance))
    return hits


def count(
    db: sqlite_utils.Database, query: Query, *, days: Iterable[date] | None = None
) -> int:
    """How many papers match the query (of those first listed on `days`, when given)."""
    sql, params = _from_where(plan(query), _days_json(days))
    return int(db.execute(f"SELECT count(*) {sql}", params).fetchone()[0])
