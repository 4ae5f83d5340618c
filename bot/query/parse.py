"""The query language shared by search and keyword alerts: the parser (AST in bot.domain.query).

    diffusion "video generation" -survey author:"Kaiming He" title:agent upvotes:>=20
    (rl OR "reinforcement learning") has:code org:"Hugging Face" stars:>=100

Precedence, loosest first: `OR`, then `AND` (explicit or implied by juxtaposition), then
`NOT` / `-`. Words and phrases are tokenized by `bot.query.text` (SQLite FTS5 with the index's
tokenizer), so a word like `gpt-4` is the phrase [gpt, 4] in both search and alerts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.domain.query import (
    TEXT_FIELDS,
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
)
from bot.query.text import tokenize_tuple

MAX_QUERY_LENGTH = 300
MAX_DEPTH = 32
MAX_UPVOTES = 1_000_000_000
# Query text quoted back in an error is cut to this many characters.
SHOWN_CHARS = 40

FILTER_FIELDS = ("upvotes", "has", "org", "stars")
ALLOWED_FIELDS = (*TEXT_FIELDS, *FILTER_FIELDS)


class QueryError(ValueError):
    """A query the user must fix; the message is one human-readable line."""


def _clip(text: str) -> str:
    """Query text as an error quotes it: one line, at most SHOWN_CHARS characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN_CHARS else flat[:SHOWN_CHARS] + "…"


# --- lexer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN NEG OR AND NOT
    value: str = ""


_FIELD_RE = re.compile(r"([A-Za-z][A-Za-z0-9_]*):(.*)", re.DOTALL)
_COMPARE_RE = re.compile(r"(>=|<=|>|<|=)?([0-9]+)", re.ASCII)
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
                    f"unknown field '{_clip(m.group(1))}:'; use {allowed} (quote words with colons)"
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
        if name in ("upvotes", "stars"):
            return _comparison(name, tok)
        if name == "org":
            return _org(tok)
        if name == "has":
            if tok.kind == "WORD" and tok.value.lower() == "code":
                return HasCode()
            raise QueryError("has: supports only has:code")
        if tok.kind == "WORD" and tok.value.startswith("-"):
            raise QueryError(
                f"to exclude, put '-' before the field: -{name}:{_clip(tok.value[1:])}"
            )
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
        shown = f'"{_clip(text)}"' if kind is Phrase else _clip(text)
        raise QueryError(f"{shown} has no searchable words (letters or digits)")
    return kind(text=text, tokens=tokens, field=field)


_EXAMPLE = {"upvotes": 20, "stars": 100}


def _comparison(name: str, tok: _Tok) -> Upvotes | Stars:
    """`upvotes:` or `stars:` and its `[op]N` (a bare N means at least N)."""
    m = _COMPARE_RE.fullmatch(tok.value) if tok.kind == "WORD" else None
    if not m:
        example = f"{name}:>={_EXAMPLE[name]}"
        raise QueryError(f"{name}: needs a number, e.g. {example} (also >, <=, <, =)")
    digits = m.group(2)
    if len(digits) > 10 or int(digits) > MAX_UPVOTES:
        raise QueryError(f"{name}: number is too large (at most {MAX_UPVOTES})")
    kind = Upvotes if name == "upvotes" else Stars
    return kind(op=m.group(1) or ">=", n=int(digits))


def _org(tok: _Tok) -> Org:
    """`org:` and an organization's name, one word or a "quoted name"."""
    name = " ".join(tok.value.split()) if tok.kind in ("WORD", "PHRASE") else ""
    if tok.kind == "WORD" and name.startswith("-"):
        raise QueryError(f"to exclude, put '-' before the field: -org:{_clip(name[1:])}")
    if not name:
        raise QueryError(
            'org: needs an organization\'s name, e.g. org:google or org:"Hugging Face"'
        )
    return Org(name)


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


# --- describing ------------------------------------------------------------------------


def describe(query: Query | Node) -> list[str]:
    """One short line per top-level condition, each reading on from "papers that …"."""
    root = query.root if isinstance(query, Query) else query
    parts = root.children if isinstance(root, And) else (root,)
    return [_describe(p) for p in parts]


_WHERE = {"title": " in the title", "abstract": " in the abstract", "author": " among the authors"}


def _words(texts: list[str], last: str) -> str:
    """“a”, “b” or “c”."""
    quoted = [f"“{' '.join(t.split())}”" for t in texts]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {last} {quoted[-1]}"


def _describe(node: Node, negated: bool = False) -> str:
    """A condition as it reads after "papers that" (negated: its opposite)."""
    if isinstance(node, Term | Phrase):
        verb = "do not mention" if negated else "mention"
        return f"{verb} {_words([node.text], 'or')}{_WHERE.get(node.field or '', '')}"
    if isinstance(node, Upvotes):
        op = {">=": "≥", "<=": "≤"}.get(node.op, node.op)
        return f"{'do not have' if negated else 'have'} {op} {node.n} upvotes"
    if isinstance(node, HasCode):
        return "have no GitHub repository" if negated else "have a GitHub repository"
    if isinstance(node, Stars):
        op = {">=": "≥", "<=": "≤"}.get(node.op, node.op)
        return f"{'do not have' if negated else 'have'} {op} {node.n} GitHub stars"
    if isinstance(node, Org):
        verb = "were not submitted" if negated else "were submitted"
        return f"{verb} by the Hugging Face organization “{node.name}”"
    if isinstance(node, Not):
        return _describe(node.child, not negated)
    leaves = [c for c in node.children if isinstance(c, Term | Phrase)]
    if isinstance(node, Or) and len(leaves) == len(node.children):
        fields = {leaf.field for leaf in leaves}
        if len(fields) == 1:  # words in one place: “a”, “b” or “c”
            where = _WHERE.get(fields.pop() or "", "")
            texts = [leaf.text for leaf in leaves]
            if negated:
                return f"mention none of {_words(texts, 'and')}{where}"
            return f"mention {_words(texts, 'or')}{where}"
    parts = [_describe(c) for c in node.children]
    if isinstance(node, Or):
        return ("match none of: " if negated else "either ") + " or ".join(parts)
    return ("do not at once " if negated else "") + " and ".join(parts)
