"""Row <-> ChannelSettings conversion for the `channels` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import ChannelRef, ChannelSettings, WeekendPolicy


def channel_to_row(settings: ChannelSettings) -> dict[str, Any]:
    """The `channels` columns for a ChannelSettings (without created_at)."""
    ref = settings.channel
    return {
        "key": ref.key,
        "platform": ref.platform,
        "workspace": ref.workspace,
        "channel": ref.channel,
        "digest_enabled": int(settings.digest_enabled),
        "digest_time": settings.digest_time,
        "timezone": settings.timezone,
        "size": settings.size,
        "min_upvotes": settings.min_upvotes,
        "weekends": settings.weekends.value,
        "paused": int(settings.paused),
        "paused_reason": settings.paused_reason,
        "failures": settings.failures,
        "digest_enabled_at": (
            settings.digest_enabled_at.isoformat() if settings.digest_enabled_at else None
        ),
    }


def row_to_channel(row: dict[str, Any]) -> ChannelSettings:
    """A ChannelSettings from a `channels` row."""
    return ChannelSettings(
        channel=ChannelRef(row["platform"], row["workspace"], row["channel"]),
        digest_enabled=bool(row["digest_enabled"]),
        digest_time=row["digest_time"],
        timezone=row["timezone"],
        size=row["size"],
        min_upvotes=row["min_upvotes"],
        weekends=WeekendPolicy(row["weekends"]),
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
        failures=row["failures"],
        digest_enabled_at=(
            datetime.fromisoformat(row["digest_enabled_at"]) if row["digest_enabled_at"] else None
        ),
    )
