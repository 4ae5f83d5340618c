"""Readers' clicks on papers (save, not-relevant, more-like) and the reading list: `clicks`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from bot.domain import Action, ChannelRef, Click, Paper
from storage.papers import row_to_paper
from storage.tx import write

# Not relevant and More like this contradict each other: a user's newer one replaces the other.
_OPPOSITE = {Action.NOT_RELEVANT: Action.MORE_LIKE, Action.MORE_LIKE: Action.NOT_RELEVANT}
_COLUMNS = "id, channel_key, user, paper_id, action, clicked_at"
_LAST_ID = "clicks_last_id"  # in `meta`


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _click(row: tuple[Any, ...]) -> Click:
    click_id, key, user, paper_id, action, clicked_at = row
    return Click(
        id=int(click_id),
        channel=ChannelRef.parse(key),
        user=user,
        paper_id=paper_id,
        action=Action(action),
        at=datetime.fromisoformat(clicked_at),
    )


class Clicks:
    """Clicks on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def record_click(
        self, ref: ChannelRef, user: str, paper_id: str, action: Action, now: datetime
    ) -> tuple[Click, bool]:
        """Store a click once per (channel, user, paper, action); return it and whether it is
        new (False: a double click or a redelivery, the first one returned). A not-relevant
        click replaces the same user's more-like one for the paper, and the other way round."""
        where = "channel_key = ? AND user = ? AND paper_id = ? AND action = ?"
        with write(self.db):
            row = self.db.execute(
                f"SELECT {_COLUMNS} FROM clicks WHERE {where}",
                [ref.key, user, paper_id, action.value],
            ).fetchone()
            if row is not None:
                return _click(row), False
            opposite = _OPPOSITE.get(action)
            if opposite is not None:
                self.db.execute(
                    f"DELETE FROM clicks WHERE {where}", [ref.key, user, paper_id, opposite.value]
                )
            click_id = self._next_id()
            self.db.execute(
                f"INSERT INTO clicks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [click_id, ref.key, user, paper_id, action.value, _stamp(now)],
            )
        at = datetime.fromisoformat(_stamp(now))
        return Click(click_id, ref, user, paper_id, action, at), True

    def _next_id(self) -> int:
        """A click id never used before (inside the caller's write): an Undo button names its
        click by id, so an id freed by an undo must not come back for another click, as SQLite
        would reuse the highest rowid without AUTOINCREMENT."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [_LAST_ID]).fetchone()
        highest = self.db.execute("SELECT max(id) FROM clicks").fetchone()[0]
        click_id = max(int(row[0]) if row else 0, int(highest or 0)) + 1
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [_LAST_ID, str(click_id)],
        )
        return click_id

    def undo_click(self, ref: ChannelRef, user: str, click_id: int | None) -> Click | None:
        """Forget one of a user's clicks in a channel (their latest when `click_id` is None);
        None when there is no such click."""
        sql = f"SELECT {_COLUMNS} FROM clicks WHERE channel_key = ? AND user = ?"
        args: list[Any] = [ref.key, user]
        if click_id is not None:
            sql += " AND id = ?"
            args.append(click_id)
        with write(self.db):
            row = self.db.execute(sql + " ORDER BY clicked_at DESC, id DESC LIMIT 1", args)
            found = row.fetchone()
            if found is None:
                return None
            self.db.execute("DELETE FROM clicks WHERE id = ?", [found[0]])
        return _click(found)

    def clicks(self, ref: ChannelRef, since: datetime | None = None) -> list[Click]:
        """A channel's clicks (those at or after `since`), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM clicks WHERE channel_key = ?"
        args: list[Any] = [ref.key]
        if since is not None:
            sql += " AND clicked_at >= ?"
            args.append(_stamp(since))
        return [_click(r) for r in self.db.execute(sql + " ORDER BY clicked_at, id", args)]

    def reading_list(self, ref: ChannelRef) -> list[tuple[Paper, datetime]]:
        """The papers saved in a channel (by anyone), with when each was first saved, oldest
        first."""
        rows = self.db.query(
            "SELECT papers.*, saved.first_saved FROM papers JOIN ("
            "  SELECT paper_id, min(clicked_at) AS first_saved, min(id) AS first_id"
            "  FROM clicks WHERE channel_key = ? AND action = ? GROUP BY paper_id"
            ") AS saved ON saved.paper_id = papers.id "
            "ORDER BY saved.first_saved, saved.first_id",
            [ref.key, Action.SAVE.value],
        )
        return [(row_to_paper(r), datetime.fromisoformat(r["first_saved"])) for r in rows]

    def remove_saved(self, ref: ChannelRef, paper_id: str) -> int:
        """Take a paper off a channel's reading list (every save of it); return how many."""
        with write(self.db):
            cursor = self.db.execute(
                "DELETE FROM clicks WHERE channel_key = ? AND paper_id = ? AND action = ?",
                [ref.key, paper_id, Action.SAVE.value],
            )
        return int(cursor.rowcount)
