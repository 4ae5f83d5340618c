"""People's own alerts (`interests`) and who takes no direct messages (`dm_closed`)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from bot.domain import ChannelRef, Interest
from storage.tx import write

_COLUMNS = "id, channel_key, user, query, subscription_id, muted, created_at"


# A channel key of one workspace: its `platform:workspace:` prefix, compared exactly.
_IN_WORKSPACE = "substr(channel_key, 1, length(?)) = ?"


def _prefix(platform: str, workspace: str) -> tuple[str, str]:
    prefix = f"{platform}:{workspace}:"
    return prefix, prefix


def _stamp(when: datetime) -> str:
    # As papers' first_seen is stamped (seconds): "made no later than the paper" compares them.
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _interest(row: tuple[object, ...]) -> Interest:
    iid, key, user, query, sub, muted, created = row
    return Interest(
        id=int(str(iid)),
        channel=ChannelRef.parse(str(key)),
        user=str(user),
        query=str(query),
        created_at=datetime.fromisoformat(str(created)),
        subscription=int(str(sub)) if sub is not None else None,
        muted=bool(muted),
    )


class Interests:
    """Interests and closed DMs on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def interests_version(self) -> int:
        """The version of the newest change to any interest (0: none ever)."""
        row = self.db.execute(
            "SELECT max(coalesce((SELECT max(version) FROM interests), 0), "
            "coalesce((SELECT max(version) FROM interests_removed), 0))"
        ).fetchone()
        return int(row[0] or 0)

    def add_interest(
        self,
        ref: ChannelRef,
        user: str,
        query: str,
        now: datetime,
        subscription: int | None = None,
        most: int | None = None,
    ) -> tuple[Interest, bool] | None:
        """Add a person's interest made in a channel: (it, True); (the one they had, False)
        when they have this query there already (unmuted again); None when they have `most`."""
        with write(self.db):
            found = self.db.execute(
                f"SELECT {_COLUMNS} FROM interests WHERE channel_key = ? AND user = ? "
                "AND query = ?",
                [ref.key, user, query],
            ).fetchone()
            version = self.interests_version() + 1
            if found is not None:
                self.db.execute(
                    "UPDATE interests SET muted = 0, version = ? WHERE id = ? AND muted = 1",
                    [version, found[0]],
                )
                return _interest((*found[:5], 0, found[6])), False
            if most is not None and self._count(ref, user) >= most:
                return None
            cursor = self.db.execute(
                "INSERT INTO interests (channel_key, user, query, subscription_id, muted, "
                "created_at, version) VALUES (?, ?, ?, ?, 0, ?, ?)",
                [ref.key, user, query, subscription, _stamp(now), version],
            )
        return Interest(int(cursor.lastrowid or 0), ref, user, query, now, subscription), True

    def _count(self, ref: ChannelRef, user: str) -> int:
        platform, workspace, _ = ref.key.split(":", 2)
        return int(
            self.db.execute(
                f"SELECT count(*) FROM interests WHERE user = ? AND {_IN_WORKSPACE}",
                [user, *_prefix(platform, workspace)],
            ).fetchone()[0]
        )

    def interests(
        self,
        user: str | None = None,
        workspace: tuple[str, str] | None = None,
        *,
        since_version: int = 0,
    ) -> list[Interest]:
        """Interests (of one person in one workspace, when given), oldest first; only those
        changed after `since_version`, when given (muted ones included)."""
        sql = f"SELECT {_COLUMNS} FROM interests WHERE version > ?"
        args: list[object] = [since_version]
        if user is not None:
            sql += " AND user = ?"
            args.append(user)
        if workspace is not None:
            sql += f" AND {_IN_WORKSPACE}"
            args.extend(_prefix(*workspace))
        return [_interest(tuple(r)) for r in self.db.execute(sql + " ORDER BY id", args)]

    def interests_removed(self, since_version: int = 0) -> list[int]:
        """Ids of interests removed after `since_version`."""
        rows = self.db.execute(
            "SELECT id FROM interests_removed WHERE version > ? ORDER BY id", [since_version]
        )
        return [int(r[0]) for r in rows]

    def mute_interest(self, interest_id: int, muted: bool) -> bool:
        """Mute or unmute an interest; False when it is already so (or gone)."""
        with write(self.db):
            version = self.interests_version() + 1
            cursor = self.db.execute(
                "UPDATE interests SET muted = ?, version = ? WHERE id = ? AND muted != ?",
                [int(muted), version, interest_id, int(muted)],
            )
        return cursor.rowcount > 0

    def remove_interest(self, interest_id: int) -> bool:
        """Remove an interest; False when it was gone already."""
        with write(self.db):
            version = self.interests_version() + 1  # before the row that may hold it goes
            cursor = self.db.execute("DELETE FROM interests WHERE id = ?", [interest_id])
            if cursor.rowcount:
                self.db.execute(
                    "INSERT OR REPLACE INTO interests_removed (id, version) VALUES (?, ?)",
                    [interest_id, version],
                )
        return cursor.rowcount > 0

    def close_dms(self, platform: str, workspace: str, user: str, now: datetime) -> bool:
        """Record that the platform refused this person a direct message; False when it was
        recorded already."""
        with write(self.db):
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO dm_closed (platform, workspace, user, closed_at) "
                "VALUES (?, ?, ?, ?)",
                [platform, workspace, user, _stamp(now)],
            )
        return cursor.rowcount > 0

    def dms_closed(self, platform: str, workspace: str) -> set[str]:
        """The people of a workspace who take no direct messages from paperboy."""
        rows = self.db.execute(
            "SELECT user FROM dm_closed WHERE platform = ? AND workspace = ?",
            [platform, workspace],
        )
        return {str(r[0]) for r in rows}

    def reopen_dms(self, platform: str, workspace: str, user: str) -> bool:
        """Try direct messages again for this person; False when they were not closed."""
        with write(self.db):
            cursor = self.db.execute(
                "DELETE FROM dm_closed WHERE platform = ? AND workspace = ? AND user = ?",
                [platform, workspace, user],
            )
        return cursor.rowcount > 0

    def untold_closed_dms(self, platform: str, workspace: str, user: str) -> bool:
        """True once for a person whose DMs closed and who was not told yet (marks told)."""
        where = "platform = ? AND workspace = ? AND user = ? AND told = 0"
        args = [platform, workspace, user]
        if self.db.execute(f"SELECT 1 FROM dm_closed WHERE {where}", args).fetchone() is None:
            return False  # the usual answer, read without taking the write lock
        with write(self.db):
            cursor = self.db.execute(
                "UPDATE dm_closed SET told = 1 WHERE platform = ? AND workspace = ? "
                "AND user = ? AND told = 0",
                [platform, workspace, user],
            )
        return cursor.rowcount > 0
