"""`alerts test` and the preview on `subscribe` answer from the search index, and agree with the
real alert matcher (bot.delivery.alerts.match_alerts) on which papers would have alerted."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.handlers import ALERT_TEST_DAYS, ALERT_TEST_SHOWN, Handlers
from bot.delivery.alerts import match_alerts
from bot.domain import ChannelRef, Invocation, Paper, Reply, Subscription
from bot.query.parse import parse
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, StaticFeed, at, make_paper
from tests.test_query_agreement import SETTINGS, paper_lists, query_strings

CH = ChannelRef("slack", "T1", "C1")
NOW = at("2026-11-25 15:00")
DAYS = 10  # papers on 10 stored days: the oldest 3 are outside the dry run's 7


def _handlers(papers: list[Paper]) -> tuple[Store, Handlers]:
    store = Store()  # one thread (the handlers are called directly): a memory store will do
    store.upsert_papers(papers, NOW)
    return store, Handlers(Paperboy(store, StaticFeed(), clock=Clock(NOW)))


def _would_alert(store: Store, text: str) -> list[str]:
    """What the real alert matcher says over the papers of the dry run's days."""
    recent = store.recent_days(ALERT_TEST_DAYS)
    papers = store.papers_on(recent, limit=10_000)
    probe = [Subscription(0, CH, text, "", NOW)]
    return [a.paper.id for a in match_alerts(probe, papers)]


def _count(reply: Reply) -> int:
    """The number a dry run reports (read after the quoted query, which may hold digits)."""
    if "would not have matched any paper" in reply.text:
        return 0
    found = re.search(r"would have alerted on (\d+) papers? in the last", reply.text)
    assert found, reply.text
    return int(found.group(1))


def _assert_dry_run_agrees(store: Store, handlers: Handlers, text: str) -> None:
    expected = set(_would_alert(store, text))
    recent = store.recent_days(ALERT_TEST_DAYS)
    query = parse(text)
    ranked = [h.paper.id for h in store.search(query, limit=10_000, days=recent)]
    assert set(ranked) == expected, f"search and alerts disagree on {text!r}"
    assert len(ranked) == len(expected), f"duplicate hits for {text!r}"
    reply = handlers.alerts_test({"query": text}, Invocation(CH, "U1"))
    assert reply.ok
    assert _count(reply) == len(expected), f"dry run count for {text!r}: {reply.text}"
    # The shown papers are the best matches first, as search ranks them.
    assert [h.paper.id for h in reply.hits] == ranked[:ALERT_TEST_SHOWN]
    if len(expected) > ALERT_TEST_SHOWN:
        assert reply.text.endswith(f"; the top {ALERT_TEST_SHOWN}:")


# --- generated papers and queries ------------------------------------------------------


def papers_over_days() -> st.SearchStrategy[list[Paper]]:
    """1 to 12 generated papers over DAYS stored days."""
    return paper_lists(most=12, days=DAYS)


@SETTINGS
@given(papers_over_days(), st.lists(query_strings, min_size=1, max_size=4))
def test_dry_run_and_alert_matching_agree_on_generated_queries(papers, queries):
    store, handlers = _handlers(papers)
    for text in queries:
        _assert_dry_run_agrees(store, handlers, text)


# --- one of each query shape on a fixed archive -----------------------------------------


def _paper(
    paper_id: str,
    day: str,
    upvotes: int,
    comments: int,
    *,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    **extra: object,
) -> Paper:
    return replace(
        make_paper(paper_id, day, upvotes, comments, **extra),  # type: ignore[arg-type]
        authors=authors,
    )


def _archive() -> list[Paper]:
    days = [f"2026-11-{d:02d}" for d in range(14, 26)]  # 12 days, 9 of them with papers
    papers = [
        _paper(
            "2411.00001",
            days[-1],
            40,
            3,
            title="Video diffusion at scale",
            summary="We scale video generation with latent diffusion.",
            github_repo="https://github.com/a/b",
            authors=("Kaiming He",),
        ),
        _paper(
            "2411.00002",
            days[-1],
            25,
            1,
            title="Agents that plan",
            summary="A survey of planning agents.",
            authors=("Ana Etat",),
        ),
        _paper(
            "2411.00003",
            days[-2],
            9,
            0,
            title="Mamba for speech",
            summary="State space models for audio.",
            ai_keywords=("state space",),
        ),
        _paper(
            "2411.00004",
            days[-3],
            3,
            0,
            title="Diffusion policies for robots",
            summary="Imitation learning with diffusion.",
            github_repo="",
        ),
        _paper(
            "2411.00005",
            days[-4],
            60,
            7,
            title="A survey of diffusion models",
            summary="Everything about denoising.",
            github_repo="https://github.com/c/d",
        ),
        _paper(
            "2411.00006",
            days[-6],
            1,
            0,
            title="Reinforcement learning for agents",
            summary="RL fine-tuning of LLM agents.",
            authors=("Kaiming He", "Ana Etat"),
        ),
        # Outside the last 7 stored days: never counted, however well they match.
        _paper(
            "2411.00007",
            days[1],
            99,
            9,
            title="Diffusion transformers",
            summary="Video diffusion, again.",
            github_repo="https://github.com/e/f",
        ),
        _paper("2411.00008", days[0], 80, 2, title="Quantum agents", summary="Quantum planning."),
    ]
    # A busy day: more matches than a dry run shows.
    papers += [
        make_paper(
            f"2411.{100 + i:05d}",
            days[-5],
            i,
            0,
            title=f"Diffusion trick number {i}",
            summary="Sampling diffusion.",
        )
        for i in range(ALERT_TEST_SHOWN + 3)
    ]
    return papers


SHAPES = [
    "diffusion",  # a word, more matches than shown
    "Diffusions",  # stemmed
    '"video generation"',  # a phrase
    "title:agents",  # a field
    'author:"Kaiming He"',  # a field phrase
    "title:(mamba OR survey)",  # a field group
    "mamba OR agents",  # OR
    "diffusion -survey",  # NOT, as a minus
    "NOT diffusion",  # NOT alone
    "-(diffusion OR agents)",  # NOT of a group
    "upvotes:>=25",  # a filter alone
    "diffusion upvotes:<10",  # a word and a filter
    "has:code",  # a filter alone
    "diffusion has:code",
    "agents OR has:code",  # OR of a word and a filter
    "-has:code upvotes:>0",
    "quantum",  # matches only a paper outside the window
    "nothingmatchesthis",
]


@pytest.mark.parametrize("text", SHAPES)
def test_dry_run_and_alert_matching_agree_on_each_query_shape(text: str) -> None:
    store, handlers = _handlers(_archive())
    _assert_dry_run_agrees(store, handlers, text)


def test_the_window_is_the_last_stored_days_not_the_calendar() -> None:
    store, handlers = _handlers(_archive())
    assert _would_alert(store, "quantum") == []
    reply = handlers.alerts_test({"query": "quantum"}, Invocation(CH, "U1"))
    assert reply.text == (
        f"`quantum` would not have matched any paper in the last {ALERT_TEST_DAYS} stored days."
    )
    reply = handlers.alerts_test({"query": "survey"}, Invocation(CH, "U1"))
    assert reply.text == (
        f"`survey` would have alerted on 2 papers in the last {ALERT_TEST_DAYS} stored days:"
    )
    assert {h.paper.id for h in reply.hits} == {"2411.00002", "2411.00005"}


def test_a_dry_run_on_an_empty_archive_matches_nothing() -> None:
    _store, handlers = _handlers([])
    reply = handlers.alerts_test({"query": "diffusion"}, Invocation(CH, "U1"))
    assert reply.ok and "would not have matched any paper" in reply.text


@pytest.mark.parametrize("text", ["diffusion", "mamba OR agents", "-has:code", "quantum"])
def test_the_subscribe_preview_counts_what_alerts_would_have_sent(text: str) -> None:
    store, handlers = _handlers(_archive())
    reply = handlers.subscribe({"query": text}, Invocation(CH, "U1"))
    assert reply.ok
    expected = len(_would_alert(store, text))
    assert f"({expected} in the last {ALERT_TEST_DAYS} stored days would have)" in reply.text


async def test_a_bad_query_is_an_error_not_an_empty_dry_run(handlers: Handlers) -> None:
    reply = await handlers.handle('alerts test "unclosed', Invocation(CH, "U1"))
    assert not reply.ok
