"""Channels' secret feed tokens, and what each channel received: `FeedTokens`."""

from __future__ import annotations

import sqlite_utils


class FeedTokens:
    """Feed tokens on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database
