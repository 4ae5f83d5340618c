"""The living digest: for LIVE_FOR after a compact daily digest or weekly roll-up was posted,
every poll builds it again as it reads now. When its top N moved meaningfully, its channel
message (part 1) is edited in place, paced by the core's own edit timing; a paper that climbed
into the list it shows (or past the channel's `digest climbers` threshold since it was posted)
gets one reply in its thread. Once its message is gone, nothing more is edited or replied.

Everything goes through the ledger: an edit is the post (channel, "edit",
"digest:2026-05-13#001"), a climber (channel, "climber", "digest:2026-05-13:2405.01234"), so
each is delivered once, paced by the publisher, and finished after a crash. This module only
decides what to deliver; the core delivers it. A poll reads the live digests once, and a
refresh reads each thing it needs once (`Reads`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.delivery.digests import (
    DIGEST_KIND,
    MAX_DIGEST_SIZE,
    MAX_FILTER_CANDIDATES,
    day_end,
    digest_filter,
    matching,
)
from bot.delivery.kinds import (
    CLIMBER_KIND,
    EDIT_KIND,
    GIVEN_UP,
    built_with,
    message_gone,
)
from bot.delivery.taste import WINDOW, Taste, taste
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import (
    ChannelRef,
    Click,
    Climber,
    Digest,
    DigestEdit,
    Layout,
    LedgerEntry,
    Paper,
    Post,
    PostKey,
    Schedule,
)
from bot.ports import Repository

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
# The payload key of the upvotes, at posting, of the days' papers a digest does not list
# (those with at least MIN_BASELINE: no fewer can be past a `digest climbers` threshold), and
# the facts that keep them for a digest posted before payloads did (its first refresh's).
BASELINE = "baseline"
MIN_BASELINE = 1
BASELINE_FACT = "living:baseline:"
# A top-N climber of a digest whose edits were refused for good (its list stays as posted).
FROZEN = " (its list can no longer be updated)"


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

    @property
    def baseline(self) -> dict[str, int] | None:
        """The upvotes, at posting, of its days' papers (None: posted before they were kept)."""
        try:
            return {str(k): int(v) for k, v in self.data[BASELINE].items()}
        except (KeyError, AttributeError, TypeError, ValueError):  # none kept, or damaged
            return None

    def prefix(self, sep: str) -> str:
        """The ref prefix of its edits (`#`) or climbers (`:`)."""
        return f"{self.key.kind}:{self.key.ref}{sep}"


@dataclass(frozen=True)
class LivePost:
    """A post a live digest needs now; `after`: the edit it waits for (a climber that only the
    list as this edit shows it holds goes out only once the edit did)."""

    key: PostKey
    post: Post
    after: PostKey | None = None


class Reads:
    """What one refresh reads from storage, each thing once: every live digest's edits and
    climbers (one query), the papers of each set of days, each channel's clicks and daily
    schedule, each clicked paper."""

    def __init__(self, repo: Repository, lives: Sequence[LiveDigest]) -> None:
        self.repo = repo
        wanted = [
            (live.key.channel, kind, live.prefix(sep))
            for live in lives
            for kind, sep in ((EDIT_KIND, "#"), (CLIMBER_KIND, ":"))
        ]
        found = repo.posts_under_each(wanted)
        self._rows = {live.key: (found[2 * i], found[2 * i + 1]) for i, live in enumerate(lives)}
        self._days: dict[tuple[date, ...], list[Paper]] = {}
        self._papers: dict[str, Paper | None] = {}
        self._schedules: dict[ChannelRef, Schedule | None] = {}
        self._clicks: dict[ChannelRef, list[Click]] = {}
        # The oldest click each channel's digests weigh (at the end of their newest day).
        self._since: dict[ChannelRef, datetime] = {}
        for live in lives:
            at = day_end(live.days[-1]) - WINDOW
            self._since[live.key.channel] = min(self._since.get(live.key.channel, at), at)

    def rows(self, live: LiveDigest) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
        """The digest's edits and its climbers, in ref order, whatever their state."""
        return self._rows[live.key]

    def papers(self, days: tuple[date, ...]) -> list[Paper]:
        """The days' papers, most upvoted first (as `papers_on`, up to its candidates' bound)."""
        found = self._days.get(days)
        if found is None:
            found = self._days[days] = self.repo.papers_on(days, limit=MAX_FILTER_CANDIDATES)
            for paper in found:
                self._papers.setdefault(paper.id, paper)
        return found

    def paper(self, paper_id: str) -> Paper | None:
        """One paper (most often one of the days already read)."""
        if paper_id not in self._papers:
            self._papers[paper_id] = self.repo.get_paper(paper_id)
        return self._papers[paper_id]

    def taste(self, channel: ChannelRef, now: datetime) -> Taste | None:
        """The channel's clicks of the WINDOW up to `now` as ranking nudges (as
        `channel_taste` weighs them); None when it has none."""
        if channel not in self._clicks:
            since = self._since.get(channel, now - WINDOW)
            self._clicks[channel] = self.repo.clicks(channel, since=since)
        clicks = [c for c in self._clicks[channel] if now - WINDOW <= c.at <= now]
        pairs = [(c, p) for c in clicks if (p := self.paper(c.paper_id)) is not None]
        return taste(pairs, now) if pairs else None

    def schedule(self, channel: ChannelRef) -> Schedule | None:
        """The channel's daily digest schedule (where its `digest climbers` is set)."""
        if channel not in self._schedules:
            self._schedules[channel] = self.repo.schedule(channel, DIGEST_KIND)
        return self._schedules[channel]

    def baselines(
        self, lives: Sequence[LiveDigest], now: datetime
    ) -> dict[PostKey, dict[str, int]]:
        """Each digest's upvotes at posting of its days' papers; for one posted before payloads
        kept them, its first refresh's (a fact, forgotten once the digest is no longer live),
        so that no paper already past `digest climbers N` then is replied to."""
        stored = self.repo.facts(BASELINE_FACT)
        found: dict[PostKey, dict[str, int]] = {}
        kept: set[str] = set()
        for live in lives:
            if live.baseline is not None:
                found[live.key] = live.baseline
                continue
            fact = f"{BASELINE_FACT}{live.key.channel.key} {live.key.kind}:{live.key.ref}"
            kept.add(fact)
            try:
                found[live.key] = {str(k): int(v) for k, v in json.loads(stored[fact]).items()}
            except (KeyError, ValueError, TypeError, AttributeError):  # none yet, or damaged
                counts = {
                    p.id: p.upvotes for p in self.papers(live.days) if p.upvotes >= MIN_BASELINE
                }
                self.repo.set_fact(fact, json.dumps(counts), now)
                found[live.key] = counts
        for fact in stored.keys() - kept:
            self.repo.forget_fact(fact)
        return found


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


def live_days(lives: list[LiveDigest], now: datetime) -> list[date]:
    """The days of these live digests, up to LIVE_DAYS_BACK old: a poll re-reads their
    upvotes."""
    today = now.astimezone(UTC).date()
    oldest = today - timedelta(days=LIVE_DAYS_BACK)
    return sorted({d for live in lives for d in live.days if oldest <= d <= today})


def with_baseline(repo: Repository, digest: Digest, payload: str) -> str:
    """A compact digest's payload as posted, with the upvotes of its days' papers it does not
    list: a paper passes `digest climbers N` only when it crosses N after this."""
    listed = {p.id for p in digest.papers}
    data = json.loads(payload)
    data[BASELINE] = {
        p.id: p.upvotes
        for p in repo.papers_on(digest.days, min_upvotes=MIN_BASELINE, limit=MAX_FILTER_CANDIDATES)
        if p.id not in listed
    }
    return json.dumps(data)


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
    baselines = reads.baselines(lives, now)
    posts: list[LivePost] = []
    for live in lives:
        edits, climbed = reads.rows(live)
        if any(message_gone(e) for e in (*edits, *climbed)):
            continue  # its message was deleted: nothing to edit, no thread to reply in
        found = rebuilt(reads, live)
        if found is None:
            continue
        current, pool = found
        edit = next_edit(live, edits, current, now)
        if edit is not None:
            posts.append(LivePost(*edit))
        posts.extend(climbers(reads, live, (edits, climbed), current, pool, edit, baselines))
    return posts


def rebuilt(reads: Reads, live: LiveDigest) -> tuple[Digest, list[Paper]] | None:
    """The digest as it reads now (built as `build_digest` builds it, from this refresh's
    reads): its days (or period), title and layout, with the size, minimum upvotes and filter
    it was posted with; and the papers it ranks (those its filter matches)."""
    channel = live.key.channel
    schedule = built_with(live.data, channel, live.key.kind)
    query = digest_filter(schedule)
    candidates = [p for p in reads.papers(live.days) if p.upvotes >= schedule.min_upvotes]
    pool = candidates if query is None else matching(query, candidates)
    liking = reads.taste(channel, day_end(live.days[-1]))
    papers = (pool if liking is None else liking.rank(pool))[: min(schedule.size, MAX_DIGEST_SIZE)]
    if not papers:
        return None
    title = live.data.get("title") or "Daily Papers"
    digest = Digest(
        channel,
        live.days,
        tuple(papers),
        title=title,
        period=live.data.get("period"),
        layout=Layout.COMPACT,
    )
    return digest, pool


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
    key = PostKey(channel, EDIT_KIND, f"{live.prefix('#')}{version:03d}")
    return key, DigestEdit(channel, current, live.key, live.message_id, version)


def climbers(
    reads: Reads,
    live: LiveDigest,
    rows: tuple[list[LedgerEntry], list[LedgerEntry]],
    current: Digest,
    pool: list[Paper],
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
    prefix = live.prefix(":")
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
    daily = reads.schedule(channel)
    threshold = daily.climbers if daily is not None else None
    if threshold is not None:
        baseline = baselines.get(live.key, {})
        for paper in pool:  # most upvoted first
            if len(found) >= CLIMBERS_PER_POLL or paper.upvotes < threshold:
                break
            if paper.id not in skip and baseline.get(paper.id, 0) < threshold:
                found.append((paper, f"passed {threshold:,} upvotes", None))
                skip.add(paper.id)
    title = live.data.get("title") or "Daily Papers"
    period = live.data.get("period")
    return [
        LivePost(
            PostKey(channel, CLIMBER_KIND, f"{prefix}{paper.id}"),
            Climber(channel, paper, live.message_id, reason, title, live.days, period),
            waits,
        )
        for paper, reason, waits in found[:CLIMBERS_PER_POLL]
    ]
