"""Ranking nudges from clicks: within ±15 % whatever the clicks, fading with age, raising or
lowering only papers like the clicked one, never leaving a paper out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.taste import (
    HALF_LIFE,
    MAX_NUDGE,
    WINDOW,
    decay,
    describe,
    jaccard,
    moved,
    nudge_of,
    paper_terms,
    taste,
)
from bot.domain import Action, ChannelRef, Click, Paper
from tests.helpers import at, make_paper

CH = ChannelRef("test", "W1", "C1")
NOW = at("2026-11-26 00:00")

CLICKED = make_paper(
    "2411.00001",
    "2026-11-25",
    50,
    title="Video diffusion at scale",
    ai_keywords=("video generation", "Diffusion Models"),
)
SIMILAR = make_paper(
    "2411.00002",
    "2026-11-25",
    48,
    title="Fast video diffusion transformers",
    ai_keywords=("diffusion models",),
)
UNRELATED = make_paper(
    "2411.00003", "2026-11-25", 49, title="Agents that plan with language", ai_keywords=("agents",)
)


def _click(paper: Paper, action: Action, age: timedelta = timedelta(0), n: int = 1) -> Click:
    return Click(n, CH, f"U{n}", paper.id, action, NOW - age)


def _nudges(action: Action, age: timedelta = timedelta(0)) -> dict[str, float]:
    found = taste([(_click(CLICKED, action, age), CLICKED)], NOW)
    papers = [SIMILAR, UNRELATED]
    return {p.id: n for p, n in zip(papers, found.nudges(papers), strict=True)}


def test_terms_are_keywords_and_title_content_words() -> None:
    [terms] = paper_terms([CLICKED])
    assert {"video generation", "diffusion models"} <= terms
    assert {"video", "scale"} <= terms and "at" not in terms
    assert jaccard(terms, terms) == 1.0 and jaccard(terms, frozenset()) == 0.0


def test_more_like_raises_a_similar_paper_and_leaves_an_unrelated_one() -> None:
    nudges = _nudges(Action.MORE_LIKE)
    assert 0 < nudges[SIMILAR.id] <= MAX_NUDGE
    assert nudges[UNRELATED.id] == 0.0


def test_not_relevant_lowers_a_similar_paper_and_leaves_an_unrelated_one() -> None:
    nudges = _nudges(Action.NOT_RELEVANT)
    assert -MAX_NUDGE <= nudges[SIMILAR.id] < 0
    assert nudges[UNRELATED.id] == 0.0


def test_a_save_raises_half_as_much_as_more_like() -> None:
    saved, liked = _nudges(Action.SAVE)[SIMILAR.id], _nudges(Action.MORE_LIKE)[SIMILAR.id]
    assert 0 < saved < liked


def test_a_click_fades_by_half_every_half_life_and_is_gone_after_the_window() -> None:
    assert decay(timedelta(0)) == 1.0
    assert abs(decay(timedelta(days=HALF_LIFE)) - 0.5) < 1e-12
    assert abs(decay(timedelta(days=2 * HALF_LIFE)) - 0.25) < 1e-12
    assert decay(-timedelta(hours=5)) == 1.0  # clicked after the digest's day: counts as new
    fresh = _nudges(Action.MORE_LIKE)[SIMILAR.id]
    old = _nudges(Action.MORE_LIKE, timedelta(days=30))[SIMILAR.id]
    assert 0 < old < fresh
    assert _nudges(Action.MORE_LIKE, WINDOW + timedelta(days=1))[SIMILAR.id] == 0.0


def test_a_nudged_paper_overtakes_a_close_one_but_not_a_far_one() -> None:
    liked = taste([(_click(CLICKED, Action.MORE_LIKE), CLICKED)], NOW)
    assert [p.id for p in liked.rank([UNRELATED, SIMILAR])] == [SIMILAR.id, UNRELATED.id]
    far = make_paper("2411.00009", "2026-11-25", 60, title="Planning agents")
    assert liked.rank([SIMILAR, far])[0] == far  # 48 × 1.15 < 60
    disliked = taste([(_click(CLICKED, Action.NOT_RELEVANT), CLICKED)], NOW)
    assert [p.id for p in disliked.rank([SIMILAR, UNRELATED])] == [UNRELATED.id, SIMILAR.id]


def test_without_a_nudge_ties_break_by_upvotes_comments_then_id() -> None:
    papers = [
        make_paper("2411.00030", "2026-11-25", 5, 1, title="Zeta"),
        make_paper("2411.00010", "2026-11-25", 5, 1, title="Eta"),
        make_paper("2411.00020", "2026-11-25", 5, 2, title="Theta"),
        make_paper("2411.00040", "2026-11-25", 6, 0, title="Iota"),
    ]
    nothing = taste([], NOW)
    assert [p.id for p in nothing.rank(papers)] == [
        "2411.00040",
        "2411.00020",
        "2411.00010",
        "2411.00030",
    ]


def test_describe_counts_clicks_and_names_terms_raised_and_lowered() -> None:
    clicks = [
        (_click(CLICKED, Action.MORE_LIKE, n=1), CLICKED),
        (_click(CLICKED, Action.SAVE, n=2), CLICKED),
        (_click(UNRELATED, Action.NOT_RELEVANT, n=3), UNRELATED),
    ]
    text = describe(taste(clicks, NOW))
    assert text.startswith(
        "Clicks here in the last 60 days: 1 more like this, 1 save, 1 not relevant."
    )
    raised, lowered = text.split("rank up to 15 % higher")
    assert "“video generation”" in raised or "“diffusion models”" in raised
    assert "“agents”" in lowered or "“language”" in lowered
    assert lowered.count("“agents”") <= 1  # the keyword and the title word read the same
    assert "no paper is hidden" in text
    assert "No clicks here" in describe(None)


def test_moved_counts_papers_out_of_their_place() -> None:
    a, b, c = CLICKED, SIMILAR, UNRELATED
    assert moved([a, b, c], [a, b, c]) == 0
    assert moved([a, b, c], [b, a, c]) == 2
    assert moved([a, b], [a, c]) == 1


_TEXT = st.text(alphabet="abcdefgh xyz-", min_size=0, max_size=40)
_PAPER = st.builds(
    lambda i, title, kws, up: make_paper(
        f"2411.{i:05d}", "2026-11-25", up, title=title or "x", ai_keywords=tuple(kws)
    ),
    st.integers(0, 99999),
    _TEXT,
    st.lists(_TEXT, max_size=4),
    st.integers(0, 1000),
)


@settings(max_examples=60, deadline=None)
@given(
    clicked=st.lists(
        st.tuples(_PAPER, st.sampled_from(list(Action)), st.integers(-3, 90)), max_size=30
    ),
    candidates=st.lists(_PAPER, max_size=20, unique_by=lambda p: p.id),
)
def test_every_nudge_stays_within_15_percent_and_ranking_keeps_every_paper(
    clicked: list[tuple[Paper, Action, int]], candidates: list[Paper]
) -> None:
    clicks = [
        (Click(n, CH, f"U{n}", p.id, a, NOW - timedelta(days=d)), p)
        for n, (p, a, d) in enumerate(clicked)
    ]
    found = taste(clicks, NOW)
    nudges = found.nudges(candidates)
    assert all(abs(n) <= MAX_NUDGE for n in nudges)
    # The term index finds what comparing every paper with every click would.
    naive = [
        nudge_of(sum(s.weight * jaccard(terms, s.terms) for s in found.signals))
        for terms in paper_terms(candidates)
    ]
    assert nudges == pytest.approx(naive, abs=1e-12)
    ranked = found.rank(candidates)
    assert sorted(p.id for p in ranked) == sorted(p.id for p in candidates)
