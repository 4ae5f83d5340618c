"""A parsed search or alert query: the AST the parser builds and storage and the matcher read.

`bot.query.parse` builds it from the user's text; `storage` compiles it to FTS5 and SQL;
`bot.query.match` evaluates it against one paper. Leaves hold their tokens, produced by the
index's own tokenizer (`bot.query.text`), so all three agree on what a word is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Tokens = tuple[str, ...]

# A paper's searchable texts, in `Paper.texts()` order; a bare word matches any of them.
TEXTS = ("title", "abstract", "author", "keywords")
# The texts a user can name as a field (`title:agent`); keywords cannot be named.
TEXT_FIELDS = ("title", "abstract", "author")


@dataclass(frozen=True)
class _TextLeaf:
    text: str
    tokens: Tokens
    field: str | None = None


@dataclass(frozen=True)
class Term(_TextLeaf):
    """A bare word; it may tokenize to several tokens (`gpt-4`), matched as a phrase."""


@dataclass(frozen=True)
class Phrase(_TextLeaf):
    """A "quoted phrase": its tokens must appear contiguously in one text."""


@dataclass(frozen=True)
class And:
    """All children match."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child does not match."""

    child: Node


@dataclass(frozen=True)
class Upvotes:
    """The paper's upvotes compare to `n` with `op` (one of >=, >, <=, <, =)."""

    op: str
    n: int


@dataclass(frozen=True)
class HasCode:
    """The paper links a GitHub repository."""


@dataclass(frozen=True)
class Stars:
    """The paper's GitHub repository has stars comparing to `n` with `op`; no repo: no match."""

    op: str
    n: int


# Only ASCII letters fold, as SQLite's NOCASE collation does (the search side compares so).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_org(name: str) -> str:
    """An organization name as `org:` compares it: ASCII letters case-folded."""
    return name.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Org:
    """The paper was submitted under the Hugging Face organization `name` (case-insensitive)."""

    name: str

    def matches(self, organization: str | None) -> bool:
        """Is `organization` (a paper's) this one?"""
        return organization is not None and fold_org(organization) == fold_org(self.name)


Node = Term | Phrase | And | Or | Not | Upvotes | HasCode | Stars | Org
TextLeaf = Term | Phrase


@dataclass(frozen=True)
class Query:
    """A parsed query: the user's original text and the root of its AST."""

    text: str
    root: Node

    def __str__(self) -> str:
        return render(self.root)


def is_text_only(node: Node) -> bool:
    """True for a subtree of words/phrases joined by AND/OR only (no NOT, no filters)."""
    if isinstance(node, Term | Phrase):
        return True
    if isinstance(node, And | Or):
        return all(is_text_only(c) for c in node.children)
    return False


def positive_leaves(node: Node, negated: bool = False) -> list[TextLeaf]:
    """Words and phrases under an even number of NOTs (the ones a match is 'about')."""
    if isinstance(node, Term | Phrase):
        return [] if negated else [node]
    if isinstance(node, And | Or):
        return [leaf for c in node.children for leaf in positive_leaves(c, negated)]
    if isinstance(node, Not):
        return positive_leaves(node.child, not negated)
    return []


_BARE_ORG = re.compile(r"[\w.][\w.-]*")


def _render_leaf(leaf: TextLeaf) -> str:
    value = f'"{leaf.text}"' if isinstance(leaf, Phrase) else leaf.text
    return f"{leaf.field}:{value}" if leaf.field else value


def render(node: Node) -> str:
    """A canonical query string for a node (fully parenthesized where it matters)."""
    if isinstance(node, Term | Phrase):
        return _render_leaf(node)
    if isinstance(node, Upvotes):
        return f"upvotes:{node.op}{node.n}"
    if isinstance(node, HasCode):
        return "has:code"
    if isinstance(node, Stars):
        return f"stars:{node.op}{node.n}"
    if isinstance(node, Org):
        return f"org:{node.name}" if _BARE_ORG.fullmatch(node.name) else f'org:"{node.name}"'
    if isinstance(node, Not):
        inner = render(node.child)
        if isinstance(node.child, And | Or):
            return f"-({inner})"
        return f"NOT {inner}" if isinstance(node.child, Not) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(f"({render(c)})" if isinstance(c, Or) else render(c) for c in node.children)
    return " OR ".join(f"({render(c)})" if isinstance(c, And) else render(c) for c in node.children)
