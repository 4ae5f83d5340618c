"""The Store: the only code that names tables or writes SQL."""

from __future__ import annotations

import functools
import inspect
import logging
import math
import shlex
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.domain import (
    ChannelRef,
    ChannelSettings,
    DatabaseDamaged,
    Paper,
    SearchHit,
    Subscription,
    UpsertResult,
)
from bot.domain.query import Query
from storage.channels import channel_to_row, ensure_channel, row_to_channel
from storage.clicks import Clicks
from storage.feeds import FeedTokens
from storage.interests import Interests
from storage.ledger import Ledger
from storage.papers import paper_to_row, row_to_paper
from storage.schedules import Schedules
from storage.schema import migrate
from storage.search import count as count_matches
from storage.search import search as search_papers
from storage.tx import write
from storage.vectors import Vectors

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
MERGE_PAGES = 500  # FTS5 pages written per step of optimize_search (about 2 MB)
# ALTER TABLE ... DROP COLUMN (migration 004) needs SQLite 3.35.
MIN_SQLITE = (3, 35, 0)
# SQLite's primary result codes for a damaged file (https://www.sqlite.org/rescode.html):
# SQLITE_CORRUPT "database disk image is malformed", SQLITE_NOTADB "file is not a database".
# Extended codes (SQLITE_CORRUPT_VTAB: a damaged FTS5 index) keep the primary in the low byte.
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26

C = TypeVar("C", bound=type)


def is_damage(exc: BaseException) -> bool:
    """True when SQLite raised `exc` because the file is damaged (not locked, full or misused)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.DatabaseError)
        and isinstance(code, int)
        and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    )


def damaged(path: str | None, exc: sqlite3.Error) -> DatabaseDamaged:
    """The one-line DatabaseDamaged for a damaged file: which file, and what to do."""
    if path is None:
        return DatabaseDamaged(f"the in-memory database is damaged ({exc})")
    quoted = shlex.quote(path)
    return DatabaseDamaged(
        f"the database {path} is damaged (SQLite: {exc}); stop paperboy and restore the file "
        f"from a backup, or save what is left with `sqlite3 {quoted} .recover | sqlite3 "
        "recovered.db` and use recovered.db instead"
    )


def _reporting_damage(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise damaged(self._path, exc) from exc
            raise

    return call


def reports_damage(cls: C) -> C:
    """Make every public method of `cls` (its mixins' too) raise DatabaseDamaged, not a bare
    sqlite3.DatabaseError, when the file is damaged: the core and the CLI can then tell the
    operator which file and what to do, where they would otherwise show a traceback."""
    for name in dir(cls):
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(cls, name)):
            setattr(cls, name, _reporting_damage(getattr(cls, name)))
    return cls


@reports_damage
class Store(Ledger, Schedules, Clicks, FeedTokens, Vectors, Interests):
    """paperboy's SQLite archive: papers with FTS5, channels, subscriptions, deliveries.

    Threads: `self.db` is the calling thread's own connection. On a file each thread that
    uses the Store opens one the first time (same PRAGMAs, the `ln` fallback; migrations ran
    once, in `__init__`), so the loop thread and command threads run side by side: WAL lets
    readers read beside the one writer, and writers queue on SQLite's lock (`busy_timeout`).
    A ':memory:' database exists only inside its one connection, so every thread shares
    that connection: it is meant to be used by one thread at a time (tests, one-off tools);
    SQLite serializes its statements, but transactions from two threads at once would mix.
    `close()` closes every connection, whichever thread opened it.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise sqlite3.NotSupportedError(
                f"paperboy needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
                f"has {sqlite3.sqlite_version} (use Python from python.org or the Docker image)"
            )
        if not str(path).strip():  # SQLite would make a private, throwaway file per connection
            raise ValueError("the database path is empty")
        self._path = None if str(path) == ":memory:" else str(path)
        self._local = threading.local()
        self._lock = threading.Lock()  # guards _open and _closed
        # Every connection opened, with the thread it belongs to (None: shared by all).
        self._open: list[tuple[threading.Thread | None, sqlite_utils.Database]] = []
        self._closed = False
        self._shared: sqlite_utils.Database | None = None
        try:
            if self._path is None:
                self._shared = self._connect(":memory:")
                self._open.append((None, self._shared))
            else:
                first = self._thread_db()
                first.enable_wal()  # persistent: stored in the file, once for every connection
            migrate(self.db)
        except sqlite3.Error as exc:
            self.close()
            if is_damage(exc):
                raise damaged(self._path, exc) from exc
            raise

    # The mixins (Ledger, Schedules, Clicks) declare `db` as the attribute they read; here it
    # is a read-only property, one connection per thread.
    @property
    def db(self) -> sqlite_utils.Database:  # type: ignore[override]
        """The calling thread's connection (the one shared connection for ':memory:')."""
        if self._shared is not None:
            return self._shared
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        return db if db is not None else self._thread_db()

    def _thread_db(self) -> sqlite_utils.Database:
        """Open the calling thread's connection to the file; close those of ended threads."""
        assert self._path is not None
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            ended = [(t, d) for t, d in self._open if t is not None and not t.is_alive()]
            self._open = [(t, d) for t, d in self._open if t is None or t.is_alive()]
        for _thread, old in ended:
            old.close()
        db = self._connect(self._path)
        # In WAL mode NORMAL loses no committed write when paperboy crashes or is killed
        # (only a power cut can undo the last ones), and a commit costs ~0.02 ms instead
        # of ~1 ms: the ledger writes several per post.
        db.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            if self._closed:
                db.close()
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._open.append((threading.current_thread(), db))
        self._local.db = db
        return db

    @staticmethod
    def _connect(target: str) -> sqlite_utils.Database:
        """A connection with paperboy's per-connection settings. check_same_thread is off so
        that `close()` can close it from any thread; `db` hands it to one thread only (or,
        for ':memory:', to one thread at a time)."""
        db = sqlite_utils.Database(sqlite3.connect(target, check_same_thread=False))
        # Another process (a `fetch` beside `run`) or thread may hold the write lock a moment.
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")  # per connection, not per file
        # Search ranking uses ln(); SQLite has it only when built with math functions.
        try:
            db.execute("SELECT ln(1)")
        except sqlite3.OperationalError:
            db.conn.create_function("ln", 1, _ln, deterministic=True)
        return db

    def close(self) -> None:
        """Close every connection, whichever thread opened it; using the Store afterwards
        raises sqlite3.ProgrammingError."""
        with self._lock:
            self._closed = True
            dbs = [db for _thread, db in self._open]
            self._open = []
        for db in dbs:
            db.close()

    # --- papers -------------------------------------------------------------------------

    def upsert_papers(
        self,
        papers: Iterable[Paper],
        now: datetime | None = None,
        *,
        alert_from: date | None = None,
    ) -> UpsertResult:
        """Insert new papers and refresh counts of known ones; keep each paper's first day.

        With `alert_from`, new papers, and known papers of that day or later whose upvotes
        moved, are marked for the alert fan-out in the same transaction. Papers stored without
        it (a backfill) count as already alerted at their current upvotes.
        """
        stamp = _stamp(now)
        new: list[Paper] = []
        updated = 0
        with write(self.db):
            for paper in papers:
                row = paper_to_row(paper)
                existing = self.db.execute(
                    "SELECT upvotes, comments, day FROM papers WHERE id = ?", [paper.id]
                ).fetchone()
                if existing is None:
                    alerting = alert_from is not None
                    self.db.execute(
                        f"INSERT INTO papers ({', '.join(row)}, first_seen, updated_at, "
                        f"alerts_pending, alerted_upvotes) "
                        f"VALUES ({', '.join('?' for _ in row)}, ?, ?, ?, ?)",
                        [
                            *row.values(),
                            stamp,
                            stamp,
                            int(alerting),
                            None if alerting else paper.upvotes,
                        ],
                    )
                    new.append(paper)
                    continue
                # The day a paper first appeared on Daily Papers is kept; the rest refreshes.
                row.pop("day")
                updated += (existing[0], existing[1]) != (paper.upvotes, paper.comments)
                fresh = alert_from is not None and existing[2] >= alert_from.isoformat()
                assignments = ", ".join(f"{col} = ?" for col in row)
                self.db.execute(
                    f"UPDATE papers SET {assignments}, updated_at = ?, "
                    "alerts_pending = max(alerts_pending, ?) WHERE id = ?",
                    [*row.values(), stamp, int(fresh and existing[0] != paper.upvotes), paper.id],
                )
        return UpsertResult(new=tuple(new), updated=updated)

    def papers_pending_alerts(self) -> list[tuple[Paper, int | None, datetime]]:
        """Papers marked for the alert fan-out, oldest first, each with the upvotes it had at
        its last fan-out (None for a paper never fanned out) and when it was first stored."""
        rows = self.db.query("SELECT * FROM papers WHERE alerts_pending = 1 ORDER BY pk")
        return [
            (row_to_paper(r), r["alerted_upvotes"], datetime.fromisoformat(r["first_seen"]))
            for r in rows
        ]

    def clear_pending_alerts(self, snapshot: Iterable[Paper]) -> None:
        """Unmark papers whose fan-out ran on this snapshot; a paper whose upvotes moved again
        meanwhile stays marked for the next fan-out."""
        with write(self.db):
            for paper in snapshot:
                self.db.execute(
                    "UPDATE papers SET alerts_pending = 0, alerted_upvotes = ? "
                    "WHERE id = ? AND upvotes = ?",
                    [paper.upvotes, paper.id, paper.upvotes],
                )

    def get_paper(self, paper_id: str) -> Paper | None:
        """One stored paper by arXiv id."""
        rows = list(self.db.query("SELECT * FROM papers WHERE id = ?", [paper_id]))
        return row_to_paper(rows[0]) if rows else None

    def papers_on(
        self, days: Iterable[date], min_upvotes: int = 0, limit: int = 100
    ) -> list[Paper]:
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

    def optimize_search(self, pages: int = MERGE_PAGES) -> int:
        """Merge each FTS5 index's segments into one, `pages` pages per write transaction;
        return the steps taken. Every batch of papers stored adds a segment and a search
        reads them all: after a backfill of 100,000 papers a lookup costs 3x more until they
        are merged. About 4 s of work at 100,000 papers, in steps of at most a few hundred ms
        so that other writers only wait that long."""
        steps = 0
        for table in ("papers_fts", "titles_fts"):
            done = False
            while not done:
                with write(self.db):
                    before = self.db.conn.total_changes
                    # A negative page count merges towards a single segment, like 'optimize'
                    # but a bounded step at a time; under 2 changes means nothing was left.
                    self.db.execute(
                        f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", [-pages]
                    )
                    done = self.db.conn.total_changes - before < 2
                steps += 1
        return steps

    def count_papers(self) -> int:
        """How many papers are stored."""
        return int(self.db.execute("SELECT count(*) FROM papers").fetchone()[0])

    def recent_days(self, count: int) -> list[date]:
        """The newest `count` Daily Papers days that have stored papers, newest first."""
        rows = self.db.execute(
            "SELECT DISTINCT day FROM papers ORDER BY day DESC LIMIT ?", [count]
        ).fetchall()
        return [date.fromisoformat(r[0]) for r in rows]

    def search(
        self,
        query: Query,
        limit: int = 10,
        offset: int = 0,
        *,
        days: Iterable[date] | None = None,
    ) -> list[SearchHit]:
        """Ranked full-text search over stored papers (those first listed on `days`)."""
        return search_papers(self.db, query, limit=limit, offset=offset, days=days)

    def count_matches(self, query: Query, *, days: Iterable[date] | None = None) -> int:
        """How many stored papers (first listed on `days`, when given) match the query."""
        return count_matches(self.db, query, days=days)

    # --- channels -----------------------------------------------------------------------

    def channel(self, ref: ChannelRef) -> ChannelSettings | None:
        """A channel's settings, or None when paperboy has never seen it."""
        rows = list(self.db.query("SELECT * FROM channels WHERE key = ?", [ref.key]))
        return row_to_channel(rows[0]) if rows else None

    def save_channel(self, settings: ChannelSettings) -> None:
        """Create or update a channel's settings."""
        row = channel_to_row(settings)
        with write(self.db):
            self.db.execute(
                f"INSERT INTO channels ({', '.join(row)}, created_at) "
                f"VALUES ({', '.join('?' for _ in row)}, ?) "
                f"ON CONFLICT(key) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in row if col != "key"),
                [*row.values(), _stamp(None)],
            )

    def record_failure(self, ref: ChannelRef, now: datetime) -> tuple[int, datetime]:
        """Count one more consecutive failure; return the count and when failing began."""
        with write(self.db):
            ensure_channel(self.db, ref, now)
            self.db.execute(
                "UPDATE channels SET failures = failures + 1, "
                "failing_since = coalesce(failing_since, ?) WHERE key = ?",
                [_stamp(now), ref.key],
            )
            failures, since = self.db.execute(
                "SELECT failures, failing_since FROM channels WHERE key = ?", [ref.key]
            ).fetchone()
        return int(failures), datetime.fromisoformat(since)

    def reset_failures(self, ref: ChannelRef) -> None:
        """Forget a channel's failures after a successful post."""
        with write(self.db):
            self.db.execute(
                "UPDATE channels SET failures = 0, failing_since = NULL "
                "WHERE key = ? AND (failures > 0 OR failing_since IS NOT NULL)",
                [ref.key],
            )

    def pause_channel(self, ref: ChannelRef, reason: str, now: datetime) -> None:
        """Stop deliveries to a channel until someone resumes it."""
        with write(self.db):
            ensure_channel(self.db, ref, now)
            self.db.execute(
                "UPDATE channels SET paused = 1, paused_reason = ? WHERE key = ?",
                [reason[:500], ref.key],
            )

    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> bool:
        """Pause every channel of a workspace (a refused token); False if it already was."""
        with write(self.db):
            changed = self.db.execute(
                "INSERT INTO workspaces (key, platform, workspace, paused, paused_reason, "
                "paused_at) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "paused = 1, paused_reason = excluded.paused_reason, "
                "paused_at = excluded.paused_at WHERE paused = 0",
                [f"{platform}:{workspace}", platform, workspace, reason[:500], _stamp(now)],
            ).rowcount
        return bool(changed)

    def resume_workspace(self, platform: str, workspace: str) -> bool:
        """Resume a paused workspace; False if it was not paused."""
        with write(self.db):
            return bool(
                self.db.execute(
                    "UPDATE workspaces SET paused = 0 WHERE key = ? AND paused = 1",
                    [f"{platform}:{workspace}"],
                ).rowcount
            )

    def paused_workspaces(self) -> dict[tuple[str, str], str]:
        """(platform, workspace) -> why, for every paused workspace."""
        rows = self.db.execute(
            "SELECT platform, workspace, paused_reason FROM workspaces WHERE paused = 1"
        )
        return {(p, w): reason or "" for p, w, reason in rows.fetchall()}

    def set_fact(self, key: str, value: str, now: datetime) -> None:
        """Remember something learned about a platform (a channel's type, a missing scope)."""
        with write(self.db):
            self.db.execute(
                "INSERT INTO platform_facts (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [key, value, _stamp(now)],
            )

    def forget_fact(self, key: str) -> None:
        """Forget a fact that no longer holds."""
        with write(self.db):
            self.db.execute("DELETE FROM platform_facts WHERE key = ?", [key])

    def facts(self, prefix: str) -> dict[str, str]:
        """Facts whose key starts with `prefix`."""
        rows = self.db.execute(
            "SELECT key, value FROM platform_facts WHERE key >= ? AND key < ? ORDER BY key",
            [prefix, prefix + "\U0010ffff"],
        )
        return dict(rows.fetchall())

    def channels(self, *, paused: bool | None = None) -> list[ChannelSettings]:
        """All known channels, or only the paused (or unpaused) ones."""
        if paused is None:
            rows = self.db.query("SELECT * FROM channels ORDER BY key")
        else:
            rows = self.db.query(
                "SELECT * FROM channels WHERE paused = ? ORDER BY key", [int(paused)]
            )
        return [row_to_channel(r) for r in rows]

    # --- subscriptions ------------------------------------------------------------------

    def add_subscription(
        self,
        ref: ChannelRef,
        query: str,
        created_by: str,
        now: datetime,
        most: int | None = None,
    ) -> Subscription | None:
        """Add a subscription; None when the channel already has this exact query (or `most`
        already). Checked and added in one write transaction, which also bumps the
        subscriptions' version: two commands at once cannot both pass the limit."""
        with write(self.db):
            if (
                most is not None
                and self.db.execute(
                    "SELECT count(*) FROM subscriptions WHERE channel_key = ?", [ref.key]
                ).fetchone()[0]
                >= most
            ):
                return None
            version = self.subscriptions_version() + 1
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO subscriptions (channel_key, query, created_by, created_at, "
                "version) VALUES (?, ?, ?, ?, ?)",
                [ref.key, query, created_by, _stamp(now), version],
            )
            if cursor.rowcount:
                self._set_subscriptions_version(version)
        if cursor.rowcount == 0:
            return None
        return Subscription(
            id=int(cursor.lastrowid or 0),
            channel=ref,
            query=query,
            created_by=created_by,
            created_at=now,
        )

    def remove_subscription(self, ref: ChannelRef, id_or_query: str) -> Subscription | None:
        """Remove a channel's subscription by id or exact query; None when not found. Bumps the
        subscriptions' version and records the removal in the same transaction."""
        target = id_or_query.strip()
        for sub in self.subscriptions(ref):
            if (target.isdigit() and sub.id == int(target)) or sub.query == target:
                with write(self.db):
                    cursor = self.db.execute("DELETE FROM subscriptions WHERE id = ?", [sub.id])
                    if cursor.rowcount:
                        version = self.subscriptions_version() + 1
                        self.db.execute(
                            "INSERT INTO subscriptions_removed (id, version) VALUES (?, ?)",
                            [sub.id, version],
                        )
                        self._set_subscriptions_version(version)
                return sub
        return None

    def subscriptions(
        self, ref: ChannelRef | None = None, *, since_version: int = 0
    ) -> list[Subscription]:
        """Subscriptions of one channel, or of all channels, oldest first; only those added
        after `since_version`, when given."""
        sql = (
            "SELECT id, channel_key, query, created_by, created_at FROM subscriptions "
            "WHERE version > ?"
        )
        args: list[object] = [since_version]
        if ref is not None:
            sql += " AND channel_key = ?"
            args.append(ref.key)
        channels: dict[str, ChannelRef] = {}
        out = []
        for sub_id, key, query, created_by, created_at in self.db.execute(
            sql + " ORDER BY id", args
        ):
            channel = channels.get(key)
            if channel is None:
                channel = channels[key] = ChannelRef.parse(key)
            out.append(
                Subscription(
                    id=sub_id,
                    channel=channel,
                    query=query,
                    created_by=created_by,
                    created_at=datetime.fromisoformat(created_at),
                )
            )
        return out

    def subscriptions_removed(self, since_version: int = 0) -> list[int]:
        """Ids of the subscriptions removed after `since_version`, in the order removed."""
        rows = self.db.execute(
            "SELECT id FROM subscriptions_removed WHERE version > ? ORDER BY version",
            [since_version],
        )
        return [r[0] for r in rows]

    def subscriptions_version(self) -> int:
        """The version of the newest subscribe or unsubscribe."""
        row = self.db.execute(
            "SELECT value FROM meta WHERE key = 'subscriptions_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    def _set_subscriptions_version(self, version: int) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES ('subscriptions_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [str(version)],
        )

    # --- polls --------------------------------------------------------------------------

    def record_poll(self, day: date, papers: int, now: datetime) -> None:
        """Remember a successful fetch of a day."""
        with write(self.db):
            self.db.execute(
                "INSERT INTO polls (day, fetched_at, papers) VALUES (?, ?, ?) "
                "ON CONFLICT(day) DO UPDATE SET fetched_at = excluded.fetched_at, "
                "papers = excluded.papers",
                [day.isoformat(), _stamp(now), papers],
            )

    def last_poll(self) -> datetime | None:
        """When the feed was last fetched successfully."""
        row = self.db.execute("SELECT max(fetched_at) FROM polls").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def polled_days(self) -> set[date]:
        """Days that have been fetched successfully at least once."""
        return {date.fromisoformat(r[0]) for r in self.db.execute("SELECT day FROM polls")}

    def settled_days(self) -> set[date]:
        """Days last fetched after they ended (UTC): their list is complete. A day fetched
        only while it was filling up (or before an outage) is not settled."""
        rows = self.db.execute("SELECT day FROM polls WHERE fetched_at >= date(day, '+1 day')")
        return {date.fromisoformat(r[0]) for r in rows}

    def first_poll(self) -> datetime | None:
        """When the feed was first fetched successfully (paperboy's first run)."""
        row = self.db.execute("SELECT min(fetched_at) FROM polls").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None


def _ln(value: float) -> float:
    return math.log(value)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
