"""The living digest: for LIVE_FOR after a compact daily digest or weekly roll-up was posted,
every poll builds it again as it reads now. When its top N moved meaningfully, its channel
message (part 1) is edited in place, paced by the core's own edit timing; a paper that climbed
into the list it shows (or past the channel's `digest climbers` threshold since it was posted)
gets one reply in its thread. Once its message is gone, nothing more is edited or replied.

Everything goes through the ledger: an edit is the post (channel, "edit",
"digest:2026-05-13#001"), a climber (channel, "climber", "digest:2026-05-13:2405.01234"), so
each is delivered once, paced by the publisher, and finished after a crash. This module only
decides what to deliver; the core delivers it. What it reads, it reads once a poll or once a
refresh (bot/delivery/living_reads.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.delivery.digests import MAX_FILTER_CANDIDATES, build_digest, digest_filter, matching
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND
from bot.delivery.living_kinds import GIVEN_UP, message_gone
from bot.delivery.living_reads import LIVE_FOR, LiveDigest, Reads, live_digests
from bot.domain import Climber, Digest, DigestEdit, LedgerEntry, Paper, Post, PostKey
from bot.ports import Repository

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
# Edit refs carry a 3-digit version (they sort in order): past this a digest stops changing.
MAX_VERSION = 999
# A top-N climber of a digest whose edits were refused for good (its list stays as posted).
FROZEN = " (its list can no longer be updated)"


@dataclass(frozen=True)
class LivePost:
    """A post a live digest needs now; `after`: the edit it waits for (a climber that only the
    list as this edit shows it holds goes out only once the edit did)."""

    key: PostKey
    post: Post
    after: PostKey | None = None


def refresh(
    repo: Repository, now: datetime, lives: list[LiveDigest] | None = None
) -> list[LivePost]:
    """What every live digest (`lives`, read by this poll; else read now) needs now: a new
    version (`DigestEdit`), late climbers."""
    lives = [
        live
        for live in (live_digests(repo, now) if lives is None else lives)
        if now - live.posted_at < LIVE_FOR
    ]
    reads = Reads(repo, lives)
    # Counts at posting matter only where a `digest climbers N` threshold is set.
    baselines = reads.baselines([live for live in lives if _threshold(reads, live)], now)
    posts: list[LivePost] = []
    for live in lives:
        edits, climbed = reads.rows(live)
        if any(message_gone(e) for e in (*edits, *climbed)):
            continue  # its message was deleted: nothing to edit, no thread to reply in
        current = rebuilt(reads, live)
        if current is None:
            continue
        edit = next_edit(live, edits, current, now)
        if edit is not None:
            posts.append(LivePost(*edit))
        posts.extend(climbers(reads, live, (edits, climbed), current, edit, baselines))
    return posts


def rebuilt(reads: Reads, live: LiveDigest) -> Digest | None:
    """The digest as it reads now: built by `build_digest` from this refresh's reads, with
    the settings it was posted with, over its days, titled as it was; None when it would list
    no paper."""
    built = build_digest(reads, live.settings, live.days, title=live.title, period=live.period)
    return replace(built, days=live.days) if built is not None and built.papers else None


def passed(reads: Reads, live: LiveDigest, threshold: int) -> list[Paper]:
    """The papers the digest ranks (its minimum upvotes, its filter) that have at least
    `threshold` upvotes, most upvoted first."""
    schedule = live.settings
    floor = max(threshold, schedule.min_upvotes)
    above = reads.papers_on(live.days, min_upvotes=floor, limit=MAX_FILTER_CANDIDATES)
    query = digest_filter(schedule)
    return above if query is None else matching(query, above)


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


def _shown(edits: list[LedgerEntry], live: LiveDigest) -> dict[str, Any]:
    """The version last shown: the newest sent edit's digest, else the digest as posted."""
    edit = next((e for e in reversed(edits) if e.state == "sent"), None)
    if edit is not None and edit.payload is not None:
        try:
            data = json.loads(edit.payload)["digest"]
        except (ValueError, KeyError, TypeError):
            return live.data
        if isinstance(data, dict):
            return data
    return live.data


def next_edit(
    live: LiveDigest, edits: list[LedgerEntry], current: Digest, now: datetime
) -> tuple[PostKey, DigestEdit] | None:
    """The digest's next version, when it moved and the edit timing allows; None also while
    an edit (of `edits`, the digest's) is unfinished (the recovery retries it) and once an
    edit was given up (the message can no longer be edited: the digest is frozen)."""
    if any(e.state == GIVEN_UP for e in edits):
        return None
    last = edits[-1] if edits else None
    if last is not None and last.state != "sent":
        return None
    if not moved(_shown(edits, live), current):
        return None
    if not may_edit(live.posted_at, last.sent_at if last else None, now):
        return None
    version = len(edits) + 1
    if version > MAX_VERSION:
        return None
    channel = live.key.channel
    key = PostKey(channel, EDIT_KIND, f"{live.prefix(EDIT_KIND)}{version:03d}")
    return key, DigestEdit(channel, current, live.key, live.message_id, version)


def climbers(
    reads: Reads,
    live: LiveDigest,
    rows: tuple[list[LedgerEntry], list[LedgerEntry]],
    current: Digest,
    edit: tuple[PostKey, DigestEdit] | None,
    baselines: dict[PostKey, dict[str, int]],
) -> list[LivePost]:
    """Late climbers, best first, at most CLIMBERS_PER_POLL, each paper once ever per digest:
    papers not in the digest as first posted that the list it shows holds (after this poll's
    `edit`, if any: they wait for it), then (with the channel's `digest climbers N`) those
    that crossed N upvotes since it was posted. A digest whose edits were refused for good
    (frozen) says so of its top N's climbers."""
    edits, climbed = rows
    channel = live.key.channel
    prefix = live.prefix(CLIMBER_KIND)
    skip = set(live.data["papers"])
    skip.update(e.key.ref[len(prefix) :] for e in climbed)
    frozen = any(e.state == GIVEN_UP for e in edits)
    before = list(_shown(edits, live).get("papers") or [])
    shown = [p.id for p in current.papers] if edit is not None or frozen else before
    found: list[tuple[Paper, str, PostKey | None]] = []
    for paper in current.papers:
        if paper.id in skip or paper.id not in shown:
            continue  # a climber of the next edit waits for it
        rank = f"now #{shown.index(paper.id) + 1} in this digest"
        waits = edit[0] if edit is not None and paper.id not in before else None
        found.append((paper, rank + FROZEN if frozen else rank, waits))
        skip.add(paper.id)
    threshold = _threshold(reads, live)
    if threshold is not None:
        baseline = baselines.get(live.key, {})
        for paper in passed(reads, live, threshold):  # most upvoted first
            if len(found) >= CLIMBERS_PER_POLL:
                break
            if paper.id not in skip and baseline.get(paper.id, 0) < threshold:
                found.append((paper, f"passed {threshold:,} upvotes", None))
                skip.add(paper.id)
    return [
        LivePost(
            PostKey(channel, CLIMBER_KIND, f"{prefix}{paper.id}"),
            Climber(channel, paper, live.message_id, reason, live.title, live.days, live.period),
            waits,
        )
        for paper, reason, waits in found[:CLIMBERS_PER_POLL]
    ]


def _threshold(reads: Reads, live: LiveDigest) -> int | None:
    """The channel's `digest climbers N`, if set."""
    daily = reads.schedule(live.key.channel)
    return daily.climbers if daily is not None else None
