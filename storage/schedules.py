"""Per-channel, per-kind schedules: the `schedules` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from bot.domain import ChannelRef, Layout, Schedule, WeekendPolicy
from storage.channels import ensure_channel
from storage.tx import write

_VERSION_KEY = "schedules_version"


def _row(s: Schedule) -> dict[str, Any]:
    return {
        "channel_key": s.channel.key,
        "kind": s.kind,
        "enabled": int(s.enabled),
        "time": s.time,
        "timezone": s.timezone,
        "weekday": s.weekday,
        "size": s.size,
        "min_upvotes": s.min_upvotes,
        "weekends": s.weekends.value,
        "enabled_at": s.enabled_at.isoformat() if s.enabled_at else None,
        "filter": s.filter,
        "layout": s.layout.value,
        "climbers": s.climbers,
    }


def _schedule(row: dict[str, Any]) -> Schedule:
    return Schedule(
        channel=ChannelRef.parse(row["channel_key"]),
        kind=row["kind"],
        enabled=bool(row["enabled"]),
        time=row["time"],
        timezone=row["timezone"],
        weekday=row["weekday"],
        size=row["size"],
        min_upvotes=row["min_upvotes"],
        weekends=WeekendPolicy(row["weekends"]),
        enabled_at=datetime.fromisoformat(row["enabled_at"]) if row["enabled_at"] else None,
        filter=row["filter"],
        layout=Layout(row["layout"])
        if row["layout"] in Layout._value2member_map_
        else Layout.COMPACT,
        climbers=row["climbers"],
    )


class Schedules:
    """Schedules on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def schedule(self, ref: ChannelRef, kind: str) -> Schedule | None:
        """A channel's schedule of one kind, or None when it was never set."""
        rows = list(
            self.db.query(
                "SELECT * FROM schedules WHERE channel_key = ? AND kind = ?", [ref.key, kind]
            )
        )
        return _schedule(rows[0]) if rows else None

    def save_schedule(self, schedule: Schedule, now: datetime) -> int:
        """Create or update a schedule; return the schedules' new version number."""
        row = _row(schedule)
        with write(self.db):
            ensure_channel(self.db, schedule.channel, now)
            version = self._bump()
            self.db.execute(
                f"INSERT INTO schedules ({', '.join(row)}, version) "
                f"VALUES ({', '.join('?' for _ in row)}, ?) "
                "ON CONFLICT(channel_key, kind) DO UPDATE SET "
                + ", ".join(
                    f"{c} = excluded.{c}"
                    for c in [*row, "version"]
                    if c not in ("channel_key", "kind")
                ),
                [*row.values(), version],
            )
        return version

    def _bump(self) -> int:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [_VERSION_KEY],
        )
        return int(
            self.db.execute("SELECT value FROM meta WHERE key = ?", [_VERSION_KEY]).fetchone()[0]
        )

    def schedules(
        self, kind: str | None = None, *, enabled: bool | None = None, since_version: int = 0
    ) -> list[Schedule]:
        """Schedules, optionally of one kind, on or off, or changed after a version."""
        where, args = ["version > ?"], [since_version]
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)  # type: ignore[arg-type]
        if enabled is not None:
            where.append("enabled = ?")
            args.append(int(enabled))
        rows = self.db.query(
            f"SELECT * FROM schedules WHERE {' AND '.join(where)} ORDER BY channel_key, kind", args
        )
        return [_schedule(r) for r in rows]

    def schedules_version(self) -> int:
        """The version of the newest schedule change."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [_VERSION_KEY]).fetchone()
        return int(row[0]) if row else 0
