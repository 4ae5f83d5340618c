"""The query language shared by search and keyword alerts: parser, AST and FTS5 compiler.

    diffusion "video generation" -survey author:"Kaiming He" title:agent upvotes:>=20
    (rl OR "reinforcement learning") has:code

Precedence, loosest first: `OR`, then `AND` (explicit or implied by juxtaposition), then
`NOT` / `-`. Words and phrases are tokenized by `bot.query.text` (SQLite FTS5 with the index's
tokenizer), so a word like `gpt-4` is the phrase [gpt, 4] in both search and alerts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.query.text import Tokens, tokenize_tuple

MAX_QUERY_LENGTH = 300
MAX_DEPTH = 32
MAX_UPVOTES = 1_000_000_000

# Text fields the user can name, and the FTS5 column each one searches.
FIELD_COLUMNS = {"title": "title", "abstract": "summary", "author": "authors_text"}
FILTER_FIELDS = ("upvotes", "has")
ALLOWED_FIELDS = (*FIELD_COLUMNS, *FILTER_FIELDS)
# FTS5 columns of papers_fts, in order (mirrors storage.schema.FTS_COLUMNS).
COLUMNS = ("title", "summary", "authors_text", "keywords_text")


class QueryError(ValueError):
    """A query the user must fix; the message is one human-readable line."""


# --- AST ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TextLeaf:
    text: str
    tokens: Tokens
    field: str | None = None

    @property
    def column(self) -> str | None:
        """The FTS5 column this leaf is restricted to, or None for any column."""
        return FIELD_COLUMNS[self.field] if self.field else None


@dataclass(frozen=True)
class Term(_TextLeaf):
    """A bare word; it may tokenize to several tokens (`gpt-4`), matched as a phrase."""


@dataclass(frozen=True)
class Phrase(_TextLeaf):
    """A "quoted phrase": its tokens must appear contiguously in one column."""


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


Node = Term | Phrase | And | Or | Not | Upvotes | HasCode
TextLeaf = Term | Phrase


@dataclass(frozen=True)
class Query:
    """A parsed query: the user's original text and the root of its AST."""

    text: str
    root: Node

    def __str__(self) -> str:
        return render(self.root)


# --- lexer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN NEG OR AND NOT
    value: str = ""


_FIELD_RE = re.compile(r"([A-Za-z][A-Za-z0-9_]*):(.*)", re.DOTALL)
_UPVOTES_RE = re.compile(r"(>=|<=|>|<|=)?([0-9]+)", re.ASCII)
_KEYWORDS = ("OR", "AND", "NOT")
_STOP = set('()"')


def _lex(text: str) -> Iterator[_Tok]:
    i, n = 0, len(text)
    literal = False  # right after '-', OR/AND/NOT are plain words: `-OR` excludes "or"
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        lit, literal = literal, False
        if ch == "(":
            yield _Tok("LPAREN")
            i += 1
        elif ch == ")":
            yield _Tok("RPAREN")
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError('unbalanced quote: a "phrase" is missing its closing "')
            yield _Tok("PHRASE", text[i + 1 : end])
            i = end + 1
        elif ch == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")":
                raise QueryError("'-' must be followed by a word, \"phrase\" or (group) to exclude")
            yield _Tok("NEG")
            i += 1
            literal = True
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _STOP:
                j += 1
            chunk = text[i:j]
            i = j
            if chunk in _KEYWORDS and not lit:
                yield _Tok(chunk)
                continue
            m = _FIELD_RE.fullmatch(chunk)
            if not m:
                yield _Tok("WORD", chunk)
                continue
            name, rest = m.group(1).lower(), m.group(2)
            if name not in ALLOWED_FIELDS:
                allowed = ", ".join(f + ":" for f in ALLOWED_FIELDS)
                raise QueryError(
                    f"unknown field '{m.group(1)}:'; use {allowed} (quote words with colons)"
                )
            yield _Tok("FIELD", name)
            if rest:
                yield _Tok("WORD", rest)
            elif i >= n or text[i] not in '"(':
                raise QueryError(f"'{name}:' needs a value right after the colon")


# --- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0

    @contextmanager
    def deeper(self) -> Iterator[None]:
        """Bound recursion (nested groups and negations) so no input can overflow the stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"query is nested too deeply (more than {MAX_DEPTH} levels)")
        try:
            yield
        finally:
            self.depth -= 1

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr(field=None)
        tok = self.peek()
        if tok is not None:
            if tok.kind == "RPAREN":
                raise QueryError("unbalanced parenthesis: ')' without a matching '('")
            raise QueryError(f"unexpected {tok.kind}")  # pragma: no cover - defensive
        return node

    def or_expr(self, field: str | None) -> Node:
        children = [self.and_expr(field)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if not self._starts_operand(self.peek()):
                raise QueryError("OR needs a term on both sides")
            children.append(self.and_expr(field))
        return _join(Or, children)

    def and_expr(self, field: str | None) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind in ("OR", "AND"):
            raise QueryError(f"{tok.kind} needs a term on both sides")
        children = [self.unary(field)]
        while (tok := self.peek()) is not None:
            if tok.kind == "AND":
                self.take()
                if not self._starts_operand(self.peek()):
                    raise QueryError("AND needs a term on both sides")
            elif not self._starts_operand(tok):
                break
            children.append(self.unary(field))
        return _join(And, children)

    @staticmethod
    def _starts_operand(tok: _Tok | None) -> bool:
        return tok is not None and tok.kind in ("WORD", "PHRASE", "FIELD", "LPAREN", "NEG", "NOT")

    def unary(self, field: str | None) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("the query ends where a term was expected")
        if tok.kind in ("NOT", "NEG"):
            self.take()
            if tok.kind == "NOT" and not self._starts_operand(self.peek()):
                raise QueryError("NOT needs a term after it")
            with self.deeper():
                return Not(self.unary(field))
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        tok = self.take()
        if tok.kind == "WORD":
            return _leaf(Term, tok.value, field)
        if tok.kind == "PHRASE":
            return _leaf(Phrase, tok.value, field)
        if tok.kind == "LPAREN":
            return self.group(field)
        if tok.kind == "FIELD":
            return self.field_value(tok.value, field)
        if tok.kind == "RPAREN":
            raise QueryError("unbalanced parenthesis: ')' without a matching '('")
        raise QueryError(f"{tok.kind} needs a term on both sides")  # pragma: no cover

    def group(self, field: str | None) -> Node:
        if (tok := self.peek()) is not None and tok.kind == "RPAREN":
            raise QueryError("empty parentheses: put a term inside ( )")
        with self.deeper():
            node = self.or_expr(field)
        if self.peek() is None:
            raise QueryError("unbalanced parenthesis: '(' without a matching ')'")
        self.take()
        return node

    def field_value(self, name: str, outer: str | None) -> Node:
        if outer is not None:
            raise QueryError(f"'{name}:' cannot be used inside '{outer}:( )'")
        tok = self.take()  # the lexer guarantees a WORD, PHRASE or LPAREN follows
        if name == "upvotes":
            return _upvotes(tok)
        if name == "has":
            if tok.kind == "WORD" and tok.value.lower() == "code":
                return HasCode()
            raise QueryError("has: supports only has:code")
        if tok.kind == "WORD" and tok.value.startswith("-"):
            raise QueryError(f"to exclude, put '-' before the field: -{name}:{tok.value[1:]}")
        if tok.kind == "WORD":
            return _leaf(Term, tok.value, name)
        if tok.kind == "PHRASE":
            return _leaf(Phrase, tok.value, name)
        return self.group(name)


def _join(kind: type[And] | type[Or], children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def _leaf(kind: type[Term] | type[Phrase], text: str, field: str | None) -> TextLeaf:
    tokens = tokenize_tuple(text)
    if not tokens:
        shown = f'"{text}"' if kind is Phrase else text
        raise QueryError(f"{shown} has no searchable words (letters or digits)")
    return kind(text=text, tokens=tokens, field=field)


def _upvotes(tok: _Tok) -> Upvotes:
    m = _UPVOTES_RE.fullmatch(tok.value) if tok.kind == "WORD" else None
    if not m:
        raise QueryError("upvotes: needs a number, e.g. upvotes:>=20 (also >, <=, <, =)")
    digits = m.group(2)
    if len(digits) > 10 or int(digits) > MAX_UPVOTES:
        raise QueryError(f"upvotes: number is too large (at most {MAX_UPVOTES})")
    return Upvotes(op=m.group(1) or ">=", n=int(digits))


def parse(text: str) -> Query:
    """Parse a query string; raise QueryError with a one-line message when it is malformed."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is {len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("query contains characters that are not valid text") from None
    # NUL would end the MATCH string early inside SQLite; treat it as a space everywhere.
    toks = list(_lex(text.replace("\x00", " ")))
    if not toks:
        raise QueryError("empty query: type some words to search for")
    return Query(text=text, root=_Parser(toks).parse())


# --- walking, rendering, FTS5 ---------------------------------------------------------------


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


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def to_fts(node: Node) -> str:
    """A safe FTS5 MATCH expression for a text-only subtree; raise ValueError for NOT/filters.

    Each word or phrase becomes one FTS5 string holding the user's original text, so FTS5
    tokenizes it exactly as `bot.query.text` did (re-stemming already-stemmed tokens would not be
    safe: porter is not idempotent). Field leaves get an FTS5 column filter.
    """
    if isinstance(node, Term | Phrase):
        col = node.column
        return f"{col} : {_fts_string(node.text)}" if col else _fts_string(node.text)
    if isinstance(node, And | Or):
        op = " AND " if isinstance(node, And) else " OR "
        return "(" + op.join(to_fts(c) for c in node.children) + ")"
    raise ValueError(f"to_fts needs a text-only subtree, got {type(node).__name__}")


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
    if isinstance(node, Not):
        inner = render(node.child)
        if isinstance(node.child, And | Or):
            return f"-({inner})"
        return f"NOT {inner}" if isinstance(node.child, Not) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(f"({render(c)})" if isinstance(c, Or) else render(c) for c in node.children)
    return " OR ".join(f"({render(c)})" if isinstance(c, And) else render(c) for c in node.children)


def describe(query: Query | Node) -> list[str]:
    """One short human-readable line per top-level condition of the query."""
    root = query.root if isinstance(query, Query) else query
    parts = root.children if isinstance(root, And) else (root,)
    return [_describe(p) for p in parts]


def _describe(node: Node) -> str:
    if isinstance(node, Term | Phrase):
        where = {"title": "title", "abstract": "abstract", "author": "authors"}.get(
            node.field or "", "title, abstract, authors or keywords"
        )
        return f"{where} mention “{node.text}”"
    if isinstance(node, Upvotes):
        op = {">=": "≥", "<=": "≤"}.get(node.op, node.op)
        return f"upvotes {op} {node.n}"
    if isinstance(node, HasCode):
        return "has a GitHub repository"
    if isinstance(node, Not):
        return f"not: {_describe(node.child)}"
    if isinstance(node, Or):
        return "any of: " + "; ".join(_describe(c) for c in node.children)
    return "all of: " + "; ".join(_describe(c) for c in node.children)
