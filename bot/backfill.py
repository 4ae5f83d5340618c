"""Backfill: load past Daily Papers days into the archive, resumably and politely."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.service import Paperboy

# Seconds between days: far below HF's 500 requests in 5 min (docs/reference/hugging-face.md §7).
DEFAULT_DELAY = 0.5
# Days this recent may still be filling up, so they are fetched again even when done before.
FRESH_DAYS = 2


@dataclass
class BackfillReport:
    """What a backfill did."""

    fetched_days: int = 0
    skipped_days: int = 0
    papers: int = 0
    new: int = 0
    errors: list[str] = field(default_factory=list)


def days_between(since: date, until: date) -> list[date]:
    """Every day from `since` to `until`, inclusive."""
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


async def backfill(
    core: Paperboy,
    since: date,
    until: date,
    *,
    force: bool = False,
    delay: float = DEFAULT_DELAY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    progress: Callable[[date], None] | None = None,
) -> BackfillReport:
    """Fetch and store each day (no alerts: these papers are not news); skip days already done."""
    report = BackfillReport()
    done = core.repo.polled_days()
    fresh_from = core.clock().date() - timedelta(days=FRESH_DAYS - 1)
    first = True
    for day in days_between(since, until):
        if not force and day in done and day < fresh_from:
            report.skipped_days += 1
        else:
            if not first and delay > 0:
                await sleep(delay)
            first = False
            poll = await core.poll([day], alerts=False)
            report.errors.extend(poll.errors)
            report.fetched_days += 0 if poll.errors else 1
            report.papers += poll.fetched
            report.new += len(poll.new)
        if progress is not None:
            progress(day)
    return report
