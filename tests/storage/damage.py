"""Damaging a real database file the way a disk or a copy does: pages overwritten with garbage."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

PAGE_GARBAGE = b"\xa5"


def damage(
    path: Path, tables: Sequence[str] = ("papers", "papers_fts_data"), every: int = 2
) -> int:
    """Write garbage over every `every`th leaf page of `tables` (tables or indexes) in a
    closed database file: its header and schema stay whole, so it opens, and reading those
    tables fails. Return how many pages were overwritten."""
    db = sqlite3.connect(path)  # dbstat: SQLite's table of every page and what it holds
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        marks = ", ".join("?" for _ in tables)
        rows = db.execute(
            f"SELECT pageno FROM dbstat WHERE name IN ({marks}) AND pagetype = 'leaf' "
            "ORDER BY pageno",
            list(tables),
        ).fetchall()
    finally:
        db.close()
    pages = [page for (page,) in rows][::every]
    assert pages, f"no leaf pages of {tables} in {path}"
    with path.open("r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(PAGE_GARBAGE * page_size)
    return len(pages)
