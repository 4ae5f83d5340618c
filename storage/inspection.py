"""A database file looked at, not opened: what `paperboy doctor` reports about the archive.

The Store migrates the file it opens; a damaged, old or foreign file must be looked at, not
trusted or upgraded. So this reads the file on a connection of its own, writes nothing (the
write lock is taken and given back, to prove it could be) and creates no file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from storage.schema import MIGRATIONS

KNOWN: tuple[str, ...] = tuple(name for name, _step in MIGRATIONS)
QUICK_CHECK_LIMIT = 5  # problems `PRAGMA quick_check` lists before it stops
LOCK_TIMEOUT = 2.0  # seconds to wait for a lock before calling the file busy


@dataclass(frozen=True)
class DatabaseReport:
    """What a database file is, as found: each field is a fact, the properties sum them up."""

    path: str
    exists: bool = True  # the file is there (False: a first run creates it)
    folder_exists: bool = True  # its folder is there (checked only when the file is not)
    unwritable: Path | None = None  # the file or folder this user cannot write, if any
    busy: bool = False  # another process held the write lock: it is writing right now
    error: str | None = None  # SQLite could not read it, not the file's fault (disk, lock)
    damaged: bool = False
    problems: tuple[str, ...] = ()  # what SQLite said is damaged
    foreign: bool = False  # a SQLite file with tables but no `migrations`: not paperboy's
    applied: tuple[str, ...] = ()  # migrations recorded in the file
    known: tuple[str, ...] = KNOWN  # migrations this paperboy has, oldest first
    papers: int | None = None  # papers stored (read only when the schema is current)
    newest_day: date | None = None  # the newest day with papers (idem)

    @property
    def writable(self) -> bool:
        """The file exists, reads, and this user could write it."""
        return self.exists and self.unwritable is None and self.error is None

    @property
    def latest(self) -> str:
        """The newest migration this paperboy knows."""
        return self.known[-1]

    @property
    def pending(self) -> tuple[str, ...]:
        """Migrations the next start applies, in order."""
        return tuple(name for name in self.known if name not in self.applied)

    @property
    def newer(self) -> tuple[str, ...]:
        """Migrations recorded by a newer paperboy, sorted (the newest last)."""
        return tuple(sorted(set(self.applied) - set(self.known)))

    @property
    def current(self) -> bool:
        """paperboy's intact, writable file with every migration and none from the future."""
        return (
            self.writable
            and not self.damaged
            and not self.foreign
            and not self.pending
            and not self.newer
        )


def inspect_database(path: str | Path) -> DatabaseReport:
    """Look at the database file at `path` (a file path, not ':memory:') without changing it.

    Raises nothing for what a file can be (missing, unwritable, damaged, not a database,
    another program's, older or newer): the report says which.
    """
    name = str(path)
    file = Path(path)
    folder = file.parent
    if not file.exists():
        if not folder.is_dir():
            return DatabaseReport(name, exists=False, folder_exists=False)
        if not os.access(folder, os.W_OK | os.X_OK):
            return DatabaseReport(name, exists=False, unwritable=folder)
        return DatabaseReport(name, exists=False)
    if not (os.access(file, os.R_OK | os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        return DatabaseReport(name, unwritable=file if not os.access(file, os.W_OK) else folder)
    try:
        return _read(name, file)
    except sqlite3.OperationalError as exc:  # not the file's fault: the disk, the lock, access
        if "readonly" in str(exc):
            return DatabaseReport(name, unwritable=file)
        return DatabaseReport(name, error=str(exc))
    except sqlite3.DatabaseError as exc:  # "file is not a database", "... malformed"
        return DatabaseReport(name, damaged=True, problems=(str(exc),))


def _read(name: str, file: Path) -> DatabaseReport:
    # mode=rw: a file removed meanwhile is an error, not a new empty database.
    uri = f"{file.resolve().as_uri()}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT, isolation_level=None)
    try:
        problems = [row[0] for row in conn.execute(f"PRAGMA quick_check({QUICK_CHECK_LIMIT})")]
        if problems != ["ok"]:
            return DatabaseReport(name, damaged=True, problems=tuple(problems))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        applied = (
            tuple(row[0] for row in conn.execute("SELECT name FROM migrations"))
            if "migrations" in tables
            else ()
        )
        busy = _busy(conn)
        report = DatabaseReport(
            name, busy=busy, foreign=bool(tables) and "migrations" not in tables, applied=applied
        )
        if not report.current:
            return report
        papers = int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
        (newest,) = conn.execute("SELECT max(day) FROM papers").fetchone()
    finally:
        conn.close()
    return DatabaseReport(
        name,
        busy=busy,
        applied=applied,
        papers=papers,
        newest_day=date.fromisoformat(newest) if newest else None,
    )


def _busy(conn: sqlite3.Connection) -> bool:
    """Take the write lock and give it back (nothing is written): True when another process
    holds it right now (so the file is writable: it is being written)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return True
    return False
