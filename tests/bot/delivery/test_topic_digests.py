"""Topic digests: `digest filter <query>` makes the daily digest and the weekly roll-up rank only
the papers the query matches, as the unfiltered digest would rank them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.commands.handlers import Handlers
from bot.delivery.digests import DIGEST_KIND, build_digest
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, Digest, Invocation, Paper, Reply, Schedule, WeekendPolicy
from bot.query.parse import parse
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, at, make_paper
from tests.test_query_agreement import SETTINGS, paper_lists, query_strings

CH = ChannelRef("test", "W1", "C1")
DAY = "2026-11-25"  # a Wednesday


async def run(handlers: Handlers, text: str) -> Reply:
    return await handlers.handle(text, Invocation(CH, "U1"))


def _digests(publisher: ScriptedPublisher, kind: str = DIGEST_KIND) -> list[Digest]:
    return [p.item for p in publisher.of_kind(kind)]  # type: ignore[misc]


def _seed_day(store: Store, day: str = DAY) -> None:
    """Vision papers and others, upvotes interleaved: 2411.00000 (0 upvotes) ... 2411.00009."""
    papers = [
        make_paper(
            f"2411.{day[-2:]}{i:03d}",
            day,
            upvotes=i,
            title=f"{'Vision transformer' if i % 2 else 'Language model'} number {i}",
        )
        for i in range(10)
    ]
    store.upsert_papers(papers, at("2026-11-25 00:00"))


def _ids(digest: Digest | None) -> list[str]:
    assert digest is not None
    return [p.id for p in digest.papers]


# --- the property: exactly the matching papers, in the unfiltered order --------------------


@SETTINGS
@given(
    paper_lists(most=10, days=3),
    query_strings,
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=30),
)
def test_a_filtered_digest_holds_exactly_the_matching_papers_ranked_as_unfiltered(
    papers: list[Paper], text: str, size: int, floor: int
) -> None:
    store = Store()
    store.upsert_papers(papers)
    days = [date(2024, 1, d) for d in (1, 2, 3)]
    plain = Schedule(CH, DIGEST_KIND, size=25, min_upvotes=floor)
    # The search index, not the matcher the digest uses, says which papers match.
    found = {h.paper.id for h in store.search(parse(text), limit=1000)}
    unfiltered = build_digest(store, plain, days)
    ranked = [p.id for p in unfiltered.papers] if unfiltered else []
    expected = [i for i in ranked if i in found][:size]
    filtered = build_digest(store, replace(plain, size=size, filter=text), days)
    if expected:
        assert _ids(filtered) == expected, text
    else:  # a day with no match, weekends `skip`: quiet
        assert filtered is None, text
    store.close()


# --- through the commands ------------------------------------------------------------------


async def test_the_filter_picks_the_digest_and_off_restores_it(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, handlers: Handlers
) -> None:
    _seed_day(store)
    assert (await run(handlers, "digest size 3")).ok
    saved = await run(handlers, "digest filter vision")
    assert saved.ok and "Filter: only papers matching `vision`" in saved.text, saved.text
    assert (await run(handlers, "digest on")).ok
    await core.run_scheduled(CH)
    [digest] = _digests(publisher)
    assert _ids(digest) == ["2411.25009", "2411.25007", "2411.25005"]
    assert all("Vision" in p.title for p in digest.papers)
    off = await run(handlers, "digest filter off")
    assert off.ok and "Filter" in off.text and "matching" not in off.text
    assert core.schedule(CH).filter is None
    daily = core.timed(DIGEST_KIND)
    again = daily.build(store, core.schedule(CH), daily.covering(date.fromisoformat(DAY)))
    assert _ids(again) == ["2411.25009", "2411.25008", "2411.25007"]


async def test_digest_show_and_weekly_show_show_the_filter(handlers: Handlers) -> None:
    before = await run(handlers, "digest show")
    assert before.ok and "Filter" not in before.text
    await run(handlers, 'digest filter "vision transformer" OR segmentation')
    shown = await run(handlers, "digest show")
    assert 'Filter: only papers matching `"vision transformer" OR segmentation`' in shown.text
    weekly = await run(handlers, "weekly show")
    assert "Filter: only papers matching" in weekly.text and "daily and weekly" in weekly.text


async def test_a_bad_filter_is_refused_in_one_line_and_nothing_is_stored(
    handlers: Handlers, store: Store
) -> None:
    for bad in ("(vision", "vision AND", "x" * 400, "upvotes:>=99999999999"):
        reply = await run(handlers, f"digest filter {bad}")
        assert not reply.ok, bad
        assert "\n" not in reply.text and len(reply.text) <= 300, reply.text
        stored = store.schedule(CH, DIGEST_KIND)
        assert stored is None or stored.filter is None
    await run(handlers, "digest filter vision")
    refused = await run(handlers, "digest filter (mamba")
    assert not refused.ok
    assert store.schedule(CH, DIGEST_KIND).filter == "vision"  # type: ignore[union-attr]


async def test_a_day_with_no_match_skips_or_posts_the_one_line_notice(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, handlers: Handlers, clock: Clock
) -> None:
    _seed_day(store)
    await run(handlers, "digest filter quantum")
    await run(handlers, "digest on")
    assert await core.run_scheduled(CH) is None
    assert _digests(publisher) == []
    await run(handlers, "digest weekends notice")
    await core.run_scheduled(CH)
    [notice] = _digests(publisher)
    assert notice.papers == () and notice.notice is not None
    assert "\n" not in notice.notice and "filter `quantum`" in notice.notice
    assert "Wednesday 25 November 2026" in notice.notice


async def test_the_weekly_roll_up_obeys_the_filter(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, handlers: Handlers, clock: Clock
) -> None:
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        _seed_day(store, day)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True, size=4))
    await run(handlers, "digest filter vision")
    clock.now = at("2026-11-30 09:00")
    await core.run_scheduled(CH, WEEKLY_KIND)
    [rollup] = _digests(publisher, WEEKLY_KIND)
    assert all("Vision" in p.title for p in rollup.papers) and len(rollup.papers) == 4
    assert [p.upvotes for p in rollup.papers] == [9, 9, 9, 7]


async def test_a_week_with_no_match_follows_the_digest_weekends_policy(
    core: Paperboy, store: Store, publisher: ScriptedPublisher, handlers: Handlers, clock: Clock
) -> None:
    _seed_day(store)
    core.save_schedule(Schedule(CH, WEEKLY_KIND, enabled=True))
    await run(handlers, "digest filter quantum")
    clock.now = at("2026-11-30 09:00")
    assert await core.run_scheduled(CH, WEEKLY_KIND) is None
    await run(handlers, "digest weekends notice")
    await core.run_scheduled(CH, WEEKLY_KIND)
    [notice] = _digests(publisher, WEEKLY_KIND)
    assert notice.papers == () and "filter `quantum`" in (notice.notice or "")


def test_a_channel_without_a_filter_gets_the_digest_it_always_got(store: Store) -> None:
    _seed_day(store)
    plain = Schedule(CH, DIGEST_KIND, size=4, weekends=WeekendPolicy.NOTICE)
    days = [date.fromisoformat(DAY)]
    assert _ids(build_digest(store, plain, days)) == [p.id for p in store.papers_on(days, limit=4)]
