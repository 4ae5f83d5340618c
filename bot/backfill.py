"""Backfill: load past Daily Papers days into the archive, resumably and politely.

The days to fetch are planned in big steps (docs/reference/hugging-face.md §2, §3): a month all
of whose days are wanted is one paged `month=` request (~1,500 papers, 15 pages, for a month of
2025-26 instead of ~30 `date=` requests); of the days left, an ISO week with WEEK_REQUEST_DAYS
or more of them is one paged `week=` request; the rest are asked day by day. A month or week
whose answer cannot be dated (2024 payloads lack `submittedOnDailyAt`), or that fails, is asked
day by day instead, and so is a weekday its answer leaves without papers (`Paperboy.poll_month`).
Papers a month's answer brings from the days before it (HF's fuzzy edge) are stored on their
own days, but those days count as fetched only through their own request.

Every page is a request, and HF allows 500 requests per 5 minutes to an anonymous caller (§7):
after each step the backfill pauses `delay` seconds for each page it took. When MAX_FAILED_DAYS
days in a row fail (the feed is down: each day already took the client's retries) it stops,
and its report says the day to resume from.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from bot.feed.client import PAGE_SIZE, month_days
from bot.ports import MonthFeed
from bot.service import Paperboy, PollReport

# Seconds to pause per request: at most 400 requests in any 5 minutes, 80% of HF's anonymous
# quota of 500 (§7), even against a server that answers instantly; a step of many pages (a
# month) goes out at once and is paid for after it, which keeps any window under ~420.
DEFAULT_DELAY = 0.75
# Days this recent may still be filling up, so they are fetched again even when done before.
FRESH_DAYS = 2
# Days of one ISO week to fetch before asking `week=` instead: a week's answer holds all its
# papers, 3-4 pages in 2025-26 (50-60 papers a weekday), while a day takes one request, so
# three days are no cheaper by week. (A poll uses 3: `bot.service.WEEK_REQUEST_DAYS`.)
WEEK_REQUEST_DAYS = 4
# Days in a row that may fail before the backfill stops: with HF down every day costs the feed
# client's five attempts (up to 30 s of back-off), and a month would take over an hour to fail.
MAX_FAILED_DAYS = 3


@dataclass
class BackfillReport:
    """What a backfill did; filled in as it goes, so a caller whose backfill is cancelled
    still knows where it stopped."""

    fetched_days: int = 0
    skipped_days: int = 0
    papers: int = 0
    new: int = 0
    errors: list[str] = field(default_factory=list)
    # Requests by parameter (`month`, `week`, `date`), counted from the answers: one per 100
    # papers and the short last page (retries not included, nor pages of an answer given up).
    requests: Counter[str] = field(default_factory=Counter)
    failed_days: list[date] = field(default_factory=list)
    next_day: date | None = None  # the first day not yet done (None: every day is)
    gave_up: bool = False  # stopped after MAX_FAILED_DAYS failed days in a row

    @property
    def resume_from(self) -> date | None:
        """The day a new backfill should start from: the first that failed or was not
        reached (the days after it that are done are skipped again)."""
        left = [*self.failed_days, *([self.next_day] if self.next_day else [])]
        return min(left, default=None)


@dataclass(frozen=True)
class Step:
    """One request of the plan: `kind` is `month`, `week` or `date`; `days`, the wanted days
    it answers (a month's or week's request fetches and records its other days too)."""

    kind: str
    key: str
    days: tuple[date, ...]


def days_between(since: date, until: date) -> list[date]:
    """Every day from `since` to `until`, inclusive."""
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def iso_week(day: date) -> str:
    """The ISO week of a day as HF's `week=` takes it: `2026-W48`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def plan(wanted: Sequence[date], *, months: bool = True) -> list[Step]:
    """The requests for `wanted` days: whole months, then weeks of WEEK_REQUEST_DAYS or more
    of the days left, then single days; in the order of their first day."""
    todo = sorted(set(wanted))
    steps: list[Step] = []
    if months:
        by_month: dict[str, list[date]] = {}
        for day in todo:
            by_month.setdefault(f"{day:%Y-%m}", []).append(day)
        for month, days in by_month.items():
            first, last = month_days(month)
            if len(days) == (last - first).days + 1:
                steps.append(Step("month", month, tuple(days)))
        taken = {day for step in steps for day in step.days}
        todo = [day for day in todo if day not in taken]
    by_week: dict[str, list[date]] = {}
    for day in todo:
        by_week.setdefault(iso_week(day), []).append(day)
    for week, days in by_week.items():
        if len(days) >= WEEK_REQUEST_DAYS:
            steps.append(Step("week", week, tuple(days)))
        else:
            steps.extend(Step("date", day.isoformat(), (day,)) for day in days)
    return sorted(steps, key=lambda step: step.days[0])


def pages(papers: int) -> int:
    """Requests a paged answer of `papers` papers took: the client stops at a short page."""
    return papers // PAGE_SIZE + 1


async def backfill(
    core: Paperboy,
    since: date,
    until: date,
    *,
    force: bool = False,
    delay: float = DEFAULT_DELAY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    progress: Callable[[date], None] | None = None,
    report: BackfillReport | None = None,
) -> BackfillReport:
    """Fetch and store the days from `since` to `until` (no alerts: these papers are not news),
    skipping days already done unless `force`; `progress` is called once per day done, in
    order. Stops after MAX_FAILED_DAYS failed days in a row (`report.gave_up`)."""
    report = report if report is not None else BackfillReport()
    done = core.repo.polled_days()
    fresh_from = core.clock().astimezone(UTC).date() - timedelta(days=FRESH_DAYS - 1)
    days = days_between(since, until)
    wanted = [day for day in days if force or day not in done or day >= fresh_from]
    report.skipped_days = len(days) - len(wanted)
    report.next_day = since
    unreported = deque(days)
    owed = 0  # requests made since the last pause
    failing = 0  # days failed in a row

    async def pause() -> None:
        nonlocal owed
        if owed and delay > 0:
            await sleep(owed * delay)
        owed = 0

    async def by_date(day: date) -> None:
        nonlocal owed, failing
        await pause()
        poll = await core.poll([day], alerts=False)
        owed += pages(poll.fetched)
        report.requests["date"] += pages(poll.fetched)
        report.errors.extend(poll.errors)
        if poll.errors:
            report.failed_days.append(day)
            failing += 1
        else:
            report.fetched_days += 1
            failing = 0
        _count(report, poll)

    def reported(through: date) -> None:
        while unreported and unreported[0] <= through:
            day = unreported.popleft()
            if progress is not None:
                progress(day)
        report.next_day = unreported[0] if unreported else None

    for step in plan(wanted, months=isinstance(core.feed, MonthFeed)):
        reported(step.days[0] - timedelta(days=1))  # the days skipped before it
        if step.kind == "date":
            await by_date(step.days[0])
        else:
            await pause()
            span = core.poll_month if step.kind == "month" else core.poll_week
            poll, left = await span(step.key)
            owed += pages(poll.fetched)
            report.requests[step.kind] += pages(poll.fetched)
            _count(report, poll)
            unsettled = set(left)
            ask = [day for day in step.days if day in unsettled]
            report.fetched_days += len(step.days) - len(ask)
            for day in ask:
                await by_date(day)
                if failing >= MAX_FAILED_DAYS:
                    break
        if failing >= MAX_FAILED_DAYS:
            # Every day not reached comes after the failed ones: resume from the first failure.
            report.gave_up, report.next_day = True, None
            break
        reported(step.days[-1])
    else:
        reported(until)
    if report.new:
        # Each batch stored added a segment to the search index; merge them now rather than
        # leave every search slower until the night's merge.
        await asyncio.to_thread(core.repo.optimize_search)
    return report


def _count(report: BackfillReport, poll: PollReport) -> None:
    report.papers += poll.fetched
    report.new += len(poll.new)
