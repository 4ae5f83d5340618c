"""Real `paperboy` processes SIGKILLed at random moments of a fan-out (daily digests, keyword
alerts, weekly roll-ups) on the local Slack and Discord fakes: afterwards every post is on
the platform exactly once, all its parts once and in order in the right place, and the ledger
shows it sent.

Scale with PAPERBOY_CRASH_CHANNELS and PAPERBOY_CRASH_KILLS (defaults: 12 channels, 4 kills per
case; full size is 200 x 20) and PAPERBOY_CRASH_SEED. Each case reports one line (stderr, the
`crash` junit property, and the terminal).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.alerts import ALERT_KIND
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import Alert, ChannelRef, ChannelSettings, Post, PostKey, Schedule
from bot.feed.parse import parse_entries
from bot.service import Paperboy
from storage.ledger import MAX_ATTEMPTS
from storage.store import Store
from tests.data.make_days import make_day
from tests.fakes import discord_fixture, hf_fixture, slack_fixture
from tests.fakes.crash_harness import (
    DiscordView,
    KillPlan,
    PlatformView,
    Runner,
    Scale,
    SlackView,
    crash_loop,
    expected_posts,
    paperboy_env,
    sent_everything,
    startup_seconds,
    summary,
    tally,
)
from tests.fakes.discord_api import DiscordFake
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake
from tests.helpers import StaticFeed, eventually

hf_server = hf_fixture.hf_server
slack_fake = slack_fixture.slack_fake
discord_fake = discord_fixture.discord_fake

CASES = ("digest", "alerts", "weekly")
CRASH_GUILD = 5000
FIRST_CRASH_CHANNEL = 6000
LONG_DIGEST = 25  # papers in every third channel's digest: several messages each
DAY_PAPERS = 30
WEEK_PAPERS_A_DAY = 7
ALERT_PAPERS_A_DAY = 2


def long_day(day: date, count: int) -> list[dict[str, Any]]:
    """A feed day whose papers show their long abstract (no AI summary)."""
    entries = make_day(day, count)
    for entry in entries:
        entry["paper"].pop("ai_summary", None)
    return entries


def digest_size(index: int) -> int:
    """Every third channel gets a long digest (several messages), the others a short one."""
    return LONG_DIGEST if index % 3 == 0 else 3 + index % 4


def alert_query(index: int) -> str:
    """Every fourth channel matches every new paper, the others one paper a day."""
    return "variant" if index % 4 == 0 else f'"variant {index % ALERT_PAPERS_A_DAY}"'


@dataclass
class Case:
    """A fan-out to crash: the command and the posts it must deliver."""

    args: tuple[str, ...]
    posts: list[tuple[PostKey, Post]]


async def timed_case(
    kind: str, refs: list[ChannelRef], db: Path, hf: HFServer, runner: Runner
) -> Case:
    """Daily digests of one past day, or weekly roll-ups of one past ISO week, to `refs`."""
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    store = Store(db)
    for i, ref in enumerate(refs):
        store.save_schedule(
            Schedule(ref, kind, enabled=True, size=digest_size(i), enabled_at=now), now
        )
    load: tuple[str, ...]
    args: tuple[str, ...]
    if kind == DIGEST_KIND:
        day = today - timedelta(days=7)
        hf.add_day(day, long_day(day, DAY_PAPERS))
        load = ("fetch", "--date", day.isoformat())
        args = ("digest", "--send", "--date", day.isoformat())
    else:
        monday = today - timedelta(days=today.weekday() + 14)
        for offset in range(5):
            hf.add_day(
                monday + timedelta(days=offset),
                long_day(monday + timedelta(days=offset), WEEK_PAPERS_A_DAY),
            )
        day = monday + timedelta(days=2)
        load = (
            "backfill",
            "--since",
            monday.isoformat(),
            "--until",
            (monday + timedelta(days=6)).isoformat(),
            "--delay",
            "0",
        )
        args = ("digest", "--send", "--weekly", "--date", day.isoformat())
    loaded = await runner.run(*load)
    assert loaded.code == 0, loaded.tail()
    core = Paperboy(store, StaticFeed())
    due = core.timed(kind).covering(day)
    posts: list[tuple[PostKey, Post]] = []
    for ref in refs:
        post = core.post_for(ref, kind, day=day)
        assert post is not None and post.papers, f"no {kind} for {ref.key}"
        posts.append((PostKey(ref, kind, due.ref), post))
    store.close()
    return Case(args, posts)


def alerts_case(refs: list[ChannelRef], db: Path, hf: HFServer) -> Case:
    """Keyword alerts for the new papers of today and yesterday (UTC), as `fetch` finds them."""
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    papers = []
    for day in (today - timedelta(days=1), today):
        entries = long_day(day, ALERT_PAPERS_A_DAY)
        hf.add_day(day, entries)
        papers += [(i, paper) for i, paper in enumerate(parse_entries(entries, day))]
    store = Store(db)
    posts: list[tuple[PostKey, Post]] = []
    for index, ref in enumerate(refs):
        query = alert_query(index)
        store.save_channel(ChannelSettings(channel=ref))  # as `subscribe` does first
        store.add_subscription(ref, query, "crash-test", now)
        for i, paper in papers:
            if query == "variant" or i == index % ALERT_PAPERS_A_DAY:
                posts.append(
                    (
                        PostKey(ref, ALERT_KIND, paper.id),
                        Alert(channel=ref, paper=paper, matched=(query,)),
                    )
                )
    store.close()
    return Case(("fetch",), posts)


async def crash_case(
    case: str,
    view: PlatformView,
    tmp_path: Path,
    hf: HFServer,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Build the case, kill paperboy through its fan-out, finish it, check exactly once."""
    scale = Scale.from_env()
    refs = view.add_channels(scale.channels)
    db = tmp_path / "crash.db"
    runner = Runner(tmp_path, paperboy_env(db, hf.url, **view.env()))
    if case == "alerts":
        built = alerts_case(refs, db, hf)
    else:
        built = await timed_case(
            DIGEST_KIND if case == "digest" else WEEKLY_KIND, refs, db, hf, runner
        )
    expected = expected_posts(view, built.posts)
    plan = KillPlan(
        random.Random(f"{scale.seed}:{view.platform}:{case}"), scale.kills, await startup_seconds()
    )
    run = await crash_loop(
        runner, built.args, view, expected, plan, finish=sent_everything(db, expected)
    )
    store = Store(db)
    try:
        result = tally(view, expected, store)
    finally:
        store.close()
    line = summary(case, view, scale, run, result)
    record_property("crash", line)
    print(line, file=sys.stderr)
    with capsys.disabled():
        print(f"\n{line}")
    tracebacks = [f for f in run.final if "Traceback" in f.err]
    assert not tracebacks, tracebacks[0].tail(60)
    assert result.ok, f"{line}\n{result.report()}\nlogs in {runner.logs}"


@pytest.mark.parametrize("case", CASES)
async def test_slack_fan_out_killed_at_random_posts_every_part_exactly_once(
    case: str,
    tmp_path: Path,
    hf_server: HFServer,
    slack_fake: SlackFake,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
    await crash_case(case, view, tmp_path, hf_server, record_property, capsys)


@pytest.mark.parametrize("case", CASES)
async def test_discord_fan_out_killed_at_random_posts_every_part_exactly_once(
    case: str,
    tmp_path: Path,
    hf_server: HFServer,
    discord_fake: DiscordFake,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = DiscordView(discord_fake, CRASH_GUILD, discord_fixture.TOKEN, FIRST_CRASH_CHANNEL)
    await crash_case(case, view, tmp_path, hf_server, record_property, capsys)


async def test_a_post_whose_senders_were_killed_before_it_went_out_is_still_sent(
    tmp_path: Path,
    hf_server: HFServer,
    slack_fake: SlackFake,
) -> None:
    # Each process claims the digest, is told to wait (a 429 with Retry-After: nothing was
    # posted) and is killed while it waits: MAX_ATTEMPTS kills, none of them a failed post.
    view = SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
    [ref] = view.add_channels(1)
    db = tmp_path / "killed.db"
    runner = Runner(tmp_path, paperboy_env(db, hf_server.url, **view.env()))
    built = await timed_case(DIGEST_KIND, [ref], db, hf_server, runner)
    expected = expected_posts(view, built.posts)
    for _ in range(MAX_ATTEMPTS):
        slack_fake.script_rate_limit(ref.channel, retry_after=60)
        limited = slack_fake.rate_limited_count

        async def waiting_out_the_429(limited: int = limited) -> None:
            await eventually(lambda: slack_fake.rate_limited_count > limited, timeout=60)

        killed = await runner.run_until(built.args, waiting_out_the_429)
        assert killed.killed, f"paperboy ended before its kill:\n{killed.tail()}"

    finals = [await runner.run(*built.args), await runner.run(*built.args)]

    assert [f.code for f in finals] == [0, 0], finals[-1].tail()
    store = Store(db)
    try:
        result = tally(view, expected, store)
    finally:
        store.close()
    assert result.ok, result.report()
