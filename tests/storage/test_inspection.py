"""inspect_database on real files: what it finds in each kind of file, and that it changes none
(no migration applied, no file created, not a byte of the database written)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from storage import inspection
from storage.inspection import KNOWN, DatabaseReport, inspect_database
from storage.schema import MIGRATIONS
from storage.store import Store
from tests.helpers import at, make_paper
from tests.storage.damage import damage

DAY = date(2026, 11, 25)
NOW = at("2026-11-25 15:00")


def _archive(path: Path, papers: int = 2) -> Path:
    """A closed paperboy database with `papers` papers, the newest on DAY."""
    store = Store(path)
    store.upsert_papers(
        [
            make_paper(f"2411.{i:05d}", DAY if i else date(2026, 11, 24), i, summary="ab " * 60)
            for i in range(papers)
        ],
        NOW,
    )
    store.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_healthy_database_is_current_with_its_papers(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    before = _digest(db)
    report = inspect_database(db)
    assert report == DatabaseReport(
        str(db), applied=report.applied, papers=2, newest_day=DAY
    )  # every other field as a healthy file has it
    assert sorted(report.applied) == sorted(KNOWN)
    assert report.exists and report.writable and report.current
    assert not report.damaged and not report.foreign and not report.busy
    assert report.pending == () and report.newer == ()
    assert report.latest == MIGRATIONS[-1][0] == KNOWN[-1]
    assert _digest(db) == before


def test_an_empty_archive_has_no_papers_and_no_newest_day(tmp_path: Path) -> None:
    report = inspect_database(_archive(tmp_path / "paperboy.db", papers=0))
    assert report.current and (report.papers, report.newest_day) == (0, None)


def test_a_write_lock_held_by_another_process_is_busy_not_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inspection, "LOCK_TIMEOUT", 0.05)
    db = _archive(tmp_path / "paperboy.db")
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        report = inspect_database(db)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert report.busy and report.writable and report.current and report.papers == 2


def test_a_damaged_database_is_reported_not_raised(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db", papers=300)
    damage(db)
    before = _digest(db)
    report = inspect_database(db)
    assert report.damaged and report.problems and report.problems != ("ok",)
    assert not report.current and all(report.problems)
    assert len(report.problems) <= inspection.QUICK_CHECK_LIMIT
    assert report.papers is None  # nothing more is read from a damaged file
    assert _digest(db) == before


def test_a_file_that_is_not_a_database_is_damaged(tmp_path: Path) -> None:
    garbage = tmp_path / "paperboy.db"
    garbage.write_bytes(b"not sqlite at all " * 500)
    report = inspect_database(garbage)
    assert report.damaged and report.problems == ("file is not a database",)
    assert not report.current
    assert garbage.read_bytes() == b"not sqlite at all " * 500


def test_another_program_s_sqlite_file_is_foreign(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    report = inspect_database(other)
    assert report.foreign and not report.damaged and not report.current
    assert report.applied == () and report.papers is None
    with sqlite3.connect(other) as conn:  # no migrations table was made
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["notes"]


def test_an_empty_file_is_paperboy_s_with_every_migration_pending(tmp_path: Path) -> None:
    empty = tmp_path / "paperboy.db"
    empty.touch()
    report = inspect_database(empty)
    assert not report.foreign and not report.damaged
    assert report.pending == KNOWN and not report.current
    assert empty.stat().st_size == 0


def test_pending_migrations_are_listed_and_not_applied(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    last = KNOWN[-1]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM migrations WHERE name = ?", [last])
    conn.close()
    report = inspect_database(db)
    assert report.pending == (last,) and report.newer == ()
    assert report.writable and not report.current and report.papers is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT 1 FROM migrations WHERE name = ?", [last]).fetchone() is None
    conn.close()


def test_a_schema_from_a_newer_paperboy_is_listed(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO migrations VALUES (?, datetime('now'))",
            [("999_from_the_future",), ("998_also_ahead",)],
        )
    conn.close()
    report = inspect_database(db)
    assert report.newer == ("998_also_ahead", "999_from_the_future")
    assert report.pending == () and not report.current and report.papers is None


def test_a_missing_file_is_not_created(tmp_path: Path) -> None:
    report = inspect_database(tmp_path / "new.db")
    assert not report.exists and report.folder_exists and report.unwritable is None
    assert not report.writable and not report.current
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_reported_and_not_created(tmp_path: Path) -> None:
    report = inspect_database(str(tmp_path / "nowhere" / "new.db"))
    assert report.path == str(tmp_path / "nowhere" / "new.db")
    assert not report.exists and not report.folder_exists and not report.current
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anything")
def test_a_read_only_file_or_folder_is_named(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    db.chmod(0o444)
    try:
        assert inspect_database(db).unwritable == db
    finally:
        db.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        assert inspect_database(db).unwritable == tmp_path
        assert inspect_database(tmp_path / "new.db").unwritable == tmp_path
    finally:
        tmp_path.chmod(0o755)
