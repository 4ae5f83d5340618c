"""Building a digest: which days a daily digest covers and which papers a digest lists."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from bot.delivery.calendar import days_to_cover, is_weekend, target_day
from bot.delivery.taste import WINDOW, Taste, taste
from bot.domain import ChannelRef, Click, Digest, Paper, Schedule, WeekendPolicy
from bot.domain.query import Query
from bot.ports import Repository
from bot.query.match import PaperText, matches
from bot.query.parse import QueryError, parse

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
# Upper bound on papers considered per digest before the channel's size is applied.
MAX_DIGEST_SIZE = 25
# A topic digest, or one nudged by the channel's clicks, reads every paper of its days (a day
# has ~100, a week ~700) and ranks the ones its filter matches; this bounds that read.
MAX_FILTER_CANDIDATES = 5000
# How much of a filter a notice quotes.
FILTER_SHOWN = 60


class DigestReads(Protocol):
    """What building a digest reads: the Repository, or what a refresh of the living digest
    read of it already (bot/delivery/living_reads.py)."""

    def papers_on(
        self, days: Iterable[date], min_upvotes: int = 0, limit: int = 100
    ) -> list[Paper]:
        """Top papers of some days, most upvoted first."""
        ...

    def clicks(self, ref: ChannelRef, since: datetime | None = None) -> list[Click]:
        """A channel's clicks (those at or after `since`), oldest first."""
        ...

    def get_paper(self, paper_id: str) -> Paper | None:
        """One paper by id."""
        ...


def digest_filter(schedule: Schedule) -> Query | None:
    """The schedule's topic filter, parsed; None when it has none (or, stored by an older
    parser, it no longer parses: then the digest ranks every paper, as before the filter)."""
    if not schedule.filter:
        return None
    try:
        return parse(schedule.filter)
    except QueryError as exc:
        log.warning("ignoring the digest filter of %s: %s", schedule.channel.key, exc)
        return None


def shown_filter(text: str) -> str:
    """A filter as a post or a reply quotes it inside `code`: one line, clipped."""
    flat = " ".join(text.replace("`", "'").split())
    return flat if len(flat) <= FILTER_SHOWN else flat[: FILTER_SHOWN - 1] + "…"


def matching(query: Query, papers: Sequence[Paper]) -> list[Paper]:
    """The papers the query matches, in their order (the in-process matcher of alerts)."""
    if not papers:
        return []
    return [p for p, t in zip(papers, PaperText.many(papers), strict=True) if matches(query, t, p)]


def last_digest_day(repo: Repository, schedule: Schedule, now: datetime) -> date | None:
    """The newest Daily Papers day up to `now` already posted to the channel as a digest."""
    target = target_day(now)
    days = [date.fromisoformat(k) for k in repo.delivered(schedule.channel, DIGEST_KIND)]
    # A digest sent by hand for a later day must not hold back the scheduled ones.
    past = [d for d in days if d <= target]
    return max(past) if past else None


def due_days(repo: Repository, schedule: Schedule, now: datetime) -> list[date]:
    """Days a scheduled digest at `now` covers: the target day plus any days missed while
    paperboy was down (not days when the channel had its digest off)."""
    last = last_digest_day(repo, schedule, now)
    enabled = schedule.enabled_at
    if enabled is not None and last is not None and last < target_day(enabled):
        last = None  # the digest was off after `last`: nothing to catch up on
    return days_to_cover(target_day(now), last)


def channel_taste(repo: DigestReads, ref: ChannelRef, now: datetime) -> Taste | None:
    """The channel's clicks of the 60 days up to `now` as ranking nudges; None when it has
    none. Later clicks are left out, so a digest rebuilt later (the living digest) ranks as
    it was posted: clicks nudge future digests, not the one already out."""
    clicks = [c for c in repo.clicks(ref, since=now - WINDOW) if c.at <= now]
    if not clicks:
        return None
    papers = {i: repo.get_paper(i) for i in dict.fromkeys(c.paper_id for c in clicks)}
    pairs = [(c, p) for c in clicks if (p := papers[c.paper_id]) is not None]
    return taste(pairs, now) if pairs else None


def day_end(day: date) -> datetime:
    """The end of a Daily Papers day (UTC): the moment a digest of it weighs clicks at."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def ranked(
    repo: DigestReads,
    schedule: Schedule,
    days: Sequence[date],
    size: int,
    query: Query | None,
    liking: Taste | None,
) -> tuple[list[Paper], bool]:
    """The top `size` papers of the days (of those `query`, the channel's filter, matches,
    nudged by its clicks), and whether the days have papers the filter all left out. Without
    a filter or clicks only the top `size` are read, as before either existed."""
    if query is None and liking is None:
        return repo.papers_on(days, min_upvotes=schedule.min_upvotes, limit=size), False
    candidates = repo.papers_on(days, min_upvotes=schedule.min_upvotes, limit=MAX_FILTER_CANDIDATES)
    pool = candidates if query is None else matching(query, candidates)
    papers = (pool if liking is None else liking.rank(pool))[:size]
    return papers, query is not None and bool(candidates) and not papers


def build_digest(
    repo: DigestReads,
    schedule: Schedule,
    days: Sequence[date],
    *,
    top: int | None = None,
    settled: set[date] | None = None,
    title: str = "Daily Papers",
    period: str | None = None,
    now: datetime | None = None,
) -> Digest | None:
    """The digest for these days, a notice for an empty day, or None when nothing is due.

    `repo` is the Repository, or what was read of it already (the living digest's refresh).
    The channel's clicks nudge the ranking as they weigh at `now` (default: the end of the
    newest day, so a digest rebuilt later ranks the same clicks the same way)."""
    if not days:
        return None
    size = min(top or schedule.size, MAX_DIGEST_SIZE)
    query = digest_filter(schedule)
    liking = channel_taste(repo, schedule.channel, now or day_end(days[-1]))
    # unmatched: the days have papers, but none the filter matches
    papers, unmatched = ranked(repo, schedule, days, size, query, liking)
    target = days[-1]
    layout = schedule.layout
    if papers:
        covered = tuple(days) if period else tuple(sorted({p.day for p in papers} | {target}))
        return Digest(
            channel=schedule.channel,
            days=covered,
            papers=tuple(papers),
            title=title,
            period=period,
            layout=layout,
        )
    what = period or f"{target:%A %d %B %Y}"
    if unmatched:  # a topic digest's empty day follows the weekend policy
        if schedule.weekends is not WeekendPolicy.NOTICE or query is None:
            return None
        return Digest(
            channel=schedule.channel,
            days=tuple(days) if period else (target,),
            papers=(),
            notice=f"No paper matched this channel's digest filter "
            f"`{shown_filter(query.text)}` for {what}.",
            title=title,
            period=period,
            layout=layout,
        )
    # Nothing to list: a weekend (or a weekday whose list was fetched complete, after it
    # ended, and is empty) gets a notice when the channel asked for one; otherwise stay quiet
    # and let catch-up cover it.
    known_empty = (
        period is not None or is_weekend(target) or (settled is not None and target in settled)
    )
    if schedule.weekends is WeekendPolicy.NOTICE and known_empty:
        return Digest(
            channel=schedule.channel,
            days=tuple(days) if period else (target,),
            papers=(),
            notice=f"No new Daily Papers for {what}.",
            title=title,
            period=period,
            layout=layout,
        )
    return None
