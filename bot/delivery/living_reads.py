"""What the living digest reads: the digests still live (once a poll), the upvotes each kept
at posting, and per refresh each thing it needs once (`Reads`, which `build_digest` reads
as it reads the Repository)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.delivery.digests import DIGEST_KIND, MAX_FILTER_CANDIDATES, day_end
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND, built_with
from bot.delivery.living_kinds import under
from bot.delivery.taste import WINDOW
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, Click, Digest, Layout, LedgerEntry, Paper, PostKey, Schedule
from bot.ports import Repository

# A digest lives this long after it was sent: no edit, no climber after that.
LIVE_FOR = timedelta(hours=72)
LIVE_KINDS = (DIGEST_KIND, WEEKLY_KIND)
# A poll re-reads the days of live digests no older than this (a weekly roll-up's week).
LIVE_DAYS_BACK = 14
# The payload key of the upvotes, at posting, of the days' papers a digest does not list
# (those with at least MIN_BASELINE: no fewer can be past a `digest climbers` threshold), and
# the facts that keep them for a digest posted before payloads did (its first refresh's).
BASELINE = "baseline"
MIN_BASELINE = 1
BASELINE_FACT = "living:baseline:"


def _counts(raw: Any) -> dict[str, int]:
    """Upvotes by paper id, as a payload or a fact keeps them (ValueError and the like when
    damaged)."""
    return {str(k): int(v) for k, v in raw.items()}


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
    def title(self) -> str:
        """Its title as posted."""
        return self.data.get("title") or "Daily Papers"

    @property
    def period(self) -> str | None:
        """A roll-up's period as posted (`week 2026-W47`); None for a daily digest."""
        return self.data.get("period")

    @property
    def settings(self) -> Schedule:
        """The settings it was posted with (size, minimum upvotes, filter, layout)."""
        return built_with(self.data, self.key.channel, self.key.kind)

    @property
    def baseline(self) -> dict[str, int] | None:
        """The upvotes, at posting, of its days' papers (None: posted before they were kept)."""
        try:
            return _counts(self.data[BASELINE])
        except (KeyError, AttributeError, TypeError, ValueError):  # none kept, or damaged
            return None

    def prefix(self, kind: str) -> str:
        """The ref prefix of its edits or its climbers (`kind`)."""
        return under(self.key)[kind]


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


class Reads:
    """What one refresh reads from storage, each thing once: every live digest's edits and
    climbers (one query), the papers of each set of days, each channel's clicks and daily
    schedule, each clicked paper. `build_digest` reads its papers and clicks from here."""

    def __init__(self, repo: Repository, lives: Sequence[LiveDigest]) -> None:
        self.repo = repo
        wanted = [
            (live.key.channel, kind, live.prefix(kind))
            for live in lives
            for kind in (EDIT_KIND, CLIMBER_KIND)
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

    def papers_on(
        self, days: Iterable[date], min_upvotes: int = 0, limit: int = 100
    ) -> list[Paper]:
        """The days' top papers (as the Repository's `papers_on`), each set of days read once
        up to MAX_FILTER_CANDIDATES."""
        key = tuple(days)
        if limit > MAX_FILTER_CANDIDATES:  # more than is read ahead: ask storage
            return self.repo.papers_on(key, min_upvotes, limit)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = self.repo.papers_on(key, limit=MAX_FILTER_CANDIDATES)
            for paper in found:
                self._papers.setdefault(paper.id, paper)
        return [p for p in found if p.upvotes >= min_upvotes][:limit]

    def get_paper(self, paper_id: str) -> Paper | None:
        """One paper (most often one of the days already read)."""
        if paper_id not in self._papers:
            self._papers[paper_id] = self.repo.get_paper(paper_id)
        return self._papers[paper_id]

    def clicks(self, ref: ChannelRef, since: datetime | None = None) -> list[Click]:
        """The channel's clicks at or after `since` (as the Repository's `clicks`), read once
        from the oldest its live digests weigh."""
        oldest = self._since.get(ref)
        if oldest is None or since is None or since < oldest:  # more than is read ahead
            return self.repo.clicks(ref, since)
        if ref not in self._clicks:
            self._clicks[ref] = self.repo.clicks(ref, since=oldest)
        return [c for c in self._clicks[ref] if c.at >= since]

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
                found[live.key] = _counts(json.loads(stored[fact]))
            except (KeyError, ValueError, TypeError, AttributeError):  # none yet, or damaged
                papers = self.papers_on(live.days, MIN_BASELINE, MAX_FILTER_CANDIDATES)
                counts = {p.id: p.upvotes for p in papers}
                self.repo.set_fact(fact, json.dumps(counts), now)
                found[live.key] = counts
        for fact in stored.keys() - kept:
            self.repo.forget_fact(fact)
        return found
