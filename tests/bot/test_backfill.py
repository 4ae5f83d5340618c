"""`backfill`: the real FeedClient (httpx) against the local fake HF API, into a real Store.

Whole months are asked with `month=`, what is left with `week=` or `date=`; undatable answers
fall back to days; the papers HF's `month=` brings from the previous month are stored once on
their own day without counting that day as fetched; done days are skipped; failures are
reported and lose nothing; pauses are per request and never on the wall clock.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.backfill import (
    DEFAULT_DELAY,
    MAX_FAILED_DAYS,
    BackfillReport,
    Step,
    backfill,
    days_between,
    plan,
)
from bot.domain import Paper
from bot.feed.client import PAGE_SIZE, FeedClient
from bot.service import Paperboy
from storage.store import Store
from tests.bot.feed.conftest import Sleeps
from tests.data.make_days import make_day
from tests.fakes.hf_server import Canned, HFServer, error, garbage, json_body, slow
from tests.helpers import StaticFeed, eventually, make_paper

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
Entries = list[dict[str, Any]]


@dataclass
class World:
    hf: HFServer
    store: Store
    client: FeedClient
    core: Paperboy
    sleeps: Sleeps

    def kinds(self) -> list[str]:
        """The parameter of each feed request, in order: `month`, `week` or `date`."""
        return [
            next(k for k in ("date", "week", "month") if k in r.query)
            for r in self.hf.feed_requests()
        ]

    def asked(self) -> Counter[str]:
        return Counter(self.kinds())

    def stored(self) -> dict[str, date]:
        rows = self.store.db.execute("SELECT id, day FROM papers").fetchall()
        return {paper_id: date.fromisoformat(day) for paper_id, day in rows}

    def polled(self, day: date) -> int | None:
        """The paper count recorded for a day, None when it was never recorded."""
        row = self.store.db.execute(
            "SELECT papers FROM polls WHERE day = ?", [day.isoformat()]
        ).fetchone()
        return None if row is None else int(row[0])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    sleeps = Sleeps()
    async with HFServer(today=NOW.date()) as hf:
        store = Store(tmp_path / "paperboy.db")
        client = FeedClient(
            hf.url, sleep=sleeps, random=lambda: 1.0, clock=lambda: NOW, max_attempts=1
        )
        try:
            yield World(hf, store, client, Paperboy(store, client, clock=lambda: NOW), sleeps)
        finally:
            await client.aclose()
            store.close()


def serve(
    hf: HFServer, since: date, until: date, per_day: int = 30, skip: Iterable[date] = ()
) -> dict[date, Entries]:
    """`per_day` generated papers on each weekday from `since` to `until`, but `skip`."""
    skipped = set(skip)
    days = {
        day: make_day(day, per_day)
        for day in days_between(since, until)
        if day.weekday() < 5 and day not in skipped
    }
    hf.days.update(days)
    return days


def ids(days: dict[date, Entries]) -> dict[str, date]:
    return {entry["paper"]["id"]: day for day, entries in days.items() for entry in entries}


def pages(papers: int) -> int:
    return papers // PAGE_SIZE + 1


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- the plan ---------------------------------------------------------------------------------


def test_the_plan_takes_whole_months_then_weeks_of_four_days_then_days():
    wanted = [
        *days_between(d("2026-02-01"), d("2026-02-28")),
        *days_between(d("2026-03-02"), d("2026-03-05")),  # Mon-Thu of 2026-W10
        d("2026-03-09"),
        d("2026-03-10"),
        d("2026-03-11"),  # three days of 2026-W11
        *days_between(d("2026-04-02"), d("2026-04-30")),
    ]  # April but its 1st

    steps = plan(wanted)

    assert [(s.kind, s.key) for s in steps] == [
        ("month", "2026-02"),
        ("week", "2026-W10"),
        ("date", "2026-03-09"),
        ("date", "2026-03-10"),
        ("date", "2026-03-11"),
        ("week", "2026-W14"),
        ("week", "2026-W15"),
        ("week", "2026-W16"),
        ("week", "2026-W17"),
        ("week", "2026-W18"),
    ]
    assert sorted(day for s in steps for day in s.days) == sorted(wanted)  # each day once
    assert plan([d("2026-04-02")]) == [Step("date", "2026-04-02", (d("2026-04-02"),))]
    assert {s.kind for s in plan(wanted, months=False)} == {"week", "date"}


# --- big steps --------------------------------------------------------------------------------


async def test_a_multi_month_range_asks_one_paged_month_request_each(world):
    served = serve(world.hf, d("2026-06-01"), d("2026-08-31"))  # 66 weekdays of 30 papers

    report = await backfill(world.core, d("2026-06-01"), d("2026-08-31"), delay=0)

    monthly = [sum(len(v) for k, v in served.items() if k.month == m) for m in (6, 7, 8)]
    assert world.asked() == {"month": sum(pages(n) for n in monthly)} == {"month": 21}
    assert report.requests == world.asked()  # the backfill counts what the fake saw
    assert [r.query["month"] for r in world.hf.feed_requests()] == (
        ["2026-06"] * 7 + ["2026-07"] * 7 + ["2026-08"] * 7
    )
    assert world.stored() == ids(served)
    assert set(days_between(d("2026-06-01"), d("2026-08-31"))) <= world.store.polled_days()
    assert world.polled(d("2026-06-06")) == 0 and world.polled(d("2026-06-08")) == 30
    assert (report.fetched_days, report.skipped_days, report.papers, report.new) == (
        92,
        0,
        66 * 30,
        66 * 30,
    )
    assert report.errors == [] and world.sleeps.calls == []


async def test_the_ends_of_a_range_are_asked_by_week_or_by_day(world):
    served = serve(world.hf, d("2026-05-25"), d("2026-09-04"))

    report = await backfill(world.core, d("2026-05-27"), d("2026-09-03"), delay=0)

    kinds = world.kinds()
    assert kinds[0] == "week" and world.hf.feed_requests()[0].query["week"] == "2026-W22"
    assert [r.query.get("date") for r in world.hf.feed_requests()[-3:]] == [
        "2026-09-01",
        "2026-09-02",
        "2026-09-03",  # Tue-Thu: three days of 2026-W36
    ]
    assert Counter(r.query["month"] for r in world.hf.feed_requests() if "month" in r.query) == {
        "2026-06": 7,
        "2026-07": 7,
        "2026-08": 7,
    }
    assert report.requests == world.asked()
    # The week's answer holds its Monday and Tuesday too: stored and recorded, as fetched.
    assert world.polled(d("2026-05-25")) == 30 and world.polled(d("2026-09-04")) is None
    assert world.stored() == {k: v for k, v in ids(served).items() if v <= d("2026-09-03")}
    assert report.fetched_days == (d("2026-09-03") - d("2026-05-27")).days + 1


async def test_requests_for_the_whole_range_are_a_fraction_of_day_by_day(world):
    serve(world.hf, d("2026-01-01"), d("2026-03-31"), per_day=55)

    await backfill(world.core, d("2026-01-01"), d("2026-03-31"), delay=0)

    # 22, 20 and 22 weekdays of 55 papers: 13 + 12 + 13 pages, where day by day takes 90
    assert len(world.hf.feed_requests()) == 38


# --- no guessing: undatable answers fall back to days ----------------------------------------


async def test_an_undatable_month_is_asked_day_by_day(world):
    served = serve(world.hf, d("2024-10-01"), d("2024-11-30"), per_day=12)
    for day, entries in served.items():
        if day.month == 10:  # 2024-shape entries: no `submittedOnDailyAt`
            for entry in entries:
                del entry["paper"]["submittedOnDailyAt"]

    report = await backfill(world.core, d("2024-10-01"), d("2024-11-30"), delay=0)

    queries = [r.query for r in world.hf.feed_requests()]
    assert queries[0]["month"] == "2024-10"
    assert [q["date"] for q in queries[1:32]] == [
        str(day) for day in days_between(d("2024-10-01"), d("2024-10-31"))
    ]
    assert [q["month"] for q in queries[32:]] == ["2024-11"] * pages(21 * 12)
    assert world.stored() == ids(served)  # every paper on the day HF's `date=` put it
    assert set(days_between(d("2024-10-01"), d("2024-11-30"))) <= world.store.polled_days()
    assert report.errors == [] and report.fetched_days == 61


async def test_a_month_answer_without_papers_on_a_weekday_is_checked_by_date(world):
    holiday = d("2026-06-19")
    served = serve(world.hf, d("2026-06-01"), d("2026-06-30"), skip=[holiday])

    await backfill(world.core, d("2026-06-01"), d("2026-06-30"), delay=0)

    assert world.kinds() == ["month"] * 7 + ["date"]
    assert world.hf.feed_requests()[-1].query["date"] == str(holiday)
    assert world.polled(holiday) == 0 and world.stored() == ids(served)


async def test_an_empty_month_answer_loses_nothing(world):
    # An API that serves months only from some date on answers `[]` for an older month: the
    # weekdays are asked one by one, the weekends taken as empty.
    served = serve(world.hf, d("2025-03-01"), d("2025-03-31"), per_day=20)
    world.hf.script(json_body([]))

    report = await backfill(world.core, d("2025-03-01"), d("2025-03-31"), delay=0)

    assert world.kinds() == ["month"] + ["date"] * 21
    assert world.stored() == ids(served)
    assert set(days_between(d("2025-03-01"), d("2025-03-31"))) <= world.store.polled_days()
    assert report.fetched_days == 31 and report.papers == 21 * 20


# --- the fuzzy edge: the previous month's last day ----------------------------------------------


async def test_the_previous_months_last_day_is_stored_once_and_counted_by_its_own_request(world):
    world.hf.month_edge_days = 1  # HF's `month=2026-10` also lists 2026-09-30 (§2)
    served = serve(world.hf, d("2026-09-01"), d("2026-10-31"), per_day=25)
    edge = d("2026-09-30")  # a Wednesday

    report = await backfill(world.core, d("2026-09-01"), d("2026-10-31"), delay=0)

    assert world.kinds() == ["month"] * pages(22 * 25) + ["month"] * pages(23 * 25)
    assert world.stored() == ids(served)  # each paper once, September's last on its own day
    assert world.polled(edge) == 25  # from September's answer, not overwritten by October's
    assert report.new == len(served) * 25 and report.errors == []


async def test_a_range_starting_on_the_first_keeps_the_edge_papers_and_asks_that_day_later(world):
    world.hf.month_edge_days = 1
    served = serve(world.hf, d("2026-09-30"), d("2026-10-31"), per_day=25)
    edge = d("2026-09-30")

    await backfill(world.core, d("2026-10-01"), d("2026-10-31"), delay=0)

    assert world.stored() == ids(served)  # the edge papers are not lost, on their own day
    assert world.polled(edge) is None  # but September 30 is not counted as fetched
    before = len(world.hf.feed_requests())

    report = await backfill(world.core, edge, d("2026-10-31"), delay=0)

    assert [r.query for r in world.hf.feed_requests()[before:]] == [
        {"date": str(edge), "limit": "100", "p": "0"}
    ]
    assert world.polled(edge) == 25 and report.new == 0 and report.papers == 25
    assert world.stored() == ids(served)  # not duplicated
    assert (report.fetched_days, report.skipped_days) == (1, 31)


# --- resuming ---------------------------------------------------------------------------------


async def test_a_second_run_asks_nothing(world):
    serve(world.hf, d("2026-06-01"), d("2026-07-31"))
    await backfill(world.core, d("2026-06-01"), d("2026-07-31"), delay=0)
    before = len(world.hf.feed_requests())

    report = await backfill(world.core, d("2026-06-01"), d("2026-07-31"), delay=0)

    assert len(world.hf.feed_requests()) == before
    assert (report.fetched_days, report.skipped_days, report.requests) == (0, 61, Counter())


async def test_the_search_index_is_merged_after_a_backfill_that_stored_papers(world, monkeypatch):
    merges: list[int] = []
    merge = world.store.optimize_search

    def counted() -> int:
        merges.append(merge())
        return merges[-1]

    monkeypatch.setattr(world.store, "optimize_search", counted)
    serve(world.hf, d("2026-06-01"), d("2026-06-30"))
    await backfill(world.core, d("2026-06-01"), d("2026-06-30"), delay=0)
    assert len(merges) == 1
    await backfill(world.core, d("2026-06-01"), d("2026-06-30"), delay=0)  # nothing new
    assert len(merges) == 1


async def test_done_days_are_skipped_and_the_rest_asked_in_the_biggest_steps_left(world):
    served = serve(world.hf, d("2026-06-01"), d("2026-08-31"))
    # Friday 3 to Friday 24 July: three days of 2026-W27 by date, then three whole weeks,
    # whose answers also record Saturday 25 and Sunday 26.
    await backfill(world.core, d("2026-07-03"), d("2026-07-24"), delay=0)
    assert world.kinds() == ["date"] * 3 + ["week"] * 6  # 150 papers a week: two pages
    before = len(world.hf.feed_requests())

    report = await backfill(world.core, d("2026-06-01"), d("2026-08-31"), delay=0)

    later = [
        next(f"{k}={v}" for k, v in r.query.items() if k in ("date", "week", "month"))
        for r in world.hf.feed_requests()[before:]
    ]
    assert later == [
        *["month=2026-06"] * 7,
        "date=2026-07-01",
        "date=2026-07-02",  # July is not whole
        *["week=2026-W31"] * 2,
        *["month=2026-08"] * 7,  # Jul 27 - Aug 2: five days wanted
    ]
    assert report.skipped_days == 24 and report.fetched_days == 92 - 24
    assert world.stored() == ids(served)

    forced = await backfill(world.core, d("2026-06-01"), d("2026-08-31"), delay=0, force=True)

    assert forced.requests == {"month": 21} and forced.new == 0 and forced.fetched_days == 92


async def test_fresh_days_are_asked_again(world):
    served = serve(world.hf, d("2026-11-23"), NOW.date())
    await backfill(world.core, d("2026-11-23"), NOW.date(), delay=0)
    before = len(world.hf.feed_requests())

    report = await backfill(world.core, d("2026-11-23"), NOW.date(), delay=0)

    assert [r.query["date"] for r in world.hf.feed_requests()[before:]] == [
        "2026-11-30",
        "2026-12-01",
    ]
    assert report.skipped_days == 7 and world.stored() == ids(served)


# --- failures ---------------------------------------------------------------------------------


async def test_a_failed_day_is_reported_and_the_rest_is_stored(world):
    served = serve(world.hf, d("2026-06-01"), d("2026-07-31"))
    # June's seven pages, then July's first page fails (a 500): July is asked day by day,
    # and its first day fails too.
    world.hf.script(*[Canned()] * 7, error(500), error(500))

    report = await backfill(world.core, d("2026-06-01"), d("2026-07-31"), delay=0)

    assert world.kinds() == ["month"] * 8 + ["date"] * 31
    assert len(report.errors) == 1 and report.errors[0].startswith("2026-07-01: ")
    assert report.fetched_days == 60
    assert d("2026-07-01") not in world.store.polled_days()
    assert world.stored() == {k: v for k, v in ids(served).items() if v != d("2026-07-01")}
    before = len(world.hf.feed_requests())

    again = await backfill(world.core, d("2026-06-01"), d("2026-07-31"), delay=0)

    assert [r.query for r in world.hf.feed_requests()[before:]] == [
        {"date": "2026-07-01", "limit": "100", "p": "0"}
    ]
    assert again.errors == [] and world.stored() == ids(served)


async def test_a_malformed_month_page_falls_back_to_days_without_an_error(world):
    served = serve(world.hf, d("2026-06-01"), d("2026-06-30"))
    world.hf.script(Canned(), garbage())  # page 1 of June is an HTML page

    report = await backfill(world.core, d("2026-06-01"), d("2026-06-30"), delay=0)

    assert world.kinds() == ["month", "month"] + ["date"] * 30
    assert report.errors == [] and world.stored() == ids(served)


async def test_a_failing_week_falls_back_to_days(world):
    served = serve(world.hf, d("2026-06-08"), d("2026-06-14"))
    world.hf.script(error(503))

    report = await backfill(world.core, d("2026-06-08"), d("2026-06-14"), delay=0)

    assert world.kinds() == ["week"] + ["date"] * 7
    assert report.errors == [] and world.stored() == ids(served)


async def test_a_feed_that_is_down_stops_the_backfill_after_three_failed_days(world):
    serve(world.hf, d("2026-06-01"), d("2026-07-31"))
    world.hf.script(*[error(500)] * 100)  # HF is down
    # The client as the CLI builds it: five attempts a request, backing off (injected).
    client = FeedClient(world.hf.url, sleep=world.sleeps, random=lambda: 1.0, clock=lambda: NOW)
    core = Paperboy(world.store, client, clock=lambda: NOW)
    seen: list[date] = []
    try:
        report = await backfill(
            core, d("2026-06-01"), d("2026-07-31"), delay=0, progress=seen.append
        )
    finally:
        await client.aclose()

    assert MAX_FAILED_DAYS == 3 and report.gave_up
    assert world.kinds() == ["month"] * 5 + ["date"] * 15  # June, then its first three days
    assert report.failed_days == days_between(d("2026-06-01"), d("2026-06-03"))
    assert report.resume_from == d("2026-06-01")
    assert (report.fetched_days, seen) == (0, [])  # no day is shown as done


async def test_a_day_fetched_between_failures_keeps_the_backfill_going(world):
    serve(world.hf, d("2026-06-05"), d("2026-06-10"))  # six days, each asked by `date=`
    world.hf.script(error(500), error(500), Canned(), error(500), error(500), Canned())

    report = await backfill(world.core, d("2026-06-05"), d("2026-06-10"), delay=0)

    assert world.kinds() == ["date"] * 6 and not report.gave_up
    assert report.failed_days == [
        d("2026-06-05"),
        d("2026-06-06"),
        d("2026-06-08"),
        d("2026-06-09"),
    ]
    assert report.fetched_days == 2 and report.resume_from == d("2026-06-05")
    assert set(world.stored().values()) == {d("2026-06-10")}  # Sunday the 7th has none


async def test_a_cancelled_backfill_leaves_where_to_resume_in_its_report(world):
    serve(world.hf, d("2026-06-05"), d("2026-06-10"))
    world.hf.script(Canned(), slow(60))  # the 5th is fetched; the 6th hangs
    report = BackfillReport()
    seen: list[date] = []
    task = asyncio.create_task(
        backfill(
            world.core,
            d("2026-06-05"),
            d("2026-06-10"),
            delay=0,
            progress=seen.append,
            report=report,
        )
    )
    await eventually(lambda: len(world.hf.feed_requests()) == 2)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task

    assert seen == [d("2026-06-05")] and report.fetched_days == 1
    assert report.resume_from == d("2026-06-06")


# --- politeness and progress ------------------------------------------------------------------


async def test_the_pause_is_per_request_and_injected(world):
    serve(world.hf, d("2026-05-27"), d("2026-07-31"))

    report = await backfill(world.core, d("2026-05-27"), d("2026-07-31"), sleep=world.sleeps)

    requests = len(world.hf.feed_requests())
    last_step = pages(23 * 30)  # July's month request, paid for by nobody
    assert math.isclose(sum(world.sleeps.calls), DEFAULT_DELAY * (requests - last_step))
    assert all(
        math.isclose(s / DEFAULT_DELAY, round(s / DEFAULT_DELAY)) for s in world.sleeps.calls
    )
    assert report.requests.total() == requests == 1 + 7 + 7


async def test_progress_is_reported_once_per_day_in_order(world):
    serve(world.hf, d("2026-05-20"), d("2026-08-10"))
    await backfill(world.core, d("2026-06-10"), d("2026-06-20"), delay=0)
    seen: list[date] = []

    await backfill(world.core, d("2026-05-20"), d("2026-08-10"), delay=0, progress=seen.append)

    assert seen == days_between(d("2026-05-20"), d("2026-08-10"))


# --- a feed that cannot answer by month -------------------------------------------------------


class DaysAndWeeks:
    """A feed with `date=` and `week=` only (as the soak's)."""

    def __init__(self, days: dict[date, list[Paper]]) -> None:
        self.inner = StaticFeed(days, weeks=True)

    async def fetch_day(self, day: date) -> list[Paper]:
        return await self.inner.fetch_day(day)

    async def fetch_week(self, week: str) -> list[Paper] | None:
        return await self.inner.fetch_week(week)


async def test_a_feed_without_months_is_asked_by_weeks(store):
    june = days_between(d("2026-06-01"), d("2026-06-30"))
    feed = DaysAndWeeks(
        {day: [make_paper(f"2606.{day.day:05d}", day)] for day in june if day.weekday() < 5}
    )
    core = Paperboy(store, feed, clock=lambda: NOW)

    report = await backfill(core, d("2026-06-01"), d("2026-06-30"), delay=0)

    assert feed.inner.fetched_weeks == ["2026-W23", "2026-W24", "2026-W25", "2026-W26"]
    assert feed.inner.fetched == [d("2026-06-29"), d("2026-06-30")]
    assert report.fetched_days == 30
