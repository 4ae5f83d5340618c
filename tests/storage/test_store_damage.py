"""A damaged database file: every Store method says which file and how to repair it
(DatabaseDamaged), while SQLite's other errors stay what they are."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.domain import DatabaseDamaged
from storage.store import Store
from tests.helpers import at, make_paper
from tests.storage.damage import damage

DAY = date(2026, 11, 25)
NOW = at("2026-11-25 15:00")


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A real archive of 300 papers, closed, then with pages of its papers overwritten."""
    path = tmp_path / "paperboy.db"
    store = Store(path)
    papers = [
        make_paper(f"2411.{i:05d}", DAY, i, summary="diffusion models " * 60) for i in range(300)
    ]
    store.upsert_papers(papers, NOW)
    store.close()
    damage(path)
    return path


def test_reading_a_damaged_file_raises_database_damaged_naming_the_file_and_the_repair(
    damaged: Path,
) -> None:
    store = Store(damaged)  # the header and schema are whole: it opens
    try:
        with pytest.raises(DatabaseDamaged) as caught:
            store.papers_on([DAY], limit=300)
    finally:
        store.close()
    message = str(caught.value)
    assert message.startswith(
        f"the database {damaged} is damaged (SQLite: database disk image is malformed)"
    )
    assert f"`sqlite3 {damaged} .recover | sqlite3 recovered.db`" in message
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_writing_to_a_damaged_file_raises_database_damaged(damaged: Path) -> None:
    store = Store(damaged)
    try:
        with pytest.raises(DatabaseDamaged):
            store.upsert_papers([make_paper(f"2411.{i:05d}", DAY, 999) for i in range(300)], NOW)
    finally:
        store.close()


def test_the_mixins_methods_report_damage_too(tmp_path: Path) -> None:
    path = tmp_path / "paperboy.db"
    Store(path).close()
    damage(path, ("deliveries", "meta", "sqlite_autoindex_meta_1"), every=1)
    store = Store(path)
    try:
        with pytest.raises(DatabaseDamaged):
            store.open_deliveries(NOW)  # the Ledger's
        with pytest.raises(DatabaseDamaged):
            store.schedules_version()  # Schedules'
    finally:
        store.close()


def test_a_file_that_is_not_a_database_is_damaged_at_open(tmp_path: Path) -> None:
    path = tmp_path / "paperboy.db"
    path.write_bytes(b"\xa5" * 8192)
    with pytest.raises(DatabaseDamaged, match=r"\(SQLite: file is not a database\)"):
        Store(path)


def test_other_sqlite_errors_are_not_called_damage(tmp_path: Path) -> None:
    store = Store(tmp_path / "paperboy.db")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError) as caught:  # a DatabaseError, not damage
        store.count_papers()
    assert not isinstance(caught.value, DatabaseDamaged)


def test_an_empty_path_is_refused_rather_than_a_throwaway_file() -> None:
    with pytest.raises(ValueError, match="the database path is empty"):
        Store("")
