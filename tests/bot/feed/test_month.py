"""`FeedClient.fetch_month` (`month=YYYY-MM`) against the local fake HF API, with real httpx."""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.feed import client as feed
from bot.feed.client import FeedError, month_days
from tests.bot.feed.conftest import NOW, make_client, queries, serve_days
from tests.data.make_days import make_day, recorded_days
from tests.fakes.hf_server import Canned, HFServer, error, garbage

MONTH = "2026-10"  # Thursday 2026-10-01 to Saturday 2026-10-31
FIRST = date(2026, 10, 1)


def day(offset: int) -> date:
    """The day `offset` days after MONTH's first."""
    return FIRST + timedelta(days=offset)


def add_days(server: HFServer, counts: dict[int, int]) -> dict[date, list[dict[str, Any]]]:
    """Serve `make_day` entries: `counts` maps a day offset from FIRST to a paper count."""
    return serve_days(server, {day(offset): count for offset, count in counts.items()})


def weekdays(count: int) -> dict[int, int]:
    """`count` papers on each weekday of MONTH, as offsets from FIRST."""
    return {offset: count for offset in range(31) if day(offset).weekday() < 5}


# --- the month answer -------------------------------------------------------------------------


async def test_a_month_over_pages_has_every_paper_once_on_its_day(hf, sleeps):
    days = add_days(hf, weekdays(60))  # 22 weekdays: 1,320 papers, 14 pages
    add_days(hf, {-1: 5, 31: 5})  # the day before and the day after are not in the month
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_month(MONTH)
        month_requests = len(hf.feed_requests())
        by_day = [paper for when in days for paper in await client.fetch_day(when)]

    assert papers is not None and len(papers) == 22 * 60
    assert [(p.id, p.day) for p in papers] == [
        (entry["paper"]["id"], when) for when, entries in days.items() for entry in entries
    ]
    assert papers == by_day  # the same Paper values, field for field, as day requests give
    assert month_requests == math.ceil(22 * 60 / feed.PAGE_SIZE) == 14  # days take 31
    assert queries(hf)[:14] == [{"month": MONTH, "limit": "100", "p": str(p)} for p in range(14)]
    assert sleeps.calls == []


async def test_an_empty_month_is_an_empty_list(hf, sleeps):
    add_days(hf, {-2: 10, 33: 10})
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month(MONTH) == []

    assert queries(hf) == [{"month": MONTH, "limit": "100", "p": "0"}]


async def test_the_page_cap_gives_up_on_the_month(hf, sleeps, monkeypatch, caplog):
    monkeypatch.setattr(feed, "MAX_MONTH_PAGES", 3)
    add_days(hf, {0: 200, 1: 200})
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month(MONTH) is None

    assert len(hf.feed_requests()) == 3 and "stopped after 3 pages" in caplog.text


# --- the fuzzy edge: kept on its own day, or None -----------------------------------------------


async def test_papers_from_the_previous_months_last_day_are_kept_on_that_day(hf, sleeps):
    hf.month_edge_days = 1  # as HF may: `month=2026-10` also lists 2026-09-30
    edge = add_days(hf, {-1: 4})[day(-1)]
    days = add_days(hf, {0: 30, 1: 30})
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_month(MONTH)

    assert papers is not None
    assert [(p.id, p.day) for p in papers] == [
        (e["paper"]["id"], when)
        for when, entries in {day(-1): edge, **days}.items()
        for e in entries
    ]


@pytest.mark.parametrize("offset", [-2, -3])
async def test_papers_up_to_three_days_before_the_month_are_kept(hf, sleeps, offset):
    hf.month_edge_days = 3  # the Friday before a month starting on a Monday
    add_days(hf, {offset: 2, 0: 3})
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_month(MONTH)

    assert papers is not None and sorted({p.day for p in papers}) == [day(offset), day(0)]


@pytest.mark.parametrize(
    "when",
    ["2026-09-27T09:00:00.000Z", "2026-11-01T00:30:00.000Z", "2026-12-01T03:00:00.000Z"],
    ids=["four days before", "the day after", "a month later"],
)
async def test_a_paper_on_any_other_day_makes_the_month_none(hf, sleeps, caplog, when):
    (entries,) = add_days(hf, {12: 150}).values()
    entries[120]["paper"]["submittedOnDailyAt"] = when  # on the second page
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month(MONTH) is None

    assert [q["p"] for q in queries(hf)] == ["0", "1"]
    assert "outside the month; use smaller requests" in caplog.text


async def test_an_api_ignoring_month_answers_its_latest_day_which_is_none(hf, sleeps):
    hf.script(Canned(json=make_day(day(45), 10)))  # 2026-11-15: an API's default, latest day
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month(MONTH) is None


# --- no guessing: undated entries -------------------------------------------------------------


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e["paper"].pop("submittedOnDailyAt"),
        lambda e: e["paper"].update(submittedOnDailyAt=None),
        lambda e: e["paper"].update(submittedOnDailyAt="last Tuesday"),
    ],
    ids=["missing", "null", "unparseable"],
)
async def test_one_undated_entry_makes_the_month_none(hf, sleeps, caplog, spoil):
    days = add_days(hf, {0: 100, 5: 80})
    spoil(days[day(5)][3])  # on the second page
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month(MONTH) is None

    assert [q["p"] for q in queries(hf)] == ["0", "1"]
    assert "use smaller requests" in caplog.text


async def test_a_2024_payload_without_the_field_makes_the_month_none(hf, sleeps):
    hf.days.update(recorded_days())  # 2024-10-25 (no submittedOnDailyAt)
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_month("2024-10") is None
        assert len(await client.fetch_day(date(2024, 10, 25))) == 2  # the fallback works

    assert len(hf.feed_requests()) == 2  # one month page given up, one day


# --- failures, like fetch_day and fetch_week --------------------------------------------------


async def test_a_malformed_later_page_is_a_feed_error_naming_the_page(hf, sleeps):
    add_days(hf, {0: 150})
    hf.script(Canned(), garbage())
    async with make_client(hf, sleeps) as client:
        with pytest.raises(FeedError, match=rf"month={MONTH}&p=1"):
            await client.fetch_month(MONTH)


async def test_5xx_is_retried_as_for_days(hf, sleeps):
    add_days(hf, {0: 10})
    hf.script(error(503))
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_month(MONTH)

    assert papers is not None and len(papers) == 10 and sleeps.calls == [2.0]


async def test_a_future_month_means_no_papers_yet(hf, sleeps, caplog):
    hf.today = NOW.date()
    async with make_client(hf, sleeps) as client:
        with caplog.at_level(logging.INFO, logger="bot.feed.client"):
            assert await client.fetch_month("2027-01") == []

    assert "no papers yet" in caplog.text


async def test_the_current_month_serves_the_days_so_far(hf, sleeps):
    add_days(hf, {0: 10, 1: 10, 2: 10})
    hf.today = day(1)
    async with make_client(hf, sleeps, clock=lambda: datetime(2026, 10, 2, 12, tzinfo=UTC)) as c:
        papers = await c.fetch_month(MONTH)

    assert papers is not None and {p.day for p in papers} == {day(0), day(1)}


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "2026-1", "2026/10", " 2026-10", "", "2026-W40", "2026-10-01"]
)
async def test_an_invalid_month_is_a_value_error_before_any_request(hf, sleeps, month):
    async with make_client(hf, sleeps) as client:
        with pytest.raises(ValueError):
            await client.fetch_month(month)

    assert hf.feed_requests() == []


def test_month_days_are_first_to_last():
    assert month_days(MONTH) == (date(2026, 10, 1), date(2026, 10, 31))
    assert month_days("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_days("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))


# --- the fake learns month= -------------------------------------------------------------------


async def test_the_fake_serves_a_month_like_hf():
    days = {
        when: make_day(when, n)
        for when, n in ((day(-1), 5), (day(0), 30), (day(30), 40), (day(31), 7))
    }
    async with HFServer(days) as hf, httpx.AsyncClient(base_url=hf.url) as http:
        default = await http.get("/api/daily_papers", params={"month": MONTH})
        second = await http.get("/api/daily_papers", params={"month": MONTH, "limit": 20, "p": 3})
        past_end = await http.get("/api/daily_papers", params={"month": MONTH, "p": 2})
        bad = [
            await http.get("/api/daily_papers", params={"month": month})
            for month in ("2026-13", "2026-00", "2026-W40", "10-2026", "2026-10-01")
        ]
        both = await http.get("/api/daily_papers", params={"month": MONTH, "date": "2026-11-01"})
        week = await http.get("/api/daily_papers", params={"month": MONTH, "week": "2026-W44"})
        hf.month_edge_days = 1
        edged = await http.get("/api/daily_papers", params={"month": MONTH, "limit": 100})

    ids = [e["paper"]["id"] for e in days[day(0)] + days[day(30)]]
    assert [e["paper"]["id"] for e in default.json()] == ids[:50]  # HF's default limit of 50
    assert [e["paper"]["id"] for e in second.json()] == ids[60:70]
    assert past_end.json() == []
    assert {r.status_code for r in bad} == {400}
    assert "Invalid month" in bad[0].json()["error"]
    assert both.json() == days[day(31)]  # `date` wins
    assert week.json() == days[day(30)] + days[day(31)]  # then `week` (Oct 26 - Nov 1)
    assert [e["paper"]["id"] for e in edged.json()] == [
        e["paper"]["id"] for e in days[day(-1)] + days[day(0)] + days[day(30)]
    ]


async def test_the_fake_refuses_a_future_month():
    async with HFServer(today=day(2)) as hf, httpx.AsyncClient(base_url=hf.url) as http:
        now = await http.get("/api/daily_papers", params={"month": MONTH})
        later = await http.get("/api/daily_papers", params={"month": "2026-11"})

    assert now.json() == [] and later.status_code == 400
