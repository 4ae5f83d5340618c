"""The in-process matcher for alerts: evaluates a parsed query against one paper's tokens.

It tokenizes with SQLite's own FTS5 tokenizer (`bot.query.text`), the one the search index uses, so
a query matches here exactly the papers it finds in search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import Paper
from bot.domain.query import (
    TEXTS,
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
    Tokens,
    Upvotes,
)
from bot.query.text import tokenize_columns


@dataclass(frozen=True)
class PaperText:
    """A paper's texts (`TEXTS`) tokenized once: per text, each token's set of positions."""

    columns: tuple[dict[str, frozenset[int]], ...]

    @classmethod
    def from_tokens(cls, columns: tuple[Tokens, ...]) -> PaperText:
        """Index tokenized columns (token i at position i)."""
        indexed: list[dict[str, frozenset[int]]] = []
        for tokens in columns:
            positions: dict[str, set[int]] = {}
            for i, tok in enumerate(tokens):
                positions.setdefault(tok, set()).add(i)
            indexed.append({t: frozenset(p) for t, p in positions.items()})
        return cls(tuple(indexed))

    @classmethod
    def from_paper(cls, paper: Paper) -> PaperText:
        """Tokenize one paper."""
        return cls.many([paper])[0]

    @classmethod
    def many(cls, papers: Sequence[Paper]) -> list[PaperText]:
        """Tokenize many papers in one SQLite round trip."""
        docs = [p.texts() for p in papers]
        return [cls.from_tokens(cols) for cols in tokenize_columns(docs)]

    def contains(self, tokens: Tokens, field: str | None = None) -> bool:
        """True if `tokens` occur contiguously in the text `field` (any text when None)."""
        if field is not None:
            return _has_phrase(self.columns[TEXTS.index(field)], tokens)
        return any(_has_phrase(col, tokens) for col in self.columns)


def _has_phrase(col: dict[str, frozenset[int]], tokens: Tokens) -> bool:
    first = col.get(tokens[0])
    if not first:
        return False
    rest = [col.get(t) for t in tokens[1:]]
    if any(r is None for r in rest):
        return False
    return any(all(p + i + 1 in r for i, r in enumerate(rest) if r is not None) for p in first)


def _compare(value: int, op: str, n: int) -> bool:
    return {
        ">=": value >= n,
        ">": value > n,
        "<=": value <= n,
        "<": value < n,
        "=": value == n,
    }[op]


def stars_match(node: Stars, paper: Paper) -> bool:
    """Do the paper's GitHub stars pass `node`? A paper without a repository has none."""
    stars = paper.github_stars
    return bool(paper.github_repo) and stars is not None and _compare(stars, node.op, node.n)


def matches(query: Query | Node, text: PaperText, paper: Paper) -> bool:
    """Does the paper match? `text` must be PaperText.from_paper(paper) (tokenize once, reuse)."""
    node = query.root if isinstance(query, Query) else query
    if isinstance(node, Term | Phrase):
        return text.contains(node.tokens, node.field)
    if isinstance(node, And):
        return all(matches(c, text, paper) for c in node.children)
    if isinstance(node, Or):
        return any(matches(c, text, paper) for c in node.children)
    if isinstance(node, Not):
        return not matches(node.child, text, paper)
    if isinstance(node, Upvotes):
        return _compare(paper.upvotes, node.op, node.n)
    if isinstance(node, Stars):
        return stars_match(node, paper)
    if isinstance(node, Org):
        return node.matches(paper.organization)
    if isinstance(node, HasCode):
        return bool(paper.github_repo)
    raise TypeError(f"unexpected query node {node!r}")  # pragma: no cover
