"""Similarity engines' stored paper features, and the archive's term counts: `Vectors`."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import sqlite_utils

from storage.tx import write

# SQLite allows 32,766 host parameters a statement; terms and ids are read in chunks of this.
CHUNK = 900


def _chunks(items: Collection[str]) -> list[list[str]]:
    ordered = sorted(set(items))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


class Vectors:
    """Paper vectors and term counts on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def stored_vectors(self, engine: str, ids: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """The stored features of these papers for an engine, by paper id, each with the
        digest of the texts they were computed from (missing: absent)."""
        found: dict[str, tuple[str, bytes]] = {}
        for chunk in _chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.execute(
                f"SELECT paper_id, digest, vector FROM paper_vectors WHERE engine = ? "
                f"AND paper_id IN ({marks})",
                [engine, *chunk],
            ).fetchall()
            found.update((str(pid), (str(digest), bytes(vec))) for pid, digest, vec in rows)
        return found

    def save_vectors(self, engine: str, vectors: Mapping[str, tuple[str, bytes]]) -> None:
        """Store papers' features for an engine, each with its texts' digest (replacing
        features computed from other texts)."""
        if not vectors:
            return
        with write(self.db):
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO paper_vectors (engine, paper_id, digest, vector) "
                "VALUES (?, ?, ?, ?)",
                [(engine, pid, digest, vec) for pid, (digest, vec) in vectors.items()],
            )

    def term_counts(self, terms: Collection[str]) -> dict[str, int]:
        """How many stored papers have each term (FTS5 tokens), from the search index."""
        found: dict[str, int] = {}
        for chunk in _chunks(terms):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.execute(
                f"SELECT term, doc FROM papers_vocab WHERE term IN ({marks})", chunk
            ).fetchall()
            found.update((str(t), int(d)) for t, d in rows)
        return found
