"""Building a channel's digest: which days it covers and which papers it lists."""

from __future__ import annotations

from datetime import date, datetime

from bot.delivery.calendar import days_to_cover, is_weekend, target_day
from bot.domain import ChannelSettings, Digest, WeekendPolicy
from bot.ports import Repository

DIGEST_KIND = "digest"
# Upper bound on papers considered per digest before the channel's size is applied.
MAX_DIGEST_SIZE = 25


def last_digest_day(
    repo: Repository, settings: ChannelSettings, now: datetime
) -> date | None:
    """The newest Daily Papers day up to `now` already posted to the channel as a digest."""
    target = target_day(now)
    days = [date.fromisoformat(k) for k in repo.delivered(settings.channel, DIGEST_KIND)]
    # A digest sent by hand for a later day must not hold back the scheduled ones.
    past = [d for d in days if d <= target]
    return max(past) if past else None


def due_days(repo: Repository, settings: ChannelSettings, now: datetime) -> list[date]:
    """Days a scheduled digest at `now` covers: the target day plus any days missed while
    paperboy was down (not days when the channel had its digest off)."""
    last = last_digest_day(repo, settings, now)
    enabled = settings.digest_enabled_at
    if enabled is not None and last is not None and last < target_day(enabled):
        last = None  # the digest was off after `last`: nothing to catch up on
    return days_to_cover(target_day(now), last)


def build_digest(
    repo: Repository,
    settings: ChannelSettings,
    days: list[date],
    *,
    top: int | None = None,
    polled: set[date] | None = None,
) -> Digest | None:
    """The digest for these days, a notice for an empty day, or None when nothing is due."""
    if not days:
        return None
    size = min(top or settings.size, MAX_DIGEST_SIZE)
    papers = repo.papers_on(days, min_upvotes=settings.min_upvotes, limit=size)
    target = days[-1]
    if papers:
        with_papers = sorted({p.day for p in papers} | {target})
        return Digest(channel=settings.channel, days=tuple(with_papers), papers=tuple(papers))
    # Nothing to list: a weekend (or a weekday whose feed was fetched and is empty) gets a
    # notice when the channel asked for one; otherwise stay quiet and let catch-up cover it.
    known_empty = is_weekend(target) or (polled is not None and target in polled)
    if settings.weekends is WeekendPolicy.NOTICE and known_empty:
        return Digest(
            channel=settings.channel,
            days=(target,),
            papers=(),
            notice=f"No new Daily Papers for {target:%A %d %B %Y}.",
        )
    return None
