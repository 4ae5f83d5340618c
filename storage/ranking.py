"""How search ranks a parsed query: its FTS5 match, its SQL filters and its title tiers.

A reader expects a clear title match first. So the papers a query matches are cut into
tiers by where its words are, best first, and a better tier always comes first whatever
the upvotes:

1. the title starts with the query's words as typed (a name: `DREAM: Deep Research …`);
2. the title has them side by side (`video generation`, `From Sparse to Dense`);
3. the title has all of them;
4. the title has some of them;
5. only the abstract, the authors or the keywords have them.

A tier is a title condition, an FTS5 MATCH on `titles_fts` (titles alone), each one
containing the one before; a paper's tier is the first whose condition it meets. Inside a
title tier the papers go by upvotes (they all have the words in the title); in the last,
by BM25 (title ×10) minus a small upvote prior, or by upvotes when it is big
(`storage.search`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.query import (
    And,
    HasCode,
    Node,
    Not,
    Or,
    Org,
    Phrase,
    Query,
    Stars,
    Term,
    TextLeaf,
    Upvotes,
    is_text_only,
    positive_leaves,
)
from storage.fts import fts_string, to_fts

# bm25 weights over (title, summary, authors_text, keywords_text): title counts most.
BM25_WEIGHTS = (10.0, 1.0, 1.0, 1.0)
# score = bm25 - UPVOTE_PRIOR * ln(1 + upvotes); lower is better, as with SQLite's bm25().
UPVOTE_PRIOR = 0.25

_FTS_IN = "r.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
_SQL_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}


def _compile(node: Node, params: list[Any]) -> str:
    """SQL boolean expression over `paper_rank r` for a node; appends its bound parameters."""
    if is_text_only(node):
        params.append(to_fts(node))
        return _FTS_IN
    if isinstance(node, Not):
        return f"NOT ({_compile(node.child, params)})"
    if isinstance(node, Upvotes):
        params.append(node.n)
        return f"r.upvotes {_SQL_OPS[node.op]} ?"
    if isinstance(node, HasCode):
        return "r.has_code = 1"
    if isinstance(node, Stars):
        # NULL without a repository: never a match, and IS NOT NULL keeps NOT(…) from NULL
        params.append(node.n)
        return f"(r.stars IS NOT NULL AND r.stars {_SQL_OPS[node.op]} ?)"
    if isinstance(node, Org):
        params.append(node.name)
        # r.org is COLLATE NOCASE, folding as `fold_org` does; NULL without one, as above
        return "(r.org IS NOT NULL AND r.org = ?)"
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
    """The SQL WHERE expression (over `paper_rank r`) and parameters for a whole query."""
    params: list[Any] = []
    return _compile(query.root, params), params


@dataclass(frozen=True)
class SearchPlan:
    """How search evaluates a query; it depends only on the query, never on the data.

    `rank` is the FTS5 MATCH whose bm25 scores hits (None: the query has no positive words,
    so hits are ordered by upvotes, day, id). When `covers`, a paper matches the query
    exactly when it matches `rank` and `where` (SQL over `paper_rank r`, '' for none), and
    `titles` are the title tiers' conditions (MATCHes on `titles_fts`), best first; a paper
    meeting none is in the last tier. `exact[i]` is True when meeting `titles[i]` implies
    matching `rank`. Otherwise `where` is the whole query and papers outside `rank` (matched
    only via a filter or an OR branch) come after the rest. `highlight` (the OR of the
    positive words and phrases) is what snippets mark.
    """

    rank: str | None
    covers: bool
    where: str
    params: tuple[Any, ...]
    highlight: str | None
    titles: tuple[str, ...] = ()
    exact: tuple[bool, ...] = ()
    partial: bool = False  # the last title tier is "some of the words in the title"
    titled: bool = False  # every positive word or phrase names no field or the title


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


def _either(leaves: Iterable[TextLeaf]) -> str | None:
    """FTS5 MATCH for any of these words/phrases (each once), or None for none."""
    distinct = list(dict.fromkeys(leaves))
    if not distinct:
        return None
    return to_fts(distinct[0] if len(distinct) == 1 else Or(tuple(distinct)))


def _in_title(node: Node) -> Node:
    """The text condition with every word and phrase that names no field moved to the title."""
    if isinstance(node, Term | Phrase):
        return node if node.field else replace(node, field="title")
    if isinstance(node, And | Or):
        return type(node)(tuple(_in_title(c) for c in node.children))
    raise TypeError(f"_in_title needs a text-only subtree, got {type(node).__name__}")


def _leaves(node: Node) -> list[TextLeaf]:
    """The words and phrases of a text-only node, in the order typed."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, And | Or):
        return [leaf for c in node.children for leaf in _leaves(c)]
    return []


def _titled(node: Node) -> bool:
    """True when every word and phrase of the subtree names no field or the title."""
    return all(leaf.field in (None, "title") for leaf in _leaves(node))


def title_tiers(text: Node, negated: bool) -> tuple[tuple[str, ...], tuple[bool, ...], bool, bool]:
    """The title tiers' conditions for the positive part `text` of a query, best first,
    whether each implies the query's match (`negated`: the query also excludes words), and
    whether the last is "some of the words" (for words ANDed), and whether every word or
    phrase can be in the title (no other field)."""
    children = text.children if isinstance(text, And | Or) else (text,)
    kept = [c for c in children if _titled(c)]
    if not kept:
        return (), (), False, False
    every = len(kept) == len(children)
    titles: list[str] = []
    implies: list[bool] = []
    if every and all(isinstance(c, Term | Phrase) for c in children) and not isinstance(text, Or):
        words = fts_string(" ".join(leaf.text for leaf in _leaves(text)))
        titles.append(f"title : ^{words}")  # the title starts with them: a name (`DREAM: …`)
        implies.append(not negated)
        if isinstance(text, And):
            titles.append(f"title : {words}")
            implies.append(not negated)
    joined = (
        kept[0]
        if len(kept) == 1
        else (And(tuple(kept)) if isinstance(text, And) else Or(tuple(kept)))
    )
    titles.append(to_fts(_in_title(joined)))
    implies.append(not negated and (every or isinstance(text, Or)))
    free = list(dict.fromkeys(replace(x, field="title") for x in _leaves(joined)))
    partial = isinstance(text, And) and len(free) > 1
    if partial:
        titles.append(to_fts(Or(tuple(free))))
        implies.append(False)
    return tuple(titles), tuple(implies), partial, _titled(text)


def plan(query: Query) -> SearchPlan:
    """Choose the tightest MATCH to rank by: only papers matching it are scored.

    - only words and phrases (`a "b c"`, `a OR b`): the query itself;
    - an AND with some word/phrase conditions (`a "b c" -d upvotes:>=5`): their AND, with
      excluded words and phrases (`-d`) taken out by FTS5's own NOT and the other conditions
      (filters, mixed groups) filtering in SQL;
    - anything else with positive words (`a OR has:code`): the OR of its positive words and
      phrases, and papers matched without one come after the rest;
    - no positive words (`-a`, filters): no ranking, just upvotes, day, id.
    """
    root = _simplify(query.root)
    highlight = _either(positive_leaves(root))
    if is_text_only(root):  # words and phrases only: the query is its own rank match
        return SearchPlan(to_fts(root), True, "", (), highlight, *title_tiers(root, False))
    conditions = root.children if isinstance(root, And) else ()
    text = [c for c in conditions if is_text_only(c)]
    params: list[Any] = []
    if text:
        positive = text[0] if len(text) == 1 else And(tuple(text))
        match = to_fts(positive)
        excluded = [c.child for c in conditions if isinstance(c, Not) and is_text_only(c.child)]
        for node in excluded:
            match = f"({match} NOT {to_fts(node)})"
        rest = " AND ".join(
            _compile(c, params)
            for c in conditions
            if not is_text_only(c) and not (isinstance(c, Not) and is_text_only(c.child))
        )
        return SearchPlan(
            match, True, rest, tuple(params), highlight, *title_tiers(positive, bool(excluded))
        )
    # No positive words (rank None), or OR-shaped / every condition mixes words with filters:
    # rank by any positive word, and papers matched without one come after the rest.
    where = _compile(root, params)
    return SearchPlan(highlight, False, where, tuple(params), highlight)


def rank_match(query: Query) -> str | None:
    """FTS5 MATCH whose bm25 ranks the query's hits (see `plan`), None without positive words."""
    return plan(query).rank
