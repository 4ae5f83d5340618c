"""`FeedClient.fetch_week` (`week=YYYY-Www`) against the local fake HF API, with real httpx."""

from __future__ import annotations

import copy
import json
import logging
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.feed import client as feed
from bot.feed.client import FeedError, parse_entries, week_days
from bot.feed.parse import UndatedEntries, submitted_day
from tests.bot.feed.conftest import NOW, make_client, queries, serve_days
from tests.data.make_days import make_day, recorded_days
from tests.fakes.hf_server import Canned, HFServer, error, garbage, json_body, rate_limited

WEEK = "2026-W48"  # Monday 2026-11-23 to Sunday 2026-11-29
MONDAY = date(2026, 11, 23)
# Real payloads live beside the repository (`../shared/hf_real`), not in it; absent on a
# contributor's clone, where the test that reads them is skipped.
REAL_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "hf_real"
REAL_PREFIX = "daily_papers_"


def day(offset: int) -> date:
    """The day `offset` days after WEEK's Monday."""
    return MONDAY + timedelta(days=offset)


def add_days(server: HFServer, counts: dict[int, int]) -> dict[date, list[dict[str, Any]]]:
    """Serve `make_day` entries: `counts` maps a day offset from MONDAY to a paper count."""
    return serve_days(server, {day(offset): count for offset, count in counts.items()})


# --- the week answer --------------------------------------------------------------------------


async def test_a_week_of_three_days_over_three_pages_has_every_paper_once_on_its_day(hf, sleeps):
    days = add_days(hf, {0: 120, 2: 90, 4: 60})  # Mon, Wed, Fri: 270 papers
    add_days(hf, {-1: 5, 7: 5})  # the Sunday before and the Monday after are not in the week
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_week(WEEK)
        by_day = [paper for when in days for paper in await client.fetch_day(when)]

    assert papers is not None and len(papers) == 270
    assert [(p.id, p.day) for p in papers] == [
        (entry["paper"]["id"], when) for when, entries in days.items() for entry in entries
    ]
    assert papers == by_day  # the same Paper values, field for field, as day requests give
    assert queries(hf)[:3] == [{"week": WEEK, "limit": "100", "p": str(p)} for p in range(3)]
    assert sleeps.calls == []


async def test_a_paper_sliding_across_a_page_boundary_is_kept_once(hf, sleeps):
    entries = make_day(day(1), 150)
    hf.add_day(day(1), [*entries[:100], copy.deepcopy(entries[99]), *entries[100:]])
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_week(WEEK)

    assert papers is not None
    assert [p.id for p in papers] == [e["paper"]["id"] for e in entries]


async def test_an_empty_week_is_an_empty_list(hf, sleeps):
    add_days(hf, {-3: 10, 8: 10})  # papers the Friday before and the Tuesday after only
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_week(WEEK) == []

    assert queries(hf) == [{"week": WEEK, "limit": "100", "p": "0"}]


@pytest.mark.parametrize(
    ("counts", "pages"),
    [({0: 99}, 1), ({0: 100, 1: 50}, 2), ({0: 100, 3: 100}, 3)],  # 200: one more, empty, page
)
async def test_paging_stops_on_the_first_short_page(hf, sleeps, counts, pages):
    add_days(hf, counts)
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_week(WEEK)

    assert papers is not None and len(papers) == sum(counts.values())
    assert [q["p"] for q in queries(hf)] == [str(p) for p in range(pages)]


async def test_a_week_of_250_papers_takes_3_requests_where_days_take_7(hf, sleeps):
    add_days(hf, dict.fromkeys(range(5), 50))  # 50 papers each weekday
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_week(WEEK)
        week_requests = len(hf.feed_requests())
        by_day = [paper for offset in range(7) for paper in await client.fetch_day(day(offset))]

    assert papers is not None and len(papers) == 250
    assert week_requests == math.ceil(250 / feed.PAGE_SIZE) == 3
    assert len(hf.feed_requests()) - week_requests == 7
    assert papers == by_day


async def test_the_page_cap_gives_up_on_the_week(hf, sleeps, monkeypatch, caplog):
    monkeypatch.setattr(feed, "MAX_PAGES", 2)
    add_days(hf, {0: 150, 1: 150})
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_week(WEEK) is None

    assert len(hf.feed_requests()) == 2 and "stopped after 2 pages" in caplog.text


# --- no guessing: None sends the caller to day requests ---------------------------------------


def _drop(entry: dict[str, Any]) -> None:
    del entry["paper"]["submittedOnDailyAt"]


@pytest.mark.parametrize(
    "spoil",
    [
        _drop,
        lambda e: e["paper"].update(submittedOnDailyAt=None),
        lambda e: e["paper"].update(submittedOnDailyAt="yesterday"),
        lambda e: e["paper"].update(submittedOnDailyAt="2026-11-20T03:00:00.000Z"),  # Friday before
        lambda e: e["paper"].update(submittedOnDailyAt="2026-11-29T23:30:00-05:00"),  # Mon 30 UTC
    ],
    ids=["missing", "null", "unparseable", "before the week", "after the week in UTC"],
)
async def test_one_entry_without_a_day_in_the_week_makes_the_week_none(hf, sleeps, spoil, caplog):
    days = add_days(hf, {0: 100, 2: 80})
    spoil(days[day(2)][42])  # on the second page
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_week(WEEK) is None

    assert [q["p"] for q in queries(hf)] == ["0", "1"]
    assert "use day requests" in caplog.text


async def test_a_2024_payload_without_the_field_makes_the_week_none(hf, sleeps):
    hf.days.update(recorded_days())  # 2024-10-25 (no submittedOnDailyAt) is in 2024-W43
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_week("2024-W43") is None
        assert len(await client.fetch_day(date(2024, 10, 25))) == 2  # the fallback works


async def test_an_undated_entry_with_a_non_arxiv_id_still_makes_the_week_none(hf, sleeps):
    (days,) = add_days(hf, {1: 3}).values()
    days[2]["paper"]["id"] = "openreview:abc123"
    _drop(days[2])
    async with make_client(hf, sleeps) as client:
        assert await client.fetch_week(WEEK) is None


# --- failures, like fetch_day -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("canned", "message"),
    [
        (garbage(), "not JSON"),
        (json_body({"error": "surprise", "papers": []}), "JSON array"),
        (json_body([{"paper": {"title": "no id"}}]), r"entry 0.*paper.id"),
    ],
)
async def test_a_malformed_body_is_a_feed_error(hf, sleeps, caplog, canned, message):
    add_days(hf, {0: 10})
    hf.script(canned)
    async with make_client(hf, sleeps) as client:
        with pytest.raises(FeedError, match=message):
            await client.fetch_week(WEEK)

    assert "rejecting Daily Papers response" in caplog.text and sleeps.calls == []


async def test_a_malformed_later_page_is_a_feed_error_naming_the_page(hf, sleeps):
    add_days(hf, {0: 150})
    hf.script(Canned(), garbage())  # page 0 served normally, page 1 is garbage
    async with make_client(hf, sleeps) as client:
        with pytest.raises(FeedError, match=rf"week={WEEK}&p=1"):
            await client.fetch_week(WEEK)


async def test_a_schema_break_wins_over_an_undated_entry(hf, sleeps):
    (entries,) = add_days(hf, {0: 3}).values()
    _drop(entries[0])
    entries[2]["paper"]["authors"] = "Marco Garosi"
    async with make_client(hf, sleeps) as client:
        with pytest.raises(FeedError, match=r"entry 2.*authors"):
            await client.fetch_week(WEEK)


async def test_5xx_and_429_are_retried_as_for_days(hf, sleeps):
    add_days(hf, {0: 10})
    hf.script(error(503), rate_limited(t=7))
    async with make_client(hf, sleeps) as client:
        papers = await client.fetch_week(WEEK)

    assert papers is not None and len(papers) == 10
    assert sleeps.calls == [2.0, 7.0] and len(hf.feed_requests()) == 3


async def test_a_400_for_a_future_week_means_no_papers_yet(hf, sleeps, caplog):
    hf.today = NOW.date()
    async with make_client(hf, sleeps) as client:
        with caplog.at_level(logging.INFO, logger="bot.feed.client"):
            assert await client.fetch_week("2026-W50") == []  # Monday 2026-12-07

    assert "no papers yet" in caplog.text and sleeps.calls == []


async def test_a_400_for_a_past_week_is_a_feed_error(hf, sleeps):
    hf.script(error(400, "Invalid week"))
    async with make_client(hf, sleeps) as client:
        with pytest.raises(FeedError, match=r"HTTP 400: .*Invalid week"):
            await client.fetch_week(WEEK)

    assert len(hf.feed_requests()) == 1 and sleeps.calls == []


async def test_the_current_week_serves_the_days_so_far(hf, sleeps):
    add_days(hf, {0: 10, 1: 10, 2: 10})
    hf.today = day(1)
    async with make_client(hf, sleeps, clock=lambda: datetime(2026, 11, 24, 12, tzinfo=UTC)) as c:
        papers = await c.fetch_week(WEEK)

    assert papers is not None and {p.day for p in papers} == {day(0), day(1)}


@pytest.mark.parametrize("week", ["2026-48", "2026-w48", "2026-W4", " 2026-W48", "2025-W53", ""])
async def test_an_invalid_week_is_a_value_error_before_any_request(hf, sleeps, week):
    async with make_client(hf, sleeps) as client:
        with pytest.raises(ValueError):
            await client.fetch_week(week)

    assert hf.feed_requests() == []


def test_week_days_are_monday_to_sunday():
    assert week_days(WEEK) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week_days("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert week_days("2025-W01") == (date(2024, 12, 30), date(2025, 1, 5))


# --- parse_entries without a requested day ----------------------------------------------------


def test_without_a_day_each_entry_is_on_its_submitted_utc_date():
    monday, tuesday = make_day(day(0), 2), make_day(day(1), 2)
    monday[1]["paper"]["submittedOnDailyAt"] = "2026-11-23T21:30:00-05:00"  # Tuesday in UTC
    tuesday[0]["paper"]["submittedOnDailyAt"] = "2026-11-24T01:02:03"  # naive is UTC

    papers = parse_entries(monday + tuesday, None)

    assert [p.day for p in papers] == [day(0), day(1), day(1), day(1)]
    assert submitted_day({"paper": {"submittedOnDailyAt": "2026-03-06T03:55:12.777Z"}}) == date(
        2026, 3, 6
    )


def test_without_a_day_undated_entries_raise_with_their_indexes():
    entries = make_day(day(0), 4)
    _drop(entries[1])
    entries[3]["paper"]["submittedOnDailyAt"] = 20261123

    with pytest.raises(UndatedEntries, match="2 entries") as err:
        parse_entries(entries, None)

    assert err.value.indexes == [1, 3]
    assert not isinstance(err.value, FeedError)  # a reason to ask day by day, not a failure


def test_with_a_day_the_field_is_not_needed():
    entries = make_day(day(0), 2)
    _drop(entries[0])

    assert [p.day for p in parse_entries(entries, day(3))] == [day(3), day(3)]


def test_generated_entries_carry_submitted_on_daily_at_on_their_day():
    for offset in range(7):
        entries = make_day(day(offset), 30)
        assert {submitted_day(e) for e in entries} == {day(offset)}


# --- the fake learns week= --------------------------------------------------------------------


async def test_the_fake_serves_a_week_like_hf():
    days = {day(0): make_day(day(0), 30), day(4): make_day(day(4), 40), day(7): make_day(day(7), 5)}
    async with HFServer(days) as hf, httpx.AsyncClient(base_url=hf.url) as http:
        default = await http.get("/api/daily_papers", params={"week": WEEK})
        second = await http.get("/api/daily_papers", params={"week": WEEK, "limit": 20, "p": 3})
        past_end = await http.get("/api/daily_papers", params={"week": WEEK, "p": 2})
        bad = [
            await http.get("/api/daily_papers", params={"week": week})
            for week in ("2026-11-23", "2026-W54", "2025-W53", "2026-W00", "W48")
        ]
        both = await http.get("/api/daily_papers", params={"week": WEEK, "date": "2026-11-30"})

    ids = [e["paper"]["id"] for e in days[day(0)] + days[day(4)]]
    assert [e["paper"]["id"] for e in default.json()] == ids[:50]  # HF's default limit of 50
    assert [e["paper"]["id"] for e in second.json()] == ids[60:70]
    assert past_end.json() == []
    assert {r.status_code for r in bad} == {400}
    assert "Invalid week" in bad[0].json()["error"]
    assert both.json() == days[day(7)]  # `date` wins; `week` is ignored


async def test_the_fake_refuses_a_future_week():
    async with HFServer(today=day(2)) as hf, httpx.AsyncClient(base_url=hf.url) as http:
        now = await http.get("/api/daily_papers", params={"week": WEEK})
        later = await http.get("/api/daily_papers", params={"week": "2026-W49"})

    assert now.json() == [] and later.status_code == 400


# --- real payloads ----------------------------------------------------------------------------


def _real_files() -> list[Path]:
    return sorted(REAL_DIR.glob(f"{REAL_PREFIX}*.json")) if REAL_DIR.is_dir() else []


@pytest.mark.skipif(not _real_files(), reason=f"no real payloads in {REAL_DIR}")
def test_real_payloads_are_dated_by_submitted_on_daily_at_as_by_their_date_request():
    dated = undated = 0
    for path in _real_files():
        asked = date.fromisoformat(path.name.removeprefix(REAL_PREFIX)[:10])
        entries = json.loads(path.read_text(encoding="utf-8"))
        by_date = parse_entries(entries, asked)  # the whole body still parses the date= way
        assert by_date, path.name
        for entry in entries:
            if entry["paper"].get("submittedOnDailyAt") is None:
                with pytest.raises(UndatedEntries):
                    parse_entries([entry], None)
                undated += 1
                continue
            for paper in parse_entries([entry], None):
                assert paper.day == asked, (path.name, paper.id)
            dated += 1
    assert dated > 0, "no real entry carries submittedOnDailyAt"
    assert dated + undated == sum(len(json.loads(p.read_text())) for p in _real_files())
