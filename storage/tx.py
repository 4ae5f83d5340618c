"""Write transactions that take SQLite's write lock up front, so `busy_timeout` applies."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction (`BEGIN IMMEDIATE`); nested blocks become savepoints.

    A deferred `BEGIN` that reads and then writes fails at once with "database is locked"
    when another process writes meanwhile (SQLite cannot upgrade the read lock without
    breaking isolation); `IMMEDIATE` waits for the lock, up to the busy timeout, instead.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"pb_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.commit()
