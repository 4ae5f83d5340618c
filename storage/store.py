"""The Store: the only code that names tables or writes SQL."""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from bot.domain import ChannelRef, ChannelSettings, Paper, SearchHit, Subscription, UpsertResult
from bot.domain.query import Query
from storage.channels import channel_to_row, ensure_channel, row_to_channel
from storage.ledger import Ledger
from storage.papers import paper_to_row, row_to_paper
from storage.schedules import Schedules
from storage.schema import migrate
from storage.search import count as count_matches
from storage.search import search as search_papers
from storage.tx import write

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# ALTER TABLE ... DROP COLUMN (migration 004) needs SQLite 3.35.
MIN_SQLITE = (3, 35, 0)


class Store(Ledger, Schedules):
    """paperboy's SQLite archive: papers with FTS5, channels, subscriptions, deliveries."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise sqlite3.NotSupportedError(
                f"paperboy needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
                f"has {sqlite3.sqlite_version} (use Python from python.org or the Docker image)")
        if str(path) == ":memory:":
            self.db = sqlite_utils.Database(memory=True)
        else:
            self.db = sqlite_utils.Database(str(path))
            self.db.enable_wal()
            # In WAL mode NORMAL loses no committed write when paperboy crashes or is killed
            # (only a power cut can undo the last ones), and a commit costs ~0.02 ms instead
            # of ~1 ms: the ledger writes several per post.
            self.db.execute("PRAGMA synchronous = NORMAL")
        # Another process (a `fetch` beside `run`) may hold the write lock for a moment.
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Search ranking uses ln(); SQLite has it only when built with math functions.
        try:
            self.db.execute("SELECT ln(1)")
        except sqlite3.OperationalError:
            self.db.conn.create_function("ln", 1, _ln, deterministic=True)
        migrate(self.db)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

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
                        [*row.values(), stamp, stamp, int(alerting),
                         None if alerting else paper.upvotes],
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
                    [*row.values(), stamp, int(fresh and existing[0] != paper.upvotes),
                     paper.id],
                )
        return UpsertResult(new=tuple(new), updated=updated)

    def papers_pending_alerts(self) -> list[tuple[Paper, int | None]]:
        """Papers marked for the alert fan-out, oldest first, each with the upvotes it had at
        its last fan-out (None for a paper never fanned out)."""
        rows = self.db.query("SELECT * FROM papers WHERE alerts_pending = 1 ORDER BY pk")
        return [(row_to_paper(r), r["alerted_upvotes"]) for r in rows]

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
        self, query: Query, limit: int = 10, offset: int = 0, *,
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

    def pause_workspace(self, platform: str, workspace: str, reason: str,
                        now: datetime) -> bool:
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
            return bool(self.db.execute(
                "UPDATE workspaces SET paused = 0 WHERE key = ? AND paused = 1",
                [f"{platform}:{workspace}"],
            ).rowcount)

    def paused_workspaces(self) -> dict[tuple[str, str], str]:
        """(platform, workspace) -> why, for every paused workspace."""
        rows = self.db.execute(
            "SELECT platform, workspace, paused_reason FROM workspaces WHERE paused = 1")
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
            [prefix, prefix + "\U0010ffff"])
        return dict(rows.fetchall())

    def channels(self, *, paused: bool | None = None) -> list[ChannelSettings]:
        """All known channels, or only the paused (or unpaused) ones."""
        if paused is None:
            rows = self.db.query("SELECT * FROM channels ORDER BY key")
        else:
            rows = self.db.query("SELECT * FROM channels WHERE paused = ? ORDER BY key",
                                 [int(paused)])
        return [row_to_channel(r) for r in rows]

    # --- subscriptions ------------------------------------------------------------------

    def add_subscription(
        self, ref: ChannelRef, query: str, created_by: str, now: datetime
    ) -> Subscription | None:
        """Add a subscription; None when the channel already has this exact query."""
        with write(self.db):
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO subscriptions (channel_key, query, created_by, created_at) "
                "VALUES (?, ?, ?, ?)",
                [ref.key, query, created_by, _stamp(now)],
            )
        if cursor.rowcount == 0:
            return None
        return Subscription(
            id=int(cursor.lastrowid or 0), channel=ref, query=query, created_by=created_by,
            created_at=now,
        )

    def remove_subscription(self, ref: ChannelRef, id_or_query: str) -> Subscription | None:
        """Remove a channel's subscription by id or exact query; None when not found."""
        target = id_or_query.strip()
        for sub in self.subscriptions(ref):
            if (target.isdigit() and sub.id == int(target)) or sub.query == target:
                with write(self.db):
                    self.db.execute("DELETE FROM subscriptions WHERE id = ?", [sub.id])
                return sub
        return None

    def subscriptions(self, ref: ChannelRef | None = None) -> list[Subscription]:
        """Subscriptions of one channel, or of all channels, oldest first."""
        if ref is None:
            rows = self.db.query("SELECT * FROM subscriptions ORDER BY id")
        else:
            rows = self.db.query(
                "SELECT * FROM subscriptions WHERE channel_key = ? ORDER BY id", [ref.key]
            )
        return [
            Subscription(
                id=r["id"],
                channel=ChannelRef.parse(r["channel_key"]),
                query=r["query"],
                created_by=r["created_by"],
                created_at=datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]

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
