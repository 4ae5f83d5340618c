"""The Store: the only code that names tables or writes SQL."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from bot.domain import Paper
from storage.papers import paper_to_row, row_to_paper
from storage.schema import migrate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert changed: papers seen for the first time, and papers whose counts moved."""

    new: tuple[Paper, ...]
    updated: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """paperboy's SQLite archive: papers with FTS5, channels, subscriptions, deliveries."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        if str(path) == ":memory:":
            self.db = sqlite_utils.Database(memory=True)
        else:
            self.db = sqlite_utils.Database(str(path))
            self.db.enable_wal()
        self.db.execute("PRAGMA busy_timeout = 5000")
        migrate(self.db)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    # --- papers -------------------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper], now: datetime | None = None) -> UpsertResult:
        """Insert new papers and refresh counts of known ones; keep each paper's first day."""
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        new: list[Paper] = []
        updated = 0
        with self.db.conn:
            for paper in papers:
                row = paper_to_row(paper)
                existing = self.db.execute(
                    "SELECT upvotes, comments, day FROM papers WHERE id = ?", [paper.id]
                ).fetchone()
                if existing is None:
                    self.db.execute(
                        f"INSERT INTO papers ({', '.join(row)}, first_seen, updated_at) "
                        f"VALUES ({', '.join('?' for _ in row)}, ?, ?)",
                        [*row.values(), stamp, stamp],
                    )
                    new.append(paper)
                    continue
                # The day a paper first appeared on Daily Papers is kept; the rest refreshes.
                row.pop("day")
                if (existing[0], existing[1]) != (paper.upvotes, paper.comments):
                    updated += 1
                assignments = ", ".join(f"{col} = ?" for col in row)
                self.db.execute(
                    f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?",
                    [*row.values(), stamp, paper.id],
                )
        return UpsertResult(new=tuple(new), updated=updated)

    def get_paper(self, paper_id: str) -> Paper | None:
        """One stored paper by arXiv id."""
        rows = list(self.db.query("SELECT * FROM papers WHERE id = ?", [paper_id]))
        return row_to_paper(rows[0]) if rows else None

    def papers_on(self, days: Iterable[date], min_upvotes: int = 0, limit: int = 100) -> list[Paper]:
        """Top papers of the given Daily Papers days by upvotes, ties broken by comments."""
        day_list = [d.isoformat() for d in days]
        if not day_list:
            return []
        marks = ", ".join("?" for _ in day_list)
        rows = self.db.query(
            f"SELECT * FROM papers WHERE day IN ({marks}) AND upvotes >= ? "
            "ORDER BY upvotes DESC, comments DESC, id LIMIT ?",
            [*day_list, min_upvotes, limit],
        )
        return [row_to_paper(r) for r in rows]

    def count_papers(self) -> int:
        """How many papers are stored."""
        return int(self.db.execute("SELECT count(*) FROM papers").fetchone()[0])
