"""Matching new papers against similarity alerts, and merging them into keyword alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.alerts import AlertMatcher, SubscriptionIndex, match_alerts, with_likes
from bot.domain import Alert, ChannelRef, ChannelSettings, Subscription
from bot.similarity.matcher import LikeIndex
from bot.similarity.tfidf import TfidfEngine
from storage.store import Store
from tests.data import similar_papers as sp

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CH = ChannelRef("console", "local", "terminal")
OTHER = ChannelRef("slack", "T1", "C1")


def sub(sub_id: int, query: str, channel: ChannelRef = CH, at: datetime = NOW) -> Subscription:
    return Subscription(sub_id, channel, query, "U1", at)


@pytest.fixture
def store() -> Store:
    store = Store(":memory:")
    store.upsert_papers(sp.archive(), NOW - timedelta(days=2))
    store.upsert_papers(sp.new_day(), NOW)
    return store


def test_a_new_paper_like_a_seed_matches_and_says_why(store: Store) -> None:
    index = LikeIndex(TfidfEngine())
    index.update([sub(1, f"like {sp.SEED}"), sub(2, "mamba")])
    [match] = index.match(store, sp.new_day())
    assert (match.subscription.id, match.paper.id, match.seed) == (1, sp.LIKE, sp.SEED)
    assert match.why == f"similar to {sp.SEED}, score {match.score:.2f}"
    assert len(index) == 1  # the keyword alert is the percolator's


def test_the_best_of_several_seeds_is_named(store: Store) -> None:
    index = LikeIndex(TfidfEngine())
    index.update([sub(1, f"like 2611.00018 {sp.SEED}")])
    [match] = index.match(store, sp.new_day())
    assert match.seed == sp.SEED


def test_a_seed_never_matches_itself_and_a_removed_alert_matches_nothing(store: Store) -> None:
    index = LikeIndex(TfidfEngine(), threshold=0.0)
    index.update([sub(1, f"like {sp.SEED}")])
    assert sp.SEED not in {m.paper.id for m in index.match(store, [sp.seed_paper()])}
    index.update(removed=[1])
    assert index.match(store, sp.new_day()) == []


def test_an_alert_made_after_the_paper_was_first_stored_sees_it_as_old(store: Store) -> None:
    index = LikeIndex(TfidfEngine())
    index.update([sub(1, f"like {sp.SEED}", at=NOW + timedelta(minutes=1))])
    assert index.match(store, sp.new_day(), first_seen={sp.LIKE: NOW}) == []
    assert index.match(store, sp.new_day(), first_seen={}) != []


def test_similarity_matches_join_the_keyword_alert_of_the_same_channel_and_paper(
    store: Store,
) -> None:
    index = LikeIndex(TfidfEngine())
    index.update([sub(1, f"like {sp.SEED}"), sub(3, f"like {sp.SEED}", OTHER)])
    likes = index.match(store, sp.new_day())
    keyword = Alert(CH, sp.new_day()[0], ("mamba",), subscriptions=(2,))
    merged = with_likes([keyword], likes)
    assert [(a.channel, a.matched, a.subscriptions) for a in merged] == [
        (CH, ("mamba", f"like {sp.SEED}"), (2, 1)),
        (OTHER, (f"like {sp.SEED}",), (3,)),
    ]
    assert all(a.why and a.why.startswith(f"similar to {sp.SEED}") for a in merged)


def test_like_text_is_never_matched_as_keywords() -> None:
    like = sub(1, f"like {sp.SEED}")
    papers = [*sp.new_day(), sp.seed_paper()]
    assert match_alerts([like], papers) == []
    index = SubscriptionIndex([like])
    assert len(index) == 0 and index.unreadable == [] and index.match(papers) == []


async def test_the_alert_matcher_fans_out_keyword_and_similarity_alerts(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    store.add_subscription(CH, f"like {sp.SEED}", "U1", NOW - timedelta(days=1), most=50)
    store.add_subscription(CH, "crop", "U1", NOW - timedelta(days=1), most=50)
    matcher = AlertMatcher(TfidfEngine())
    alerts = await matcher.match(store, sp.new_day(), first_seen={p.id: NOW for p in sp.new_day()})
    got = {(a.paper.id, a.matched) for a in alerts}
    assert got == {(sp.LIKE, (f"like {sp.SEED}",)), (sp.UNLIKE, ("crop",))}
    # a paper fanned out before (its upvotes moved) does not alert again by similarity
    again = await matcher.match(store, sp.new_day(), upvotes_before={sp.LIKE: 1, sp.UNLIKE: 1})
    assert again == []


def test_a_keyword_alert_that_starts_with_like_stays_a_keyword_alert() -> None:
    old = sub(1, "like humans")
    paper = sp.new_day()[0]
    robots = type(paper)(**{**paper.__dict__, "title": "Robots that walk like humans"})
    [alert] = match_alerts([old], [robots])
    assert alert.matched == ("like humans",)
    assert len(SubscriptionIndex([old])) == 1
