"""Two paperboy processes at once on one database file: two `fetch`, `run` beside `backfill`,
two `digest --send` (Slack and Discord). Both exit 0 without "database is locked" or a
traceback, every post is on the platform exactly once, and every paper is stored once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.alerts import ALERT_KIND
from bot.delivery.digests import DIGEST_KIND
from bot.domain import Alert, ChannelRef, ChannelSettings, Post, PostKey, Schedule
from bot.feed.parse import parse_entries
from bot.service import Paperboy
from storage.store import Store
from tests.data.make_days import make_day
from tests.fakes import discord_fixture, hf_fixture, slack_fixture
from tests.fakes.crash_harness import (
    DiscordView,
    Finished,
    PlatformView,
    Runner,
    SlackView,
    expected_posts,
    paperboy_env,
    progress,
    tally,
)
from tests.fakes.discord_api import DiscordFake
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake
from tests.helpers import StaticFeed, eventually

hf_server = hf_fixture.hf_server
slack_fake = slack_fixture.slack_fake
discord_fake = discord_fixture.discord_fake

CHANNELS = 8
PAPERS_A_DAY = 120  # two feed pages: the writes of two processes overlap
BACKFILL_DAYS = 6
GUILD = 5100
FIRST_CHANNEL = 7000
# Bounds on waiting for a running process to do its work (never reached when it works).
WAIT = 60.0


def clean(result: Finished) -> str | None:
    """Why a finished process was not a clean success, or None."""
    if result.code != 0:
        return f"exit {result.code}"
    for bad in ("database is locked", "Traceback"):
        if bad in result.err:
            return f"{bad!r} in stderr"
    return None


def assert_clean(results: Sequence[Finished]) -> None:
    """Every process exited 0 with neither a lock error nor a traceback."""
    for result in results:
        why = clean(result)
        assert why is None, f"paperboy {' '.join(result.args)}: {why}\n{result.tail(60)}"


def papers_stored(db: Path) -> list[str]:
    """The ids of the stored papers, one entry per row."""
    store = Store(db)
    try:
        return [row["id"] for row in store.db.query("SELECT id FROM papers ORDER BY id")]
    finally:
        store.close()


def served_ids(hf: HFServer, days: Sequence[date]) -> list[str]:
    """The ids of the papers the fake feed serves for `days`, sorted."""
    return sorted(p.id for day in days for p in parse_entries(hf.days[day], day))


def alert_setup(hf: HFServer, db: Path, refs: Sequence[ChannelRef]) -> list[tuple[PostKey, Post]]:
    """Today's and yesterday's papers on the feed; channel i subscribes to paper i of each
    day (a phrase only that title has): the alerts a poll must post."""
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    store = Store(db)
    posts: list[tuple[PostKey, Post]] = []
    for day in (today - timedelta(days=1), today):
        hf.add_day(day, make_day(day, PAPERS_A_DAY))
    for index, ref in enumerate(refs):
        query = f'"variant {index}"'
        store.save_channel(ChannelSettings(channel=ref))
        store.add_subscription(ref, query, "process-test", now)
        for day in (today - timedelta(days=1), today):
            paper = parse_entries(hf.days[day], day)[index]
            posts.append(
                (
                    PostKey(ref, ALERT_KIND, paper.id),
                    Alert(channel=ref, paper=paper, matched=(query,)),
                )
            )
    store.close()
    return posts


def check_posts(view: PlatformView, expected: dict[PostKey, int], db: Path) -> None:
    """Every expected post on the fake exactly once, all its parts, and sent in the ledger."""
    store = Store(db)
    try:
        result = tally(view, expected, store)
    finally:
        store.close()
    assert result.ok, result.report()


async def test_two_fetches_at_once_store_each_paper_once_and_alert_once(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    view = SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
    db = tmp_path / "two.db"
    posts = alert_setup(hf_server, db, view.add_channels(CHANNELS))
    runner = Runner(tmp_path, paperboy_env(db, hf_server.url, **view.env()))

    results = await asyncio.gather(runner.run("fetch"), runner.run("fetch"))

    assert_clean(results)
    today = datetime.now(UTC).date()
    assert papers_stored(db) == served_ids(hf_server, [today - timedelta(days=1), today])
    check_posts(view, expected_posts(view, posts), db)


async def test_run_beside_backfill_neither_locks_nor_posts_twice(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    view = SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
    db = tmp_path / "run.db"
    posts = alert_setup(hf_server, db, view.add_channels(CHANNELS))
    expected = expected_posts(view, posts)
    today = datetime.now(UTC).date()
    past = [today - timedelta(days=30 + i) for i in range(BACKFILL_DAYS)]
    for day in past:
        hf_server.add_day(day, make_day(day, PAPERS_A_DAY))
    runner = Runner(
        tmp_path,
        paperboy_env(db, hf_server.url, **view.env(), SLACK_APP_TOKEN=slack_fixture.APP_TOKEN),
    )
    backfilled = asyncio.Event()

    async def alerted_and_backfilled() -> None:
        await slack_fake.wait_for_socket_client(timeout=WAIT)
        await eventually(
            lambda: progress(view, expected)[0] == sum(expected.values()), timeout=WAIT
        )
        await asyncio.wait_for(backfilled.wait(), timeout=WAIT)

    async def backfill() -> Finished:
        try:
            return await runner.run(
                "backfill",
                "--since",
                min(past).isoformat(),
                "--until",
                max(past).isoformat(),
                "--delay",
                "0",
            )
        finally:
            backfilled.set()

    results = await asyncio.gather(
        backfill(),
        runner.run_until(["run"], alerted_and_backfilled, stop=signal.SIGTERM, timeout=WAIT * 3),
    )

    assert_clean(results)
    assert slack_fake.socket.connects >= 1, "run never connected Socket Mode"
    assert papers_stored(db) == served_ids(hf_server, [*past, today - timedelta(days=1), today])
    check_posts(view, expected, db)


def digest_setup(db: Path, hf: HFServer, refs: Sequence[ChannelRef]) -> date:
    """A past day on the feed and the digest on in `refs` (every other one a long one)."""
    day = datetime.now(UTC).date() - timedelta(days=5)
    entries = make_day(day, 40)
    for entry in entries:
        entry["paper"].pop("ai_summary", None)  # long abstracts: long digests
    hf.add_day(day, entries)
    now = datetime.now(UTC)
    store = Store(db)
    for index, ref in enumerate(refs):
        store.save_schedule(
            Schedule(
                ref, DIGEST_KIND, enabled=True, size=25 if index % 2 == 0 else 5, enabled_at=now
            ),
            now,
        )
    store.close()
    return day


def digests(db: Path, refs: Sequence[ChannelRef], day: date) -> list[tuple[PostKey, Post]]:
    """The digest of `day` each channel must get, as paperboy builds it."""
    store = Store(db)
    try:
        core = Paperboy(store, StaticFeed())
        built = [(ref, core.post_for(ref, DIGEST_KIND, day=day)) for ref in refs]
        return [
            (PostKey(ref, DIGEST_KIND, day.isoformat()), post)
            for ref, post in built
            if post is not None
        ]
    finally:
        store.close()


@pytest.mark.parametrize("platform", ["slack", "discord"])
async def test_two_digest_sends_at_once_post_each_digest_once(
    platform: str,
    tmp_path: Path,
    hf_server: HFServer,
    slack_fake: SlackFake,
    discord_fake: DiscordFake,
) -> None:
    view: PlatformView = (
        SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
        if platform == "slack"
        else DiscordView(discord_fake, GUILD, discord_fixture.TOKEN, FIRST_CHANNEL)
    )
    refs = view.add_channels(CHANNELS)
    db = tmp_path / "digest.db"
    day = digest_setup(db, hf_server, refs)
    runner = Runner(tmp_path, paperboy_env(db, hf_server.url, **view.env()))
    loaded = await runner.run("fetch", "--date", day.isoformat())
    assert_clean([loaded])
    posts = digests(db, refs, day)
    assert len(posts) == len(refs)

    send = ("digest", "--send", "--date", day.isoformat())
    results = await asyncio.gather(runner.run(*send), runner.run(*send))

    assert_clean(results)
    check_posts(view, expected_posts(view, posts), db)
    for ref in refs:  # exactly one of the two sent each channel's digest
        senders = [r for r in results if f"{ref.key}: sent" in r.err.splitlines()]
        assert len(senders) == 1, f"{ref.key}: sent by {len(senders)} processes"
