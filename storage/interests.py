"""People's own alerts, and who takes no direct messages: `Interests`."""

from __future__ import annotations

import sqlite_utils


class Interests:
    """Interests on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database
