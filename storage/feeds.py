"""Channels' secret feed tokens, and what each channel received: `FeedTokens`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import sqlite_utils

from bot.domain import ChannelRef
from storage.tx import write


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


class FeedTokens:
    """Feed tokens on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def feed_token(self, ref: ChannelRef) -> str | None:
        """The channel's feed token, or None when its feeds are off."""
        row = self.db.execute(
            "SELECT token FROM feed_tokens WHERE channel_key = ?", [ref.key]
        ).fetchone()
        return str(row[0]) if row else None

    def set_feed_token(self, ref: ChannelRef, token: str | None, now: datetime) -> None:
        """Give the channel this feed token (replacing its old one), or none (feeds off)."""
        with write(self.db):
            self.db.execute("DELETE FROM feed_tokens WHERE channel_key = ?", [ref.key])
            if token is not None:
                self.db.execute(
                    "INSERT INTO feed_tokens (channel_key, token, created_at) VALUES (?, ?, ?)",
                    [ref.key, token, _stamp(now)],
                )

    def feed_channel(self, token: str) -> ChannelRef | None:
        """The channel whose feed token this is, or None."""
        row = self.db.execute(
            "SELECT channel_key FROM feed_tokens WHERE token = ?", [token]
        ).fetchone()
        return ChannelRef.parse(row[0]) if row else None

    def received(
        self, ref: ChannelRef, kinds: Collection[str], limit: int
    ) -> list[tuple[str, str, str | None, datetime]]:
        """A channel's wholly sent posts of these kinds, newest first, at most `limit`: each
        (kind, ref, payload, sent_at)."""
        if not kinds:
            return []
        marks = ", ".join("?" for _ in kinds)
        rows = self.db.execute(
            f"SELECT kind, ref, payload, sent_at FROM deliveries WHERE channel_key = ? "
            f"AND kind IN ({marks}) AND state = 'sent' AND sent_at IS NOT NULL "
            "ORDER BY sent_at DESC, rowid DESC LIMIT ?",
            [ref.key, *kinds, limit],
        ).fetchall()
        return [(k, r, p, datetime.fromisoformat(s)) for k, r, p, s in rows]
