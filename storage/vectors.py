"""The similarity engines' stored paper vectors: `Vectors`."""

from __future__ import annotations

import sqlite_utils


class Vectors:
    """Paper vectors on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database
