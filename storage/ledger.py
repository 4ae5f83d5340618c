"""The deliveries ledger: every post keyed by (channel, kind, ref), claimed with an owner and a
lease, its parts recorded as they go out, so a post is neither lost nor repeated."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from bot.domain import ChannelRef, LedgerEntry, PostKey
from storage.tx import write

# A post that failed this many times is not tried again (it stays in the ledger as failed);
# takeovers after a crash do not count.
MAX_ATTEMPTS = 8


def stamp(moment: datetime | None) -> str:
    """A UTC ISO timestamp with milliseconds (sorts as text)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _entry(row: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        key=PostKey(ChannelRef.parse(row["channel_key"]), row["kind"], row["ref"]),
        state=row["state"],
        attempts=row["attempts"],
        parts_sent=row["parts_sent"],
        first_id=row["message_id"],
        thread_id=row["thread_id"],
        uncertain=bool(row["uncertain"]),
        in_flight_since=_when(row["in_flight_since"]),
        payload=row["payload"],
        error=row["error"],
        claimed_at=_when(row["claimed_at"]),
        sent_at=_when(row.get("sent_at")),
    )


_KEY = "channel_key = ? AND kind = ? AND ref = ?"


def _k(key: PostKey) -> list[str]:
    return [key.channel.key, key.kind, key.ref]


def _above(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (by code point, as
    SQLite compares UTF-8 text); None for no prefix, or when no such string exists."""
    while prefix:
        after = ord(prefix[-1]) + 1
        if after == 0xD800:  # surrogates are never in a string: the next code point is
            after = 0xE000
        if after <= 0x10FFFF:
            return prefix[:-1] + chr(after)
        prefix = prefix[:-1]
    return None


class Ledger:
    """The deliveries ledger on paperboy's SQLite file (mixed into the Store)."""

    db: sqlite_utils.Database

    def take_delivery(
        self,
        key: PostKey,
        owner: str,
        now: datetime,
        lease: timedelta,
        payload: str | None = None,
        *,
        dead: Collection[str] = (),
    ) -> LedgerEntry | None:
        """Own a post to send it: a new one, one that failed, one held while its channel was
        paused, or one whose owner's lease ran out or who is known to be `dead`. None when it
        is sent, given up, or another live owner has it."""
        until = stamp(now + lease)
        gone = ", ".join("?" for _ in dead) or "NULL"
        with write(self.db):
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO deliveries (channel_key, kind, ref, state, attempts, "
                "claimed_at, owner, lease_until, payload) "
                "VALUES (?, ?, ?, 'claimed', 0, ?, ?, ?, ?)",
                [*_k(key), stamp(now), owner, until, payload],
            ).rowcount
            if not inserted:
                taken = self.db.execute(
                    "UPDATE deliveries SET state = 'claimed', owner = ?, lease_until = ?, "
                    "claimed_at = ?, error = NULL, "
                    # A post nothing of which may be out yet takes the fresh content; one
                    # begun keeps what it began with, so it is finished as it started.
                    "payload = CASE WHEN parts_sent = 0 AND uncertain = 0 "
                    "THEN coalesce(?, payload) ELSE payload END "
                    f"WHERE {_KEY} AND attempts < ? AND (state IN ('failed', 'held') "
                    "OR (state = 'claimed' AND (lease_until IS NULL OR lease_until < ? "
                    f"OR owner IN ({gone}))))",
                    [owner, until, stamp(now), payload, *_k(key), MAX_ATTEMPTS, stamp(now), *dead],
                ).rowcount
                if not taken:
                    return None
            row = next(self.db.query(f"SELECT * FROM deliveries WHERE {_KEY}", _k(key)))
        return _entry(row)

    def _owned(self, key: PostKey, owner: str, sets: str, args: list[Any]) -> bool:
        with write(self.db):
            changed = self.db.execute(
                f"UPDATE deliveries SET {sets} WHERE {_KEY} AND owner = ? AND state = 'claimed'",
                [*args, *_k(key), owner],
            ).rowcount
        return bool(changed)

    def mark_in_flight(self, key: PostKey, owner: str, now: datetime, lease: timedelta) -> bool:
        """Record that a request for the post's next part is about to go out; False when
        `owner` no longer holds the post."""
        return self._owned(
            key,
            owner,
            "uncertain = 1, in_flight_since = ?, lease_until = ?",
            [stamp(now), stamp(now + lease)],
        )

    def mark_part_sent(
        self,
        key: PostKey,
        owner: str,
        part: int,
        message_id: str,
        thread_id: str | None,
    ) -> bool:
        """Record that `part` is out (part 1's id is the post's message id)."""
        return self._owned(
            key,
            owner,
            "parts_sent = max(parts_sent, ?), uncertain = 0, "
            "message_id = CASE WHEN ? = 1 THEN ? ELSE message_id END, "
            "thread_id = coalesce(?, thread_id)",
            [part, part, message_id, thread_id],
        )

    def mark_refused(self, key: PostKey, owner: str) -> bool:
        """Record that the last request was answered and posted nothing."""
        return self._owned(key, owner, "uncertain = 0", [])

    def finish_delivery(self, key: PostKey, owner: str, now: datetime) -> bool:
        """Mark an owned post as wholly sent."""
        return self._owned(
            key,
            owner,
            "state = 'sent', sent_at = ?, owner = NULL, "
            "lease_until = NULL, uncertain = 0, error = NULL",
            [stamp(now)],
        )

    def fail_delivery(
        self,
        key: PostKey,
        owner: str,
        error: str,
        *,
        give_up: bool = False,
        uncertain: bool = False,
        counts: bool = True,
    ) -> None:
        """Release an owned post after a failure, for a later retry unless `give_up`. Only
        failures count as attempts (`counts`): a post taken over after a crash, or cut short
        by a shutdown, is not its fault."""
        self._owned(
            key,
            owner,
            "state = ?, error = ?, owner = NULL, lease_until = NULL, "
            "attempts = attempts + ?, uncertain = max(uncertain, ?)",
            ["abandoned" if give_up else "failed", error[:500], int(counts), int(uncertain)],
        )

    def abandon_delivery(self, key: PostKey, reason: str) -> None:
        """Give up an open post that no owner holds (nothing left to post)."""
        with write(self.db):
            self.db.execute(
                "UPDATE deliveries SET state = 'abandoned', error = ?, owner = NULL "
                f"WHERE {_KEY} AND state IN ('failed', 'held', 'claimed')",
                [reason[:500], *_k(key)],
            )

    def hold_delivery(self, key: PostKey, now: datetime, payload: str | None) -> bool:
        """Keep a post that fell due while its channel was paused, for the resume."""
        return self._keep(key, now, payload, "held", None)

    def defer_delivery(self, key: PostKey, now: datetime, payload: str | None, reason: str) -> bool:
        """Leave a post for the process that runs its platform (no attempt is counted)."""
        return self._keep(key, now, payload, "failed", reason)

    def _keep(
        self, key: PostKey, now: datetime, payload: str | None, state: str, error: str | None
    ) -> bool:
        with write(self.db):
            return bool(
                self.db.execute(
                    "INSERT OR IGNORE INTO deliveries (channel_key, kind, ref, state, attempts, "
                    "claimed_at, payload, error) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                    [*_k(key), state, stamp(now), payload, error],
                ).rowcount
            )

    def renew_leases(self, owner: str, now: datetime, lease: timedelta) -> int:
        """Extend every claim `owner` holds; how many it holds."""
        with write(self.db):
            return int(
                self.db.execute(
                    "UPDATE deliveries SET lease_until = ? WHERE owner = ? AND state = 'claimed'",
                    [stamp(now + lease), owner],
                ).rowcount
            )

    def open_deliveries(
        self,
        now: datetime,
        *,
        kind: str | None = None,
        held: bool = False,
        dead: Collection[str] = (),
    ) -> list[LedgerEntry]:
        """Posts to finish: failed ones to retry and claims whose owner is gone (lease run
        out, or known `dead`; with `held`, also those kept while their channel was paused),
        oldest first."""
        states = "('failed', 'held')" if held else "('failed')"
        gone = ", ".join("?" for _ in dead) or "NULL"
        rows = self.db.query(
            "SELECT * FROM deliveries WHERE attempts < ? AND "
            f"(state IN {states} OR (state = 'claimed' AND "
            f"(lease_until IS NULL OR lease_until < ? OR owner IN ({gone})))) "
            + ("AND kind = ? " if kind else "")
            + "ORDER BY claimed_at, rowid",
            [MAX_ATTEMPTS, stamp(now), *dead, *([kind] if kind else [])],
        )
        return [_entry(r) for r in rows]

    def claim_owners(self, now: datetime) -> set[str]:
        """The owners of claims whose lease is still running."""
        rows = self.db.execute(
            "SELECT DISTINCT owner FROM deliveries WHERE state = 'claimed' AND lease_until >= ?",
            [stamp(now)],
        )
        return {r[0] for r in rows.fetchall() if r[0]}

    def held_deliveries(self, ref: ChannelRef) -> list[LedgerEntry]:
        """Posts kept for a paused channel, oldest first."""
        rows = self.db.query(
            "SELECT * FROM deliveries WHERE channel_key = ? AND state = 'held' "
            "ORDER BY claimed_at, rowid",
            [ref.key],
        )
        return [_entry(r) for r in rows]

    def drop_held(self, key: PostKey) -> None:
        """Forget a held post (a digest folded into a catch-up)."""
        with write(self.db):
            self.db.execute(f"DELETE FROM deliveries WHERE {_KEY} AND state = 'held'", _k(key))

    def delivered(self, ref: ChannelRef, kind: str) -> list[str]:
        """Keys of the posts of a kind that reached a channel, in key order."""
        rows = self.db.execute(
            "SELECT ref FROM deliveries WHERE channel_key = ? AND kind = ? AND state = 'sent' "
            "ORDER BY ref",
            [ref.key, kind],
        ).fetchall()
        return [r[0] for r in rows]

    def sent_posts(self, kinds: Collection[str], since: datetime) -> list[LedgerEntry]:
        """Posts of these kinds wholly sent at or after `since` (every channel), oldest first."""
        if not kinds:
            return []
        marks = ", ".join("?" for _ in kinds)
        rows = self.db.query(
            f"SELECT * FROM deliveries WHERE kind IN ({marks}) AND state = 'sent' "
            "AND sent_at >= ? ORDER BY sent_at, rowid",
            [*kinds, stamp(since)],
        )
        return [_entry(r) for r in rows]

    def posts_under(self, ref: ChannelRef, kind: str, prefix: str) -> list[LedgerEntry]:
        """A channel's entries of one kind whose ref starts with `prefix` (a digest's edits,
        its climbers), in ref order, whatever their state."""
        # A range on the primary key (refs compare as UTF-8 bytes, i.e. by code point):
        # every ref starting with `prefix` sorts from it up to `_above(prefix)`.
        bounds = ""
        args: list[Any] = [ref.key, kind]
        if prefix:
            bounds = "AND ref >= ? AND substr(ref, 1, ?) = ? "
            args += [prefix, len(prefix), prefix]
            above = _above(prefix)
            if above is not None:
                bounds += "AND ref < ? "
                args.append(above)
        rows = self.db.query(
            f"SELECT * FROM deliveries WHERE channel_key = ? AND kind = ? {bounds}ORDER BY ref",
            args,
        )
        return [_entry(r) for r in rows]

    def posts_under_each(
        self, wanted: Sequence[tuple[ChannelRef, str, str]]
    ) -> list[list[LedgerEntry]]:
        """`posts_under` of each (channel, kind, prefix) in `wanted` (every live digest's
        edits and climbers), in one query: a list per item, in ref order."""
        ranges = [(i, w, _above(w[2])) for i, w in enumerate(wanted)]
        spec = [
            [i, ref.key, kind, prefix, above] for i, (ref, kind, prefix), above in ranges if above
        ]
        found: list[list[LedgerEntry]] = [[] for _ in wanted]
        if spec:
            # One primary-key range per item (CROSS JOIN keeps the wanted list outside).
            rows = self.db.query(
                "WITH wanted (i, channel_key, kind, prefix, above) AS (SELECT "
                "json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                "json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
                "json_extract(value, '$[4]') FROM json_each(?)) "
                "SELECT w.i AS wanted_item, d.* FROM wanted AS w CROSS JOIN deliveries AS d "
                "WHERE d.channel_key = w.channel_key AND d.kind = w.kind "
                "AND d.ref >= w.prefix AND d.ref < w.above "
                "AND substr(d.ref, 1, length(w.prefix)) = w.prefix ORDER BY w.i, d.ref",
                [json.dumps(spec)],
            )
            for row in rows:
                found[row.pop("wanted_item")].append(_entry(row))
        for i, (ref, kind, prefix), above in ranges:
            if not above:  # no prefix (or no string sorts above it): its own query
                found[i] = self.posts_under(ref, kind, prefix)
        return found

    def delivery(self, ref: ChannelRef, kind: str, key: str) -> dict[str, Any] | None:
        """One ledger row as a dict (for status and tests)."""
        rows = list(self.db.query(f"SELECT * FROM deliveries WHERE {_KEY}", [ref.key, kind, key]))
        return rows[0] if rows else None

    def ledger_counts(self) -> dict[str, int]:
        """How many posts are in each state."""
        rows = self.db.execute("SELECT state, count(*) FROM deliveries GROUP BY state")
        return {state: int(n) for state, n in rows.fetchall()}
