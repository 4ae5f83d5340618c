"""Row <-> ChannelSettings conversion for the `channels` table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from bot.domain import ChannelRef, ChannelSettings


def ensure_channel(db: sqlite_utils.Database, ref: ChannelRef, now: datetime) -> None:
    """Add a channel row with defaults unless it exists (inside the caller's transaction)."""
    db.execute(
        "INSERT OR IGNORE INTO channels (key, platform, workspace, channel, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            ref.key,
            ref.platform,
            ref.workspace,
            ref.channel,
            now.astimezone(UTC).isoformat(timespec="seconds"),
        ],
    )


def channel_to_row(settings: ChannelSettings) -> dict[str, Any]:
    """The `channels` columns for a ChannelSettings (without created_at)."""
    ref = settings.channel
    return {
        "key": ref.key,
        "platform": ref.platform,
        "workspace": ref.workspace,
        "channel": ref.channel,
        "paused": int(settings.paused),
        "paused_reason": settings.paused_reason,
        "failures": settings.failures,
    }


def row_to_channel(row: dict[str, Any]) -> ChannelSettings:
    """A ChannelSettings from a `channels` row."""
    return ChannelSettings(
        channel=ChannelRef(row["platform"], row["workspace"], row["channel"]),
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
        failures=row["failures"],
    )
