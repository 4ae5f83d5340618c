"""Similarity alerts by command and by button: `subscribe like`, `alerts test like`, the More
like this confirmation's "Alert on papers like this", and the alert a poll then posts."""

from __future__ import annotations

import re

import pytest

from adapters.actions import LIKE, command_text, like_id
from adapters.discord.render import render_reply as discord_reply
from adapters.slack.render import render_reply as slack_reply
from bot.commands.handlers import Handlers
from bot.domain import LIKE_EXTRA, Alert, ChannelRef, Invocation, Reply
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.render_checks import assert_valid as assert_discord_valid
from tests.adapters.slack.render_checks import assert_valid as assert_slack_valid
from tests.data import similar_papers as sp
from tests.helpers import ScriptedPublisher, StaticFeed, at

CH = ChannelRef("test", "W1", "C1")
GUEST = Invocation(CH, "U1", can_manage=False)
MANAGER = Invocation(CH, "U7")
SCORE = re.compile(rf"similar to {sp.SEED}, score 0\.\d\d")


@pytest.fixture
def seeded(store: Store) -> Store:
    store.upsert_papers(sp.archive(), at("2026-11-23 10:00"))
    return store


async def run(handlers: Handlers, text: str, inv: Invocation = MANAGER) -> Reply:
    return await handlers.handle(text, inv)


async def test_subscribe_like_adds_an_alert_that_names_its_seed_and_lists_as_papers_like(
    handlers: Handlers, seeded: Store
) -> None:
    seeded.upsert_papers(sp.new_day(), at("2026-11-25 10:00"))
    reply = await run(handlers, f"subscribe like {sp.SEED}v2")
    assert reply.ok, reply.text
    assert "Alert #1 added: papers like “Selective state space models" in reply.text
    assert "(1 in the last 7 stored days would have)" in reply.text
    [sub] = seeded.subscriptions(CH)
    assert sub.query == f"like {sp.SEED}"
    listed = await run(handlers, "subscriptions", GUEST)
    assert (
        f"#1 papers like “Selective state space models for long video understanding” "
        f"({sp.SEED})" in listed.text
    )


async def test_alerts_test_like_shows_the_recent_papers_it_would_alert_on_with_why(
    handlers: Handlers, seeded: Store
) -> None:
    seeded.upsert_papers(sp.new_day(), at("2026-11-25 10:00"))
    reply = await run(handlers, f"alerts test like {sp.SEED}", GUEST)
    assert reply.ok and "would have alerted on 1 paper" in reply.text
    [hit] = reply.hits
    assert hit.paper.id == sp.LIKE and hit.snippet and SCORE.fullmatch(hit.snippet)
    assert seeded.subscriptions(CH) == []  # a dry run stores nothing


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("subscribe like", "needs at least one arXiv id"),
        ("subscribe like attention", "`attention` is not an arXiv id"),
        ("subscribe like 2611.99999", "paperboy has not stored 2611.99999"),
        ("alerts test like 2611.99999", "paperboy has not stored 2611.99999"),
    ],
)
async def test_bad_seeds_get_one_line_and_store_nothing(
    handlers: Handlers, seeded: Store, text: str, says: str
) -> None:
    reply = await run(handlers, text)
    assert not reply.ok and says in reply.text and "\n" not in reply.text
    assert seeded.subscriptions(CH) == []


async def test_the_same_seeds_spelled_again_are_the_same_alert_and_unsubscribe_finds_them(
    handlers: Handlers, seeded: Store
) -> None:
    await run(handlers, f"subscribe like {sp.SEED}")
    again = await run(handlers, f"subscribe like   arXiv:{sp.SEED}v1")
    assert not again.ok and "already has that alert (#1)" in again.text
    refused = await run(handlers, f"subscribe like {sp.SEED} 2611.00010", GUEST)
    assert not refused.ok and "channel managers" in refused.text
    removed = await run(handlers, f"unsubscribe like {sp.SEED}v3")
    assert removed.ok and seeded.subscriptions(CH) == []


async def test_more_like_this_offers_an_alert_on_papers_like_it_in_every_renderer(
    handlers: Handlers, seeded: Store
) -> None:
    reply = await run(handlers, f"more-like {sp.SEED}", GUEST)
    assert reply.extra[LIKE_EXTRA] == sp.SEED
    assert command_text(like_id(sp.SEED)) == f"subscribe like {sp.SEED}"
    [slack] = slack_reply(reply)
    assert_slack_valid([slack])
    assert like_id(sp.SEED) in str(slack.blocks)
    [discord] = discord_reply(reply)
    assert_discord_valid([discord])
    assert like_id(sp.SEED) in str(discord.components)
    clicked = await run(handlers, str(command_text(like_id(sp.SEED))))
    assert clicked.ok and seeded.subscriptions(CH)[0].query == f"like {sp.SEED}"
    assert LIKE == "like"


async def test_a_poll_posts_the_similarity_alert_saying_why(
    store: Store, publisher: ScriptedPublisher
) -> None:
    feed = StaticFeed({sp.NEW_DAY: sp.new_day()})
    core = Paperboy(
        store, feed, {publisher.platform: publisher}, clock=lambda: at("2026-11-25 15:00")
    )
    store.upsert_papers(sp.archive(), at("2026-11-23 10:00"))
    await Handlers(core).handle(f"subscribe like {sp.SEED}", MANAGER)
    await core.poll([sp.NEW_DAY])
    [post] = publisher.posts
    alert = post.item
    assert isinstance(alert, Alert) and alert.paper.id == sp.LIKE
    assert alert.matched == (f"like {sp.SEED}",) and alert.why and SCORE.fullmatch(alert.why)
    await core.poll([sp.NEW_DAY])
    assert len(publisher.posts) == 1  # once
