"""Building a digest: which days a daily digest covers and which papers a digest lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.delivery.calendar import days_to_cover, is_weekend, target_day
from bot.domain import Digest, Schedule, WeekendPolicy
from bot.ports import Repository

DIGEST_KIND = "digest"
# Upper bound on papers considered per digest before the channel's size is applied.
MAX_DIGEST_SIZE = 25


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


def build_digest(
    repo: Repository,
    schedule: Schedule,
    days: Sequence[date],
    *,
    top: int | None = None,
    settled: set[date] | None = None,
    title: str = "Daily Papers",
    period: str | None = None,
) -> Digest | None:
    """The digest for these days, a notice for an empty day, or None when nothing is due."""
    if not days:
        return None
    size = min(top or schedule.size, MAX_DIGEST_SIZE)
    papers = repo.papers_on(days, min_upvotes=schedule.min_upvotes, limit=size)
    target = days[-1]
    if papers:
        covered = tuple(days) if period else tuple(sorted({p.day for p in papers} | {target}))
        return Digest(
            channel=schedule.channel, days=covered, papers=tuple(papers), title=title, period=period
        )
    # Nothing to list: a weekend (or a weekday whose list was fetched complete, after it
    # ended, and is empty) gets a notice when the channel asked for one; otherwise stay quiet
    # and let catch-up cover it.
    known_empty = (
        period is not None or is_weekend(target) or (settled is not None and target in settled)
    )
    if schedule.weekends is WeekendPolicy.NOTICE and known_empty:
        what = period or f"{target:%A %d %B %Y}"
        return Digest(
            channel=schedule.channel,
            days=tuple(days) if period else (target,),
            papers=(),
            notice=f"No new Daily Papers for {what}.",
            title=title,
            period=period,
        )
    return None
