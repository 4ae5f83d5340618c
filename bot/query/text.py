"""Tokenize text exactly as the FTS5 index does, by asking an in-memory SQLite FTS5 table.

Search (SQLite FTS5) and alert matching (this module) must agree on case folding, diacritics and
stemming. Rather than reimplementing the porter/unicode61 tokenizers, we run the text through an
in-memory FTS5 table declared with `bot.domain.FTS_TOKENIZE` and read the tokens back from an
`fts5vocab` table of type 'instance' (term, doc, column, offset), so stems match by construction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache

from bot.domain import FTS_TOKENIZE
from bot.domain.query import Tokens

# Texts at most this long are cached (query words and phrases); paper texts are not.
_CACHE_TEXT_LIMIT = 300


class _Tokenizer:
    """One in-memory SQLite connection with a contentless FTS5 table per column count."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._tables: set[int] = set()

    def _table(self, width: int) -> str:
        name = f"tok{width}"
        if width not in self._tables:
            cols = ", ".join(f"c{i}" for i in range(width))
            self._conn.execute(
                f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='', "
                f"tokenize='{FTS_TOKENIZE}')"
            )
            self._conn.execute(f"CREATE VIRTUAL TABLE {name}_v USING fts5vocab({name}, instance)")
            self._tables.add(width)
        return name

    def run(self, docs: Sequence[Sequence[str]], width: int) -> list[tuple[Tokens, ...]]:
        """Tokens of every column of every doc, in position order."""
        if not docs:
            return []
        slots: list[list[list[str | None]]] = [[[] for _ in range(width)] for _ in docs]
        with self._lock:
            name = self._table(width)
            marks = ", ".join("?" for _ in range(width + 1))
            cols = ", ".join(f"c{i}" for i in range(width))
            try:
                self._conn.execute("BEGIN")
                self._conn.executemany(
                    f"INSERT INTO {name}(rowid, {cols}) VALUES ({marks})",
                    [(i, *doc) for i, doc in enumerate(docs)],
                )
                rows = self._conn.execute(f"SELECT term, doc, col, offset FROM {name}_v").fetchall()
            finally:
                self._conn.execute(f"INSERT INTO {name}({name}) VALUES ('delete-all')")
                self._conn.execute("COMMIT")
        for term, doc, col, offset in rows:
            column = slots[doc][int(col[1:])]
            if offset >= len(column):
                column.extend([None] * (offset + 1 - len(column)))
            column[offset] = term
        return [tuple(tuple(t for t in col if t is not None) for col in doc) for doc in slots]


_TOKENIZER = _Tokenizer()


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str) -> Tokens:
    return _TOKENIZER.run([[text]], 1)[0][0]


def tokenize_tuple(text: str) -> Tokens:
    """The FTS5 tokens of `text` (lowercased, diacritics removed, porter-stemmed), as a tuple."""
    if len(text) <= _CACHE_TEXT_LIMIT:
        return _tokenize_cached(text)
    return _TOKENIZER.run([[text]], 1)[0][0]


def tokenize(text: str) -> list[str]:
    """The FTS5 tokens of `text` (lowercased, diacritics removed, porter-stemmed), in order."""
    return list(tokenize_tuple(text))


def tokenize_columns(docs: Sequence[Sequence[str]]) -> list[tuple[Tokens, ...]]:
    """Tokenize many multi-column docs in one pass; result[d][c] is doc d's column c tokens.

    Every doc must have the same number of columns. Token i of a column is at FTS5 position i.
    """
    if not docs:
        return []
    width = len(docs[0])
    if width == 0 or any(len(doc) != width for doc in docs):
        raise ValueError("every doc needs the same, non-zero number of columns")
    return _TOKENIZER.run(docs, width)
