"""The HF Daily Papers client against the local fake HF API, with real httpx."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.feed import client as feed
from bot.feed.client import FeedClient, FeedError, parse_entries, rate_limit_wait, user_agent
from bot.feed.parse import UndatedEntries
from tests.bot.feed.conftest import Sleeps
from tests.data.make_days import GENERATED_DAY, make_day, recorded_days
from tests.fakes import hf_fixture
from tests.fakes.hf_server import (
    Canned,
    HFServer,
    disconnect,
    error,
    garbage,
    json_body,
    rate_limited,
    retry_after,
    slow,
)

# The shared fixture, bound here so pytest finds it (a `from … import hf_server` would make ruff
# report every test argument named `hf_server` as F811).
hf_server = hf_fixture.hf_server

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
DAY_2024 = date(2024, 10, 25)
DAY_2026 = date(2026, 3, 6)
TOKEN = "hf_test_token_do_not_log"


def make_client(server: HFServer, sleeps: Sleeps, **kwargs: Any) -> FeedClient:
    kwargs.setdefault("random", lambda: 1.0)
    kwargs.setdefault("clock", lambda: NOW)
    return FeedClient(server.url, sleep=sleeps, **kwargs)


def raw_2026() -> dict[str, Any]:
    return copy.deepcopy(recorded_days()[DAY_2026][0])


# --- paging ---------------------------------------------------------------------------------


async def test_fetch_day_pages_through_two_full_pages_and_a_short_one(hf_server, sleeps):
    async with make_client(hf_server, sleeps) as client:
        papers = await client.fetch_day(GENERATED_DAY)

    assert len(papers) == 230
    assert len({p.id for p in papers}) == 230
    assert [r.query for r in hf_server.feed_requests()] == [
        {"date": "2026-03-09", "limit": "100", "p": str(page)} for page in range(3)
    ]


async def test_fetch_day_asks_for_one_more_page_after_an_exactly_full_page(hf_server, sleeps):
    hf_server.add_day(GENERATED_DAY, make_day(GENERATED_DAY, 200))
    async with make_client(hf_server, sleeps) as client:
        papers = await client.fetch_day(GENERATED_DAY)

    assert len(papers) == 200
    assert [r.query["p"] for r in hf_server.feed_requests()] == ["0", "1", "2"]


async def test_fetch_day_dedups_a_paper_that_slides_across_a_page_boundary(hf_server, sleeps):
    entries = make_day(GENERATED_DAY, 150)
    hf_server.add_day(GENERATED_DAY, [*entries[:100], copy.deepcopy(entries[99]), *entries[100:]])
    async with make_client(hf_server, sleeps) as client:
        papers = await client.fetch_day(GENERATED_DAY)

    assert [p.id for p in papers] == [e["paper"]["id"] for e in entries]


async def test_fetch_day_stops_at_the_page_cap_with_a_warning(
    hf_server, sleeps, monkeypatch, caplog
):
    monkeypatch.setattr(feed, "MAX_PAGES", 2)
    async with make_client(hf_server, sleeps) as client:
        papers = await client.fetch_day(GENERATED_DAY)

    assert len(papers) == 200 and len(hf_server.feed_requests()) == 2
    assert "stopped after 2 pages" in caplog.text


async def test_a_shared_http_client_is_used_and_left_open(hf_server, sleeps):
    async with httpx.AsyncClient() as http:
        async with make_client(hf_server, sleeps, client=http) as client:
            assert len(await client.fetch_day(DAY_2026)) == 1
        assert not http.is_closed


async def test_fetch_day_of_a_day_without_papers_is_empty(hf_server, sleeps):
    async with make_client(hf_server, sleeps) as client:
        assert await client.fetch_day(date(2026, 3, 7)) == []


def test_generated_days_have_distinct_ids_across_days():
    monday, tuesday = make_day(date(2026, 3, 9), 300), make_day(date(2026, 3, 10), 300)

    ids = [e["paper"]["id"] for e in monday + tuesday]
    assert len(set(ids)) == 600
    assert [p.id for p in parse_entries(monday, date(2026, 3, 9))] == ids[:300]


# --- parsing both payload shapes -------------------------------------------------------------


async def test_2024_shape_parses_into_papers(hf_server, sleeps):
    async with make_client(hf_server, sleeps) as client:
        first, second = await client.fetch_day(DAY_2024)

    assert first.id == "2410.17243"
    assert first.title == (
        "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    )
    assert "\n" not in first.summary and "  " not in first.summary
    assert first.summary.startswith("Contrastive loss is a powerful approach for representation")
    assert first.authors[:2] == ("Zesen Cheng", "Hang Zhang") and len(first.authors) == 9
    assert (first.upvotes, first.comments, first.day) == (64, 3, DAY_2024)
    assert first.published_at == datetime(2024, 10, 22, 17, 59, 30, tzinfo=UTC)
    assert first.thumbnail == (
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2410.17243.png"
    )
    assert (first.ai_summary, first.ai_keywords, first.github_repo, first.organization) == (
        None,
        (),
        None,
        None,
    )
    assert (second.id, second.upvotes, second.comments) == ("2410.16251", 41, 2)


async def test_2026_shape_keeps_the_optional_fields(hf_server, sleeps):
    async with make_client(hf_server, sleeps) as client:
        (paper,) = await client.fetch_day(DAY_2026)

    assert paper == Paper(
        id="2602.23229",
        title="Large Multimodal Models as General In-Context Classifiers",
        summary=paper.summary,
        authors=(
            "Marco Garosi",
            "Matteo Farina",
            "Alessandro Conti",
            "Massimiliano Mancini",
            "Elisa Ricci",
        ),
        upvotes=10,
        comments=1,
        day=DAY_2026,
        published_at=datetime(2026, 2, 26, 17, 8, 18, tzinfo=UTC),
        ai_summary=paper.ai_summary,
        ai_keywords=paper.ai_keywords,
        github_repo="https://github.com/marco-garosi/CIRCLE",
        github_stars=9,
        project_page="https://circle-lmm.github.io/",
        organization="Multimedia and Human Understanding Group",
        thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2602.23229.png",
    )
    assert paper.summary.startswith("Which multimodal model should we use for classification?")
    assert paper.ai_summary and paper.ai_summary.startswith("Large Multimodal Models demonstrate")
    assert len(paper.ai_keywords) == 9 and paper.ai_keywords[-1] == "context refinement"


def test_hidden_authors_are_skipped():
    entry = raw_2026()
    entry["paper"]["authors"][1]["hidden"] = True

    (paper,) = parse_entries([entry], DAY_2026)

    assert "Matteo Farina" not in paper.authors and len(paper.authors) == 4


def test_title_falls_back_to_the_folded_paper_title():
    entry = raw_2026()
    del entry["title"]
    entry["paper"]["title"] = "Large Multimodal Models as General\n  In-Context   Classifiers"

    (paper,) = parse_entries([entry], DAY_2026)

    assert paper.title == "Large Multimodal Models as General In-Context Classifiers"


def test_summary_falls_back_to_the_top_level_summary():
    entry = raw_2026()
    entry["paper"].pop("summary")
    entry["summary"] = "An abstract\nwrapped  by arXiv."

    assert parse_entries([entry], DAY_2026)[0].summary == "An abstract wrapped by arXiv."


def test_organization_name_is_used_when_there_is_no_fullname():
    entry = raw_2026()
    entry["paper"].pop("organization")
    entry["organization"] = {"name": "MHUGLab"}

    assert parse_entries([entry], DAY_2026)[0].organization == "MHUGLab"


def test_missing_counts_default_to_zero_and_numbers_are_cast_to_int():
    missing, numeric = raw_2026(), raw_2026()
    missing["paper"].pop("upvotes")
    missing.pop("numComments")
    numeric["paper"]["upvotes"], numeric["numComments"] = 12.0, "4"

    a, b = parse_entries([missing, numeric], DAY_2026)

    assert (a.upvotes, a.comments) == (0, 0)
    assert (b.upvotes, b.comments) == (12, 4) and isinstance(b.upvotes, int)


def test_a_count_too_big_to_store_is_a_schema_error_and_stars_are_dropped():
    huge_upvotes, huge_stars = raw_2026(), raw_2026()
    huge_upvotes["paper"]["upvotes"] = 1e20
    huge_stars["paper"]["githubStars"] = 10**30

    with pytest.raises(FeedError, match="expected a number"):
        parse_entries([huge_upvotes], DAY_2026)
    assert parse_entries([huge_stars], DAY_2026)[0].github_stars is None


def test_day_is_the_queried_day_not_a_timestamp_in_the_entry():
    (paper,) = parse_entries([raw_2026()], date(2026, 3, 5))  # submittedOnDailyAt is 03-06

    assert paper.day == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2410.17243", "2410.17243"),
        ("arXiv:2410.17243v2", "2410.17243"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001v1", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
    ],
)
def test_ids_are_versionless_strings(raw, expected):
    entry = raw_2026()
    entry["paper"]["id"] = raw

    assert parse_entries([entry], DAY_2026)[0].id == expected


def test_an_entry_with_a_non_arxiv_id_is_skipped_with_a_warning(caplog):
    odd, good = raw_2026(), raw_2026()
    odd["paper"]["id"] = "openreview:abc123"

    with caplog.at_level(logging.WARNING, logger="bot.feed.parse"):
        papers = parse_entries([odd, good], DAY_2026)

    assert [p.id for p in papers] == ["2602.23229"]
    assert "not an arXiv id" in caplog.text


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e["paper"].pop("id"), "paper.id"),
        (lambda e: e["paper"].update(id=2503.0213), "paper.id"),
        (lambda e: (e.pop("title"), e["paper"].pop("title")), "no title"),
        (lambda e: e.update(paper=None), "`paper`"),
        (lambda e: e["paper"].update(upvotes="many"), "upvotes"),
        (lambda e: e["paper"].update(authors="Marco Garosi"), "authors"),
    ],
)
def test_a_schema_violation_rejects_the_whole_response(mutate, message):
    bad = raw_2026()
    mutate(bad)

    with pytest.raises(FeedError, match=message):
        parse_entries([raw_2026(), bad], DAY_2026)


# --- headers ---------------------------------------------------------------------------------


async def test_bearer_token_and_user_agent_are_sent_when_a_token_is_set(hf_server, sleeps):
    async with make_client(hf_server, sleeps, token=TOKEN) as client:
        await client.fetch_day(DAY_2026)

    (request,) = hf_server.feed_requests()
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == user_agent()
    assert user_agent().startswith("paperboy/0.1") and "+https://" in user_agent()


async def test_no_authorization_header_without_a_token(hf_server, sleeps):
    async with make_client(hf_server, sleeps) as client:
        await client.fetch_day(DAY_2026)

    (request,) = hf_server.feed_requests()
    assert "Authorization" not in request.headers
    assert request.headers["User-Agent"] == user_agent()


async def test_a_rejected_token_is_a_feed_error_that_does_not_show_the_token(sleeps, caplog):
    async with (
        HFServer(recorded_days(), tokens={"hf_other"}) as server,
        make_client(server, sleeps, token=TOKEN) as client,
    ):
        with caplog.at_level(logging.DEBUG), pytest.raises(FeedError, match="401") as err:
            await client.fetch_day(DAY_2026)

    assert TOKEN not in str(err.value) and TOKEN not in caplog.text
    assert sleeps.calls == []


# --- retries ---------------------------------------------------------------------------------


async def test_5xx_is_retried_with_growing_jittered_backoff(hf_server, sleeps):
    hf_server.script(error(500), error(503), error(502))
    jitter = iter([0.25, 0.5, 1.0])
    async with make_client(hf_server, sleeps, random=lambda: next(jitter)) as client:
        papers = await client.fetch_day(DAY_2026)

    assert [p.id for p in papers] == ["2602.23229"]
    assert sleeps.calls == [0.5, 2.0, 8.0]  # jitter x 2, 4, 8 s
    assert len(hf_server.feed_requests()) == 4


async def test_backoff_is_capped_at_five_minutes(hf_server, sleeps):
    hf_server.script(*[error(500)] * 9)
    async with make_client(hf_server, sleeps, max_attempts=10) as client:
        await client.fetch_day(DAY_2026)

    assert sleeps.calls == [2, 4, 8, 16, 32, 64, 128, 256, 300]


async def test_gives_up_after_max_attempts_with_a_feed_error(hf_server, sleeps):
    hf_server.script(*[error(503)] * 5, error(503))
    async with make_client(hf_server, sleeps, max_attempts=5) as client:
        with pytest.raises(FeedError, match=r"gave up after 5 attempts.*HTTP 503"):
            await client.fetch_day(DAY_2026)

    assert len(hf_server.feed_requests()) == 5
    assert len(sleeps.calls) == 4


async def test_a_timeout_is_retried(hf_server, sleeps):
    hf_server.script(slow(1.0))  # the only wall-clock wait: 0.2 s
    async with make_client(hf_server, sleeps, timeout=0.2) as client:
        papers = await client.fetch_day(DAY_2026)

    assert [p.id for p in papers] == ["2602.23229"]
    assert sleeps.calls == [2.0]


async def test_a_dropped_connection_is_retried(hf_server, sleeps):
    hf_server.script(disconnect())
    async with make_client(hf_server, sleeps) as client:
        papers = await client.fetch_day(DAY_2026)

    assert len(papers) == 1 and sleeps.calls == [2.0]


async def test_429_waits_for_the_ratelimit_header(hf_server, sleeps):
    hf_server.script(rate_limited(t=7))
    async with make_client(hf_server, sleeps, max_attempts=1) as client:  # 429 is no failure
        papers = await client.fetch_day(DAY_2026)

    assert len(papers) == 1
    assert sleeps.calls == [7.0]


async def test_429_waits_for_retry_after_seconds(hf_server, sleeps):
    hf_server.script(retry_after(3))
    async with make_client(hf_server, sleeps) as client:
        await client.fetch_day(DAY_2026)

    assert sleeps.calls == [3.0]


async def test_429_waits_for_a_retry_after_http_date(hf_server, sleeps):
    hf_server.script(retry_after(format_datetime(NOW + timedelta(seconds=42), usegmt=True)))
    async with make_client(hf_server, sleeps) as client:
        await client.fetch_day(DAY_2026)

    assert sleeps.calls == [42.0]


async def test_429_without_headers_waits_a_minute(hf_server, sleeps):
    hf_server.script(error(429, "Too Many Requests"))
    async with make_client(hf_server, sleeps) as client:
        await client.fetch_day(DAY_2026)

    assert sleeps.calls == [60.0]


async def test_endless_429s_end_in_a_feed_error(hf_server, sleeps):
    hf_server.script(*[rate_limited(t=7)] * 10)
    async with make_client(hf_server, sleeps, max_rate_limit_waits=3) as client:
        with pytest.raises(FeedError, match="429"):
            await client.fetch_day(DAY_2026)

    assert sleeps.calls == [7.0, 7.0, 7.0]
    assert len(hf_server.feed_requests()) == 4


def test_rate_limit_wait_prefers_the_api_policy_and_stays_bounded():
    parse = rate_limit_wait
    assert parse(httpx.Headers({"RateLimit": '"pages";r=0;t=200, "api";r=0;t=9'}), NOW) == 9
    assert parse(httpx.Headers({"RateLimit": '"api";r=0;t=0'}), NOW) == 1.0
    assert parse(httpx.Headers({"Retry-After": "86400"}), NOW) == 300.0
    assert parse(httpx.Headers({"Retry-After": "soon"}), NOW) == 60.0


# --- malformed responses ---------------------------------------------------------------------


async def test_an_html_body_is_a_feed_error(hf_server, sleeps, caplog):
    hf_server.script(garbage())
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match="not JSON"):
            await client.fetch_day(DAY_2026)

    assert "rejecting Daily Papers response" in caplog.text
    assert sleeps.calls == []


async def test_a_json_object_body_is_a_feed_error(hf_server, sleeps):
    hf_server.script(json_body({"error": "surprise", "papers": []}))
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match="JSON array"):
            await client.fetch_day(DAY_2026)


async def test_a_malformed_later_page_returns_nothing_of_the_day(hf_server, sleeps):
    hf_server.script(Canned(), garbage())  # page 0 served normally, page 1 is garbage
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match="p=1"):
            await client.fetch_day(GENERATED_DAY)


async def test_one_bad_entry_rejects_the_whole_page(hf_server, sleeps):
    hf_server.script(json_body([raw_2026(), {"paper": {"title": "no id"}}]))
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match=r"entry 1.*paper.id"):
            await client.fetch_day(DAY_2026)


# --- 4xx -------------------------------------------------------------------------------------


async def test_a_400_for_a_future_date_means_no_papers_yet(hf_server, sleeps, caplog):
    hf_server.today = NOW.date()
    async with make_client(hf_server, sleeps) as client:
        with caplog.at_level(logging.INFO, logger="bot.feed.client"):
            papers = await client.fetch_day(NOW.date() + timedelta(days=1))

    assert papers == []
    assert "no papers yet" in caplog.text
    assert sleeps.calls == []


async def test_a_400_for_a_past_date_is_a_feed_error_without_retries(hf_server, sleeps):
    hf_server.script(error(400, "Invalid date"))
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match=r"HTTP 400: .*Invalid date"):
            await client.fetch_day(DAY_2026)

    assert len(hf_server.feed_requests()) == 1 and sleeps.calls == []


async def test_a_404_is_a_feed_error(hf_server, sleeps):
    hf_server.script(error(404, "Not Found"))
    async with make_client(hf_server, sleeps) as client:
        with pytest.raises(FeedError, match="HTTP 404"):
            await client.fetch_day(DAY_2026)


# --- the fake behaves like HF ----------------------------------------------------------------


async def test_the_fake_enforces_hf_paging_rules(hf_server):
    async with httpx.AsyncClient(base_url=hf_server.url) as http:
        default = await http.get("/api/daily_papers", params={"date": "2026-03-09"})
        too_big = await http.get("/api/daily_papers", params={"date": "2026-03-09", "limit": 101})
        past_end = await http.get("/api/daily_papers", params={"date": "2026-03-09", "p": 100})
        bad_date = await http.get("/api/daily_papers", params={"date": "2026-13-45"})

    assert len(default.json()) == 50
    assert too_big.status_code == 400 and bad_date.status_code == 400
    assert past_end.json() == []


# --- property: parse_entries never fails in any other way -----------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_ids = st.sampled_from(["2410.17243", "arXiv:2410.17243v3", "hep-th/9901001", "x", ""]) | _json
_paper = st.fixed_dictionaries(
    {},
    optional={
        "id": _ids,
        "title": _json | st.text(),
        "summary": _json,
        "upvotes": _json,
        "publishedAt": st.sampled_from(["2026-02-26T17:08:18.000Z", "0001-01-01T00:00:00+01:00"])
        | _json,
        "submittedOnDailyAt": st.sampled_from(
            ["2026-03-06T03:55:12.777Z", "0001-01-01T00:00:00+01:00", "2026-03-06"]
        )
        | _json,
        "authors": st.lists(
            st.fixed_dictionaries({}, optional={"name": _json, "hidden": _json}) | _json,
            max_size=3,
        )
        | _json,
        "ai_keywords": _json,
        "githubStars": _json,
        "organization": _json,
    },
)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "paper": _paper | _json,
        "title": _json,
        "numComments": _json,
        "organization": _json,
        "thumbnail": _json,
    },
)

_PAPER_KEYS = [
    "id",
    "title",
    "summary",
    "upvotes",
    "publishedAt",
    "authors",
    "ai_summary",
    "ai_keywords",
    "githubRepo",
    "githubStars",
    "projectPage",
    "organization",
    "submittedOnDailyAt",
]
_ENTRY_KEYS = ["paper", "title", "summary", "numComments", "thumbnail", "organization"]


def _mutate(paper: dict[str, Any], entry: dict[str, Any], drop: list[str]) -> dict[str, Any]:
    """The real 2026 entry with some fields replaced by arbitrary JSON, some dropped."""
    base = raw_2026()
    base["paper"].update(paper)
    base.update(entry)
    for key in drop:
        base.pop(key, None)
        if isinstance(base.get("paper"), dict):
            base["paper"].pop(key, None)
    return base


_mutated_entry = st.builds(
    _mutate,
    st.dictionaries(st.sampled_from(_PAPER_KEYS), _json, max_size=2),
    st.dictionaries(st.sampled_from(_ENTRY_KEYS), _json, max_size=1),
    st.lists(st.sampled_from(_PAPER_KEYS + _ENTRY_KEYS), max_size=2),
)


_bodies = (
    st.lists(_mutated_entry, max_size=3) | st.lists(_mutated_entry | _entry, max_size=4) | _json
)


@settings(max_examples=300, deadline=None)
@given(_bodies, st.sampled_from([DAY_2026, None]))
def test_parse_entries_returns_papers_or_raises_feed_error(data, day):
    try:
        papers = parse_entries(data, day)  # None: each entry's own day (`week=` answers)
    except FeedError as exc:
        assert "\n" not in str(exc)
        return
    except UndatedEntries as exc:
        assert day is None and exc.indexes
        return
    for paper in papers:
        assert isinstance(paper, Paper) and isinstance(paper.id, str) and paper.title
        assert isinstance(paper.upvotes, int) and isinstance(paper.comments, int)
        assert paper.published_at is None or paper.published_at.tzinfo is not None
        json.dumps(paper.as_json())
