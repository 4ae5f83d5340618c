"""Every command of the table, run by the handlers: the Reply of a good command, and the one
helpful line of a bad one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.commands.handlers import Handlers
from bot.commands.table import COMMANDS
from bot.domain import ChannelRef, ChannelSettings, Invocation, Reply
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper

CH = ChannelRef("test", "W1", "C1")
DAY = date(2026, 11, 25)


@pytest.fixture
def seeded(store: Store) -> Store:
    store.upsert_papers(
        [
            make_paper(
                "2411.00001",
                DAY,
                40,
                3,
                title="Video diffusion at scale",
                summary="We scale video generation.",
            ),
            make_paper("2411.00002", DAY, 25, 1, title="Agents that plan", summary="A survey."),
            make_paper("2411.00003", DAY - timedelta(days=1), 9, title="Mamba for speech"),
        ],
        at("2026-11-25 10:00"),
    )
    return store


async def run(handlers: Handlers, text: str, inv: Invocation | None = None) -> Reply:
    return await handlers.handle(text, inv or Invocation(CH, "U1"))


# Per command: a good command and what its reply says; a bad one and what its error says.
CASES: dict[str, tuple[str, str, str, str]] = {
    "help": ("help search", "e.g. `/papers search author:Hinton`", "help frobnicate", "No command"),
    "today": (
        "today 2",
        "Top 2 of Daily Papers for Wednesday 25 November 2026",
        "today 99",
        "between 1 and 25",
    ),
    "search": (
        "search diffusion",
        "1 paper matches `diffusion`",
        'search "video',
        "unbalanced quote",
    ),
    "paper": ("paper 2411.00003v2", "", "paper banana", "`banana` is not an arXiv id"),
    "subscribe": ("subscribe mamba OR agents", "Alert #1 added", "subscribe (mamba", "parenthesis"),
    "unsubscribe": ("unsubscribe 1", "Alert #1 removed", "unsubscribe 7", "No alert `7`"),
    "subscriptions": (
        "subscriptions",
        "#1 `mamba OR agents`",
        "subscriptions now",
        "Unexpected `now`",
    ),
    "digest on": (
        "digest on 07:30 Europe/Paris",
        "Next: Thu 26 Nov 07:30 CET",
        "digest on 7pm",
        "'7pm' is not a time",
    ),
    "digest off": ("digest off", "Daily digest off", "digest off now", "Unexpected `now`"),
    "digest show": (
        "digest show",
        "Daily digest off: top 10 papers",
        "digest show all",
        "Unexpected `all`",
    ),
    "digest size": (
        "digest size 5",
        "Saved. Daily digest off: top 5 papers",
        "digest size 0",
        "between 1 and 25, not 0",
    ),
    "digest min-upvotes": (
        "digest min-upvotes 3",
        "at least 3 upvotes",
        "digest min-upvotes -1",
        "between 0 and 10000",
    ),
    "digest weekends": (
        "digest weekends notice",
        "days without papers get a notice",
        "digest weekends maybe",
        "one of skip, notice",
    ),
    "digest filter": (
        "digest filter mamba OR agents",
        "Filter: only papers matching `mamba OR agents`",
        "digest filter (mamba",
        "parenthesis",
    ),
    "digest layout": ("digest layout full", "Layout: full", "digest layout tiny", "one of compact"),
    "digest climbers": (
        "digest climbers 50",
        "climbs into its top 10 or passes 50 upvotes",
        "digest climbers lots",
        "from 1 to 100,000, or off, not `lots`",
    ),
    "weekly on": (
        "weekly on friday 17:00",
        "Weekly roll-up on: top 10 papers Fridays at 17:00 UTC",
        "weekly on someday",
        "'someday' is not a weekday",
    ),
    "weekly off": ("weekly off", "Weekly roll-up off", "weekly off now", "Unexpected `now`"),
    "weekly show": ("weekly show", "Weekly roll-up", "weekly show all", "Unexpected `all`"),
    "weekly size": (
        "weekly size 7",
        "top 7 papers",
        "weekly size many",
        "whole number, not 'many'",
    ),
    "alerts test": (
        "alerts test diffusion OR mamba",
        "would have alerted on 2 papers",
        "alerts test -",
        "must be followed",
    ),
    "save": (
        "save 2411.00001",
        "Saved “Video diffusion at scale” (2411.00001) to this channel's reading list: 1 paper.",
        "save 2411.99999",
        "paperboy has not stored 2411.99999",
    ),
    "not-relevant": (
        "not-relevant 2411.00002",
        "Noted: papers like “Agents that plan” (2411.00002) rank a little lower here",
        "not-relevant banana",
        "`banana` is not an arXiv id",
    ),
    "more-like": (
        "more-like arXiv:2411.00002v3",
        "rank a little higher here in future digests (at most 15 %)",
        "more-like",
        "`more-like` needs <id>",
    ),
    "undo": ("undo", "Took back your save of “Video diffusion", "undo 99", "no click #99 here"),
    "reading-list": (
        "reading-list",
        "1. “Video diffusion at scale” (2411.00001) · saved 25 Nov 2026",
        "reading-list foo",
        "`reading-list` takes one of: show, remove, export",
    ),
    "reading-list remove": (
        "reading-list remove 1",
        "Removed #1 “Video diffusion at scale” (2411.00001) from the reading list: 0 papers left",
        "reading-list remove 2411.00001",
        "2411.00001 is not on this channel's reading list.",
    ),
    "reading-list export": (
        "reading-list export bibtex",
        "Reading list as BibTeX (1 entry):\n```\n@misc{arxiv2411_00001,",
        "reading-list export pdf",
        "one of markdown, bibtex",
    ),
    "feed": ("feed", "RSS: http", "feed foo", "`feed` takes one of: show, rotate, off"),
    "feed rotate": ("feed rotate", "New feed URLs.", "feed rotate now", "Unexpected `now`"),
    "feed off": (
        "feed off",
        "This channel's feeds are off; their URLs no longer work.",
        "feed off now",
        "Unexpected `now`",
    ),
    "mine": ("mine", "You have no alerts of your own", "mine foo", "`mine` takes one of"),
    "mine subscribe": (
        "mine subscribe mamba",
        "Your alert #1 added: `mamba`. You get a direct message",
        'mine subscribe "unbalanced',
        "unbalanced quote",
    ),
    "mine follow": (
        "mine follow 1",
        "You get these alerts by direct message too:\n#1 `mamba`: added",
        "mine follow 9",
        "This channel has no alert #9",
    ),
    "mine mute": ("mine mute 1", "is muted.", "mine mute 9", "You have no alert #9."),
    "mine unmute": ("mine unmute 1", "is on already.", "mine unmute 9", "You have no alert #9."),
    "mine remove": ("mine remove 1", "is removed.", "mine remove 9", "You have no alert #9."),
    "mine retry": (
        "mine retry",
        "reaches you by direct message already",
        "mine retry now",
        "Unexpected `now`",
    ),
    "status": ("status", "Papers stored: 3", "status now", "Unexpected `now`"),
    "resume": ("resume", "Nothing is paused here.", "resume now", "Unexpected `now`"),
}


# What a command's good case needs first.
SETUP = {
    "unsubscribe": "subscribe mamba",
    "subscriptions": "subscribe mamba OR agents",
    "undo": "save 2411.00001",
    "reading-list": "save 2411.00001",
    "reading-list remove": "save 2411.00001",
    "reading-list export": "save 2411.00001",
    "feed off": "feed",
    "mine follow": "subscribe mamba",
    "mine mute": "mine subscribe mamba",
    "mine unmute": "mine subscribe mamba",
    "mine remove": "mine subscribe mamba",
}


def test_every_command_in_the_table_has_a_case() -> None:
    assert set(CASES) == {spec.name for spec in COMMANDS}


@pytest.mark.parametrize("name", list(CASES))
async def test_a_good_command_replies_and_a_bad_one_says_what_is_wrong_in_one_line(
    handlers: Handlers, seeded: Store, name: str
) -> None:
    good, says, bad, error = CASES[name]
    if name in SETUP:
        assert (await run(handlers, SETUP[name])).ok
    reply = await run(handlers, good)
    assert reply.ok, reply.text
    assert says in reply.text
    refused = await run(handlers, bad)
    assert not refused.ok and error in refused.text
    assert "\n" not in refused.text and len(refused.text) < 200


async def test_a_refused_number_is_quoted_clipped(handlers: Handlers) -> None:
    reply = await run(handlers, "digest size " + "9" * 1074)
    assert not reply.ok and "between 1 and 25" in reply.text and "…" in reply.text
    assert len(reply.text) < 160
    words = await run(handlers, "today " + "x" * 1074)
    assert not words.ok and len(words.text) < 160


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "x" * 900])
async def test_a_zone_that_is_no_place_is_refused_and_quoted_clipped(
    handlers: Handlers, store: Store, zone: str
) -> None:
    reply = await run(handlers, f"digest on 09:00 {zone}")
    assert not reply.ok and "unknown time zone" in reply.text and len(reply.text) < 160
    assert store.schedule(CH, "digest") is None


def test_time_zone_completions_are_real_places(handlers: Handlers) -> None:
    spec = next(s for s in COMMANDS if s.name == "digest on")
    inv = Invocation(CH, "U")
    assert ("Europe/London", "Europe/London") in handlers.suggest(spec, "timezone", inv, "london")
    assert handlers.suggest(spec, "timezone", inv, "localtime") == []
    assert handlers.suggest(spec, "timezone", inv, "factory") == []


async def test_search_counts_every_match_and_says_how_many_it_shows(
    handlers: Handlers, store: Store
) -> None:
    store.upsert_papers(
        [make_paper(f"2411.{i:05d}", DAY, i, title=f"Language models {i}") for i in range(42)]
    )
    many = await run(handlers, "search models")
    assert many.text == "42 papers match `models`; showing the top 10" and len(many.hits) == 10
    store.upsert_papers([make_paper("2411.90000", DAY, title="Mamba")])
    one = await run(handlers, "search mamba")
    assert one.text == "1 paper matches `mamba`" and len(one.hits) == 1


async def test_a_paper_s_title_is_shown_once(handlers: Handlers, seeded: Store) -> None:
    reply = await run(handlers, "paper https://arxiv.org/abs/2411.00002")
    shown = [reply.text, reply.title or "", *(h.paper.title for h in reply.hits)]
    assert " ".join(shown).count("Agents that plan") == 1
    assert [h.paper.id for h in reply.hits] == ["2411.00002"]


async def test_a_paper_not_stored_points_to_search(handlers: Handlers) -> None:
    reply = await run(handlers, "paper 2411.99999")
    assert not reply.ok and "paperboy has not stored 2411.99999" in reply.text


async def test_subscribe_says_in_words_what_the_alert_matches(
    handlers: Handlers, seeded: Store
) -> None:
    reply = await run(handlers, "subscribe (diffusion OR mamba) -survey upvotes:>=5")
    assert reply.ok
    assert reply.text.endswith(
        "Matches papers that mention “diffusion” or “mamba”; do not mention “survey”; "
        "have ≥ 5 upvotes."
    )
    assert "whose" not in reply.text and "any of" not in reply.text


async def test_subscribe_refuses_a_duplicate_and_an_oversize_query(
    handlers: Handlers, seeded: Store
) -> None:
    await run(handlers, 'subscribe diffusion OR "state space"')
    again = await run(handlers, 'subscribe  diffusion OR  "state space"')
    assert not again.ok and "already has that alert (#1)" in again.text
    long = await run(handlers, "subscribe " + "x" * 301)
    assert not long.ok and "query is 301 characters; the limit is 300" in long.text


async def test_the_fifty_first_alert_is_refused(handlers: Handlers, store: Store) -> None:
    for i in range(50):
        assert (await run(handlers, f"subscribe topic{i}")).ok
    reply = await run(handlers, "subscribe topic50")
    assert not reply.ok and "has 50 alerts, the most it can have" in reply.text


async def test_digest_show_says_when_the_next_digest_is(handlers: Handlers) -> None:
    off = await run(handlers, "digest show")
    assert off.extra == {"next": None, "next_label": None}
    await run(handlers, "digest on 07:30 Europe/Paris")
    on = await run(handlers, "digest show")
    assert on.extra == {"next": "2026-11-26T07:30:00+01:00", "next_label": "Thu 26 Nov 07:30 CET"}


async def test_manage_commands_need_permission(handlers: Handlers, store: Store) -> None:
    guest = Invocation(CH, "U2", can_manage=False)
    reply = await run(handlers, "subscribe mamba", guest)
    assert not reply.ok and "permission to manage this channel" in reply.text
    assert store.subscriptions() == []
    assert (await run(handlers, "search mamba", guest)).ok


async def test_a_manage_command_in_a_paused_channel_resumes_it(
    handlers: Handlers, store: Store
) -> None:
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="x", failures=5))
    assert (await run(handlers, "digest on")).ok
    settings = store.channel(CH)
    assert settings is not None and not settings.paused and settings.failures == 0


async def test_status_in_chat_lists_only_the_same_workspace_s_paused_channels(
    handlers: Handlers, store: Store
) -> None:
    mine, theirs = ChannelRef("test", "W1", "C9"), ChannelRef("test", "W2", "SECRET")
    for ref in (mine, theirs):
        store.save_channel(ChannelSettings(ref, paused=True, paused_reason="not_in_channel"))
    in_chat = await run(handlers, "status")
    operator = await run(handlers, "status", Invocation(CH, "me", operator=True))
    assert "test:W1:C9" in in_chat.text and "SECRET" not in in_chat.text
    assert "test:W1:C9" in operator.text and "test:W2:SECRET" in operator.text


async def test_echoed_input_cannot_break_out_of_code(handlers: Handlers) -> None:
    reply = await run(handlers, "paper `x`[free_nitro](https://e.vil)")
    assert not reply.ok
    assert reply.text.startswith("`'x'[free_nitro](https://e.vil)` is not an arXiv id")
    assert reply.text.count("`") == 2


class FailsOn:
    """A feed whose answer for some days is an error."""

    def __init__(self, failing: set[date]) -> None:
        self.failing = failing

    async def fetch_day(self, day: date) -> list:
        from bot.feed.parse import FeedError

        if day in self.failing:
            raise FeedError("HTTP 503")
        return []

    async def fetch_week(self, week: str) -> None:
        return None


async def test_last_successful_poll_is_one_that_fetched_every_day_it_asked_for(
    store: Store, clock: Clock
) -> None:
    yesterday = DAY - timedelta(days=1)
    core = Paperboy(store, StaticFeed(), {}, clock=clock)
    handlers = Handlers(core)
    await core.poll()  # the default poll: yesterday and today
    assert "Last successful poll: 2026-11-25 15:00 UTC" in (await run(handlers, "status")).text
    clock.advance(minutes=15)
    core.feed = FailsOn({yesterday})  # today's (still empty) day answers, yesterday's fails
    await core.poll()  # the default poll: yesterday and today
    status = (await run(handlers, "status")).text
    assert "Last successful poll: 2026-11-25 15:00 UTC" in status
    assert "Last poll, 2026-11-25 15:15 UTC, could not fetch 2026-11-24" in status
    clock.advance(minutes=15)
    core.feed = StaticFeed()
    await core.poll()  # the default poll: yesterday and today
    status = (await run(handlers, "status")).text
    assert "Last successful poll: 2026-11-25 15:30 UTC" in status
    assert "could not fetch" not in status


async def test_a_backfill_or_an_old_day_s_fetch_is_no_successful_poll(
    store: Store, clock: Clock
) -> None:
    from bot.backfill import backfill

    yesterday = DAY - timedelta(days=1)
    core = Paperboy(store, FailsOn({yesterday}), {}, clock=clock)
    handlers = Handlers(core)
    await core.poll()  # the default poll: yesterday's fails
    clock.advance(minutes=15)
    core.feed = StaticFeed()
    await core.poll([DAY - timedelta(days=30)])  # `fetch --date` of an old day
    await backfill(core, DAY - timedelta(days=20), DAY - timedelta(days=10), delay=0)
    status = (await run(handlers, "status")).text
    assert "Last successful poll: never" in status
    assert "Last poll, 2026-11-25 15:00 UTC, could not fetch 2026-11-24" in status


async def test_status_before_any_poll_says_never(handlers: Handlers) -> None:
    assert "Last successful poll: never" in (await run(handlers, "status")).text


async def test_resume_after_a_pause_says_what_follows(
    store: Store, clock: Clock, publisher: ScriptedPublisher
) -> None:
    core = Paperboy(store, StaticFeed(), {"test": publisher}, clock=clock)
    store.save_channel(ChannelSettings(CH, paused=True, paused_reason="channel_not_found"))
    reply = await run(Handlers(core), "resume")
    assert reply.ok and "Deliveries resumed here" in reply.text
    publisher.failures.append(DeliveryError("unused"))  # nothing was held: nothing is sent
    assert await core.recover() == {}


async def test_help_names_a_group_s_own_command_as_every_platform_runs_it(
    handlers: Handlers,
) -> None:
    lines = (await run(handlers, "help")).text.splitlines()
    assert (
        "`/papers reading-list show`: Show this channel's reading list, numbered, newest last."
        in lines
    )
    assert not any(line.startswith("`/papers reading-list`") for line in lines)
    for asked in ("help reading-list", "help reading-list show"):
        one = await run(handlers, asked)
        assert one.ok and one.text.startswith("`/papers reading-list show`: "), asked
        assert "`/papers reading-list export <markdown|bibtex> [page]`" in one.text


async def test_digest_show_promises_living_posts_only_for_the_compact_layout(
    handlers: Handlers,
) -> None:
    compact = (await run(handlers, "digest show")).text
    assert "Layout: compact (a ranked list; details in the thread), edited as upvotes move " in (
        compact
    )
    assert "for 72 h after it goes out. Late climbers: a reply in the digest's thread" in compact
    assert (await run(handlers, "digest layout full")).ok
    full = (await run(handlers, "digest show")).text
    assert "Layout: full (every paper's card): posts are not updated after they go out." in full
    assert "climber" not in full and "edited" not in full
    saved = await run(handlers, "digest climbers 40")
    assert saved.text.endswith(
        "posts are not updated after they go out (`digest climbers 40` waits for `compact`)."
    )
