"""The living digest: for LIVE_FOR after a compact daily digest or weekly roll-up was posted,
every poll builds it again as it reads now. When its top N moved meaningfully, its channel
message (part 1) is edited in place, paced by the core's own edit timing; a paper that climbed
into it (or past the channel's `digest climbers` threshold) gets one reply in its thread.

Everything goes through the ledger: an edit is the post (channel, "edit",
"digest:2026-05-13#001"), a climber (channel, "climber", "digest:2026-05-13:2405.01234"), so
each is delivered once, paced by the publisher, and finished after a crash. This module only
decides what to deliver; the core delivers it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.delivery.digests import (
    DIGEST_KIND,
    MAX_FILTER_CANDIDATES,
    build_digest,
    digest_filter,
    matching,
)
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND, built_with
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import Climber, Digest, DigestEdit, Layout, LedgerEntry, Paper, Post, PostKey
from bot.ports import Repository

log = logging.getLogger(__name__)

# A digest lives this long after it was sent: no edit, no climber after that.
LIVE_FOR = timedelta(hours=72)
# Edit timing, the core's own rule on every platform (inside Discord's cap on edits of
# messages older than an hour): as often as polls find changes in the first hour after
# posting, then at least EDIT_GAP apart.
FREE_EDITS_FOR = timedelta(hours=1)
EDIT_GAP = timedelta(hours=3)
# A paper's upvotes moved meaningfully when by at least max(MOVE_AT_LEAST, MOVE_SHARE × shown).
MOVE_AT_LEAST = 5
MOVE_SHARE = 0.10
# Late climber replies per digest and poll, at most (best first; the rest at the next polls).
CLIMBERS_PER_POLL = 3
LIVE_KINDS = (DIGEST_KIND, WEEKLY_KIND)
# Edit refs carry a 3-digit version (they sort in order): past this a digest stops changing.
MAX_VERSION = 999
# A poll re-reads the days of live digests no older than this (a weekly roll-up's week).
LIVE_DAYS_BACK = 14
GIVEN_UP = "abandoned"


@dataclass(frozen=True)
class LiveDigest:
    """A digest still live: its ledger entry and its stored payload."""

    entry: LedgerEntry
    data: dict[str, Any]
    days: tuple[date, ...]

    @property
    def key(self) -> PostKey:
        """The digest's own ledger key."""
        return self.entry.key

    @property
    def posted_at(self) -> datetime:
        """When it was wholly sent."""
        assert self.entry.sent_at is not None
        return self.entry.sent_at

    @property
    def message_id(self) -> str:
        """Its part 1's platform id: the message edited, the thread climbers reply in."""
        assert self.entry.first_id is not None
        return self.entry.first_id

    def prefix(self, sep: str) -> str:
        """The ref prefix of its edits (`#`) or climbers (`:`)."""
        return f"{self.key.kind}:{self.key.ref}{sep}"


def live_digests(repo: Repository, now: datetime) -> list[LiveDigest]:
    """Compact digests and roll-ups with papers, sent less than LIVE_FOR before `now`, whose
    part 1's id is recorded (a full layout is never edited)."""
    found = []
    for entry in repo.sent_posts(LIVE_KINDS, now - LIVE_FOR):
        if entry.first_id is None or entry.sent_at is None or entry.payload is None:
            continue
        if now - entry.sent_at >= LIVE_FOR:
            continue
        try:
            data = json.loads(entry.payload)
            days = tuple(date.fromisoformat(d) for d in data["days"])
            papers = list(data["papers"])
        except (ValueError, KeyError, TypeError):  # from another version, or damaged
            continue
        if data.get("layout") == Layout.COMPACT.value and papers and days:
            found.append(LiveDigest(entry, data, days))
    return found


def live_days(repo: Repository, now: datetime) -> list[date]:
    """The days of live digests, up to LIVE_DAYS_BACK old: a poll re-reads their upvotes."""
    today = now.astimezone(UTC).date()
    oldest = today - timedelta(days=LIVE_DAYS_BACK)
    days = {d for live in live_digests(repo, now) for d in live.days if oldest <= d <= today}
    return sorted(days)


def refresh(repo: Repository, now: datetime) -> list[tuple[PostKey, Post]]:
    """What every live digest needs now: a new version (`DigestEdit`), late climbers."""
    posts: list[tuple[PostKey, Post]] = []
    for live in live_digests(repo, now):
        current = rebuilt(repo, live)
        if current is None:
            continue
        edit = next_edit(repo, live, current, now)
        if edit is not None:
            posts.append(edit)
        posts.extend(climbers(repo, live, current))
    return posts


def rebuilt(repo: Repository, live: LiveDigest) -> Digest | None:
    """The digest as it reads now: its days (or period), title and layout, built with the
    size, minimum upvotes and filter it was posted with."""
    schedule = built_with(live.data, live.key.channel, live.key.kind)
    title = live.data.get("title") or "Daily Papers"
    period = live.data.get("period")
    digest = build_digest(repo, schedule, live.days, title=title, period=period)
    if digest is None or not digest.papers:
        return None
    return replace(digest, days=live.days, title=title, period=period, layout=Layout.COMPACT)


def moved(shown: dict[str, Any], current: Digest) -> bool:
    """Whether `current` differs meaningfully from the version shown: its top N's order or
    membership, or a paper's upvotes by at least max(MOVE_AT_LEAST, MOVE_SHARE × shown)."""
    ids = list(shown.get("papers") or [])
    if [p.id for p in current.papers] != ids:
        return True
    upvotes = list(shown.get("upvotes") or [])
    return any(
        abs(paper.upvotes - was) >= max(MOVE_AT_LEAST, MOVE_SHARE * was)
        for paper, was in zip(current.papers, upvotes, strict=False)
    )


def may_edit(posted: datetime, last_edit: datetime | None, now: datetime) -> bool:
    """The edit timing: freely in the first hour, then EDIT_GAP after the last edit; never
    once the digest is LIVE_FOR old."""
    if now - posted >= LIVE_FOR:
        return False
    if now - posted < FREE_EDITS_FOR:
        return True
    return last_edit is None or now - last_edit >= EDIT_GAP


def _shown(edit: LedgerEntry | None, live: LiveDigest) -> dict[str, Any]:
    """The version last shown: the newest sent edit's digest, else the digest as posted."""
    if edit is not None and edit.payload is not None:
        try:
            data = json.loads(edit.payload)["digest"]
        except (ValueError, KeyError, TypeError):
            return live.data
        if isinstance(data, dict):
            return data
    return live.data


def next_edit(
    repo: Repository, live: LiveDigest, current: Digest, now: datetime
) -> tuple[PostKey, DigestEdit] | None:
    """The digest's next version, when it moved and the edit timing allows; None also while
    an edit is unfinished (the recovery retries it) and once an edit was given up (the
    message can no longer be edited: the digest is frozen)."""
    channel = live.key.channel
    edits = repo.posts_under(channel, EDIT_KIND, live.prefix("#"))
    if any(e.state == GIVEN_UP for e in edits):
        return None
    last = edits[-1] if edits else None
    if last is not None and last.state != "sent":
        return None
    if not moved(_shown(last, live), current):
        return None
    if not may_edit(live.posted_at, last.sent_at if last else None, now):
        return None
    version = len(edits) + 1
    if version > MAX_VERSION:
        return None
    key = PostKey(channel, EDIT_KIND, f"{live.prefix('#')}{version:03d}")
    return key, DigestEdit(channel, current, live.key, live.message_id, version)


def climbers(repo: Repository, live: LiveDigest, current: Digest) -> list[tuple[PostKey, Climber]]:
    """Late climbers, best first, at most CLIMBERS_PER_POLL: papers not in the digest as first
    posted that are in its top N now, then (with the channel's `digest climbers N`) those
    with at least N upvotes; each paper once ever per digest."""
    channel = live.key.channel
    prefix = live.prefix(":")
    skip = set(live.data["papers"])
    skip.update(e.key.ref[len(prefix) :] for e in repo.posts_under(channel, CLIMBER_KIND, prefix))
    found: list[tuple[Paper, str]] = []
    for rank, paper in enumerate(current.papers, 1):
        if paper.id not in skip:
            found.append((paper, f"now #{rank} in this digest"))
            skip.add(paper.id)
    daily = repo.schedule(channel, DIGEST_KIND)
    threshold = daily.climbers if daily is not None else None
    if threshold is not None and len(found) < CLIMBERS_PER_POLL:
        for paper in _above(repo, live, threshold, len(skip) + CLIMBERS_PER_POLL):
            if paper.id not in skip:
                found.append((paper, f"passed {threshold} upvotes"))
                skip.add(paper.id)
    title = live.data.get("title") or "Daily Papers"
    period = live.data.get("period")
    return [
        (
            PostKey(channel, CLIMBER_KIND, f"{prefix}{paper.id}"),
            Climber(channel, paper, live.message_id, reason, title, live.days, period),
        )
        for paper, reason in found[:CLIMBERS_PER_POLL]
    ]


def _above(repo: Repository, live: LiveDigest, threshold: int, enough: int) -> list[Paper]:
    """Papers of the digest's days with at least `threshold` upvotes (of those its filter
    matches), most upvoted first."""
    schedule = built_with(live.data, live.key.channel, live.key.kind)
    query = digest_filter(schedule)
    least = max(threshold, schedule.min_upvotes)
    limit = MAX_FILTER_CANDIDATES if query is not None else enough
    papers = repo.papers_on(live.days, min_upvotes=least, limit=limit)
    return matching(query, papers) if query is not None else papers
