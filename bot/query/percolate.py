"""A percolator: many standing queries, indexed by the words they require, matched paper by paper.

Checking every paper against every standing query costs papers × queries evaluations, and most
queries cannot match most papers: `diffusion` needs the token `diffus` somewhere in the paper.
The index has two levels:

- *Leaves*: every distinct word or phrase (with its field) of every query, once, however many
  queries share it, indexed under its rarest token. For a paper, only the leaves indexed under
  one of its distinct tokens (any of its four texts) are looked at, and each is checked once:
  a one-token word is there when its token is, a `title:` word when it is in the title, a
  phrase when its tokens are there in a row (`PaperText.contains`). Every other leaf is absent.
- *Queries*, each under the leaves it requires (`requirement`): a set of alternative leaves of
  which every matching paper has at least one. A query that is one leaf or an OR of leaves
  (`diffusion`, `rlhf OR "preference optimization"`) matches exactly when one of its leaves is
  there: it is never evaluated. Any other query is evaluated only when one of its required
  leaves is there, a query with no positive word (`-survey`, `upvotes:>=20`, `has:code OR
  diffusion`) for every paper: compiled once into a function of the paper (`matches`' rules)
  in which a word or phrase is a lookup among the leaves found and a filter reads the paper.

The answer is the one checking every pair gives; only the work differs. Which token a leaf is
indexed under, and which leaves a query under, is a guess at rarity (`Cost`): document
frequencies from a sample of papers (`frequency_cost`), else token length. A poor guess costs
time, never a wrong answer. Each distinct query is parsed once, by the caller, and kept,
however many keys (subscriptions) stand for it.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

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
    TextLeaf,
    Tokens,
    Upvotes,
)
from bot.query.match import PaperText, matches, stars_match

K = TypeVar("K", bound=Hashable)

# How common a token is (lower: rarer, better to index on).
Cost = Callable[[str], float]


def length_cost(token: str) -> float:
    """A guess without frequencies: a long stem (`quantiz`) is rarer than a short one."""
    return 1.0 / (1 + len(token))


def frequency_cost(sample: Iterable[PaperText]) -> Cost:
    """Rarity from a sample of papers: how many of them contain the token (length breaks ties)."""
    df: Counter[str] = Counter()
    for text in sample:
        df.update(tokens_of(text))
    return lambda token: df.get(token, 0) + length_cost(token)


def tokens_of(text: PaperText) -> set[str]:
    """A paper's distinct tokens, over all its texts."""
    out: set[str] = set()
    for column in text.columns:
        out.update(column)
    return out


# --- what a query requires --------------------------------------------------------------------


def rarest(leaf: TextLeaf, cost: Cost = length_cost) -> str:
    """The token of a word or phrase to find it by: every paper having the leaf has it."""
    return min(leaf.tokens, key=lambda t: (cost(t), t))


def requirement(node: Node, cost: Cost = length_cost) -> frozenset[TextLeaf] | None:
    """Words and phrases of which every paper matching `node` has at least one.

    None when there are none: the query can match a paper that has no particular word
    (`-survey`, `upvotes:>=20`, `has:code OR diffusion`), so it is checked for every paper.
    Of the children of an AND, the rarest requirement is taken: the fewest papers expected,
    a leaf being no more common than its rarest token (`cost`).
    """
    return _requirement(node, True, lambda leaf: cost(rarest(leaf, cost)))


def _requirement(
    node: Node, positive: bool, leaf_cost: Callable[[TextLeaf], float]
) -> frozenset[TextLeaf] | None:
    """The requirement of `node` when `positive`, else of `NOT node`."""
    if isinstance(node, Term | Phrase):
        return frozenset({node}) if positive else None  # a paper without it matches `-word`
    if isinstance(node, Not):
        return _requirement(node.child, not positive, leaf_cost)
    if isinstance(node, And | Or):
        options = [_requirement(c, positive, leaf_cost) for c in node.children]
        if isinstance(node, And) == positive:  # a AND b; NOT (a OR b) = -a AND -b
            known = [o for o in options if o is not None]  # each holds: take the rarest
            if not known:
                return None
            # (a tie goes to the first child: the same query is indexed the same way)
            return min(known, key=lambda o: (sum(map(leaf_cost, o)), len(o)))
        # a OR b; NOT (a AND b) = -a OR -b: one of them holds, so any of their leaves
        if any(o is None for o in options):
            return None
        return frozenset().union(*options)  # type: ignore[arg-type]
    return None  # Upvotes, HasCode, Stars, Org: no word


def _is_leaf_union(node: Node) -> bool:
    """One word or phrase, or an OR of them: it matches exactly when one of them is there."""
    if isinstance(node, Or):
        return all(isinstance(c, Term | Phrase) for c in node.children)
    return isinstance(node, Term | Phrase)


def _text_leaves(node: Node) -> Iterable[TextLeaf]:
    if isinstance(node, Term | Phrase):
        yield node
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _text_leaves(child)
    elif isinstance(node, Not):
        yield from _text_leaves(node.child)


# --- the index ----------------------------------------------------------------------------------


LeafKey = tuple[Tokens, str | None]  # a word and a phrase of the same tokens are one leaf


class _Leaf:
    """A distinct word or phrase (with its field), shared by every query that has it."""

    __slots__ = ("check", "cost", "exact", "key", "token", "triggers", "uses")

    def __init__(self, leaf: TextLeaf, cost: Cost) -> None:
        self.key: LeafKey = (leaf.tokens, leaf.field)
        self.token = rarest(leaf, cost)
        self.cost = cost(self.token)
        self.check = _leaf_check(leaf)  # None: found by its token is found
        self.exact: dict[_Entry, None] = {}  # queries that match whenever it is there
        self.triggers: dict[_Entry, None] = {}  # queries to evaluate when it is there
        self.uses = 0  # how many distinct queries have it


def _leaf_check(leaf: TextLeaf) -> Callable[[PaperText, set[str]], bool] | None:
    """Is the leaf in a paper (its texts, its tokens) that has the token it is indexed by?"""
    words, where = leaf.tokens, leaf.field
    if len(words) == 1:
        if where is None:
            return None
        column = TEXTS.index(where)
        token = words[0]
        return lambda text, tokens: token in text.columns[column]
    need = frozenset(words)  # only when all its tokens are there do their positions matter
    return lambda text, tokens: need <= tokens and text.contains(words, where)


class _Doc:
    """One paper as the evaluated queries read it: its texts, the paper, and the leaves found."""

    __slots__ = ("found", "paper", "text")

    def __init__(self, text: PaperText, paper: Paper, found: set[_Leaf]) -> None:
        self.text = text
        self.paper = paper
        self.found = found


Check = Callable[[_Doc], bool]


def _joined(checks: tuple[Check, ...], every: Callable[[Iterable[bool]], bool]) -> Check | None:
    """The checks joined by AND (`every` is `all`) or OR (`any`); None for none."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        if every is all:
            return lambda doc: first(doc) and second(doc)
        return lambda doc: first(doc) or second(doc)
    if len(checks) == 3:
        one, two, three = checks
        if every is all:
            return lambda doc: one(doc) and two(doc) and three(doc)
        return lambda doc: one(doc) or two(doc) or three(doc)
    return lambda doc: every(check(doc) for check in checks)


def _cheap_first(node: Node) -> int:
    """The order to evaluate siblings in (any order gives the same answer): filters and
    single exclusions are a lookup each, groups take longer."""
    if isinstance(node, Upvotes | HasCode | Stars | Org):
        return 0
    return 1 if isinstance(node, Not) and isinstance(node.child, Term | Phrase) else 2


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}


def _compile(node: Node, leaf_of: Callable[[TextLeaf], _Leaf]) -> Check:
    """`node` as a function of a _Doc, equal to `matches(node, doc.text, doc.paper)`."""
    if isinstance(node, Term | Phrase):
        leaf = leaf_of(node)
        return lambda doc: leaf in doc.found
    if isinstance(node, Not):
        if isinstance(node.child, Term | Phrase):
            absent = leaf_of(node.child)
            return lambda doc: absent not in doc.found
        inner = _compile(node.child, leaf_of)
        return lambda doc: not inner(doc)
    if isinstance(node, And | Or):
        # the words and phrases among the children at once (a set operation), then the rest
        words = frozenset(leaf_of(c) for c in node.children if isinstance(c, Term | Phrase))
        rest = tuple(
            _compile(c, leaf_of)
            for c in sorted(node.children, key=_cheap_first)
            if not isinstance(c, Term | Phrase)
        )
        others = _joined(rest, all if isinstance(node, And) else any)
        if isinstance(node, And):
            if others is None:
                return lambda doc: words <= doc.found
            return lambda doc: words <= doc.found and others(doc)
        if others is None:
            return lambda doc: not words.isdisjoint(doc.found)
        if not words:
            return others
        return lambda doc: (not words.isdisjoint(doc.found)) or others(doc)
    if isinstance(node, Upvotes):
        compare, n = _COMPARE[node.op], node.n
        return lambda doc: compare(doc.paper.upvotes, n)
    if isinstance(node, HasCode):
        return lambda doc: bool(doc.paper.github_repo)
    if isinstance(node, Stars):
        return lambda doc: stars_match(node, doc.paper)
    if isinstance(node, Org):
        return lambda doc: node.matches(doc.paper.organization)
    return lambda doc: matches(node, doc.text, doc.paper)  # pragma: no cover - a new kind


class _Entry(Generic[K]):
    """One distinct parsed query and the keys that stand for it."""

    __slots__ = ("check", "keys", "leaves", "query")

    def __init__(self, query: Query, leaves: list[_Leaf], check: Check) -> None:
        self.query = query
        self.leaves = leaves
        self.check = check
        self.keys: dict[K, None] = {}  # an insertion-ordered set


class Percolator(Generic[K]):
    """Standing queries, each under a key (a subscription), indexed by the words they require.

    Not thread-safe: change it and match with it from one thread at a time.
    """

    def __init__(self, cost: Cost = length_cost) -> None:
        self.cost = cost
        self._entries: dict[Node, _Entry[K]] = {}  # by AST: `a b` and `a AND b` share one
        self._of_key: dict[K, _Entry[K]] = {}
        self._leaves: dict[LeafKey, _Leaf] = {}
        self._by_token: dict[str, dict[_Leaf, None]] = {}
        self._always: dict[_Entry[K], None] = {}  # evaluated for every paper

    def __len__(self) -> int:
        return len(self._of_key)

    def __contains__(self, key: object) -> bool:
        return key in self._of_key

    @property
    def distinct(self) -> int:
        """How many distinct queries are indexed."""
        return len(self._entries)

    @property
    def leaves(self) -> int:
        """How many distinct words and phrases the queries have."""
        return len(self._leaves)

    @property
    def unindexed(self) -> int:
        """How many distinct queries are evaluated for every paper (no positive word)."""
        return len(self._always)

    def query(self, key: K) -> Query | None:
        """The parsed query `key` stands for."""
        entry = self._of_key.get(key)
        return None if entry is None else entry.query

    def add(self, key: K, query: Query) -> None:
        """Index `query` under `key` (instead of what `key` stood for before)."""
        if key in self._of_key:
            self.remove(key)
        entry = self._entries.get(query.root)
        if entry is None:
            entry = self._entries[query.root] = self._entry(query)
        entry.keys[key] = None
        self._of_key[key] = entry

    def _leaf(self, node: TextLeaf) -> _Leaf:
        leaf = self._leaves.get((node.tokens, node.field))
        if leaf is None:
            leaf = self._leaves[node.tokens, node.field] = _Leaf(node, self.cost)
            self._by_token.setdefault(leaf.token, {})[leaf] = None
        return leaf

    def _entry(self, query: Query) -> _Entry[K]:
        root = query.root
        leaves = list(dict.fromkeys(map(self._leaf, _text_leaves(root))))
        for leaf in leaves:
            leaf.uses += 1
        entry: _Entry[K] = _Entry(query, leaves, _compile(root, self._leaf))
        if _is_leaf_union(root):  # never evaluated: found with one of its leaves
            for leaf in leaves:
                leaf.exact[entry] = None
            return entry
        required = _requirement(root, True, lambda node: self._leaf(node).cost)
        if required is None:
            self._always[entry] = None
        for node in required or ():
            self._leaf(node).triggers[entry] = None
        return entry

    def remove(self, key: K) -> None:
        """Forget `key`; a query no key stands for any more leaves the index, with the words
        and phrases no other query has."""
        entry = self._of_key.pop(key, None)
        if entry is None:
            return
        del entry.keys[key]
        if entry.keys:
            return
        del self._entries[entry.query.root]
        self._always.pop(entry, None)
        for leaf in entry.leaves:
            leaf.exact.pop(entry, None)
            leaf.triggers.pop(entry, None)
            leaf.uses -= 1
            if leaf.uses == 0:
                del self._leaves[leaf.key]
                bucket = self._by_token[leaf.token]
                del bucket[leaf]
                if not bucket:
                    del self._by_token[leaf.token]

    def _found(self, text: PaperText) -> set[_Leaf]:
        """The leaves a paper has: each one indexed under one of its tokens, checked once."""
        tokens = tokens_of(text)
        found: set[_Leaf] = set()
        by_token = self._by_token
        for token in tokens:
            bucket = by_token.get(token)
            if bucket is not None:
                for leaf in bucket:
                    if leaf.check is None or leaf.check(text, tokens):
                        found.add(leaf)
        return found

    def candidates(self, text: PaperText) -> tuple[int, int]:
        """The work for one paper: how many distinct queries it matches without evaluating
        them (one of their leaves is there), and how many are evaluated."""
        exact: dict[_Entry[K], None] = {}
        evaluated = dict(self._always)
        for leaf in self._found(text):
            exact.update(leaf.exact)
            evaluated.update(leaf.triggers)
        return len(exact), len(evaluated)

    def match(
        self, text: PaperText, paper: Paper, earlier: Paper | None = None
    ) -> list[dict[K, None]]:
        """The keys of every query that matches the paper (`text` is its PaperText), a
        collection per query, in no particular order.

        With `earlier` (the same paper as it was before, with other upvotes), only those of the
        queries that match the paper now and did not match it then.
        """
        found = self._found(text)
        doc = _Doc(text, paper, found)
        evaluate = dict(self._always)
        if earlier is None:
            exact: dict[_Entry[K], None] = {}
            for leaf in found:
                exact.update(leaf.exact)
                evaluate.update(leaf.triggers)
            out = [entry.keys for entry in exact]
            for entry in evaluate:
                if entry.check(doc):
                    out.append(entry.keys)
            return out
        # A query of leaves alone matched the paper then as now: only filters can change.
        then = _Doc(text, earlier, found)
        for leaf in found:
            evaluate.update(leaf.triggers)
        return [entry.keys for entry in evaluate if entry.check(doc) and not entry.check(then)]
