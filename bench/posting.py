"""Benchmark posting alerts through the whole path (ledger, fan-out, adapter, platform limits).

    .venv/bin/python bench/posting.py
    .venv/bin/python bench/posting.py --channels 1 4 --per-channel 6

Alerts go to the local strict fakes of Slack (tests/fakes/slack_api.py: 1 post per second per
channel with a burst of 3, as Slack documents) and Discord (tests/fakes/discord_api.py: 5
requests per second per channel bucket), through a poll's alert fan-out with the real slack_sdk
and discord.py clients. The table shows posts per second achieved against those limits.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _common import console, environment, positive_ints
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.commands.handlers import Handlers
from bot.domain import ChannelRef, ChannelSettings, Paper
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import discord_fixture, slack_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_records import BASIC_MEMBER, TEXT
from tests.fakes.slack_api import SlackFake
from tests.helpers import StaticFeed, alert_on, make_paper

Row = tuple[str, int, int, float, int, str]


def _papers(count: int) -> list[Paper]:
    return [
        make_paper(f"2411.{i:05d}", "2026-11-25", title=f"Benchmark paper {i}")
        for i in range(count)
    ]


def _core(tmp: Path, channels: list[ChannelRef]) -> Paperboy:
    store = Store(tmp / f"{channels[0].platform}-{len(channels)}.db")
    core = Paperboy(store, StaticFeed(), {})
    for ref in channels:
        store.save_channel(ChannelSettings(ref))
        store.add_subscription(ref, "benchmark", "bench", core.clock())
    return core


async def _timed(send: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await send()
    return time.perf_counter() - start


async def bench_slack(tmp: Path, channels: int, per_channel: int) -> Row:
    async with SlackFake() as slack:
        slack_fixture.configure(slack)
        ids = [f"C{i}" for i in range(channels)]
        slack.add_team("T1", bot_token=slack_fixture.BOT_TOKEN, channels=ids)
        refs = [ChannelRef("slack", "T1", c) for c in ids]
        core = _core(tmp, refs)
        adapter = SlackAdapter(
            SlackConfig(
                api_url=slack.api_url, db_path=str(tmp / "s.db"), bot_token=slack_fixture.BOT_TOKEN
            ),
            Handlers(core).run,
        )
        core.publishers["slack"] = adapter.publisher
        seconds = await _timed(lambda: alert_on(core, _papers(per_channel)))
        posts = len(slack.messages)
        return (
            "Slack",
            channels,
            posts,
            seconds,
            slack.rate_limited_count,
            f"{slack.post_rate:g}/s per channel, burst {slack.post_burst}",
        )


async def bench_discord(tmp: Path, channels: int, per_channel: int) -> Row:
    async with DiscordFake(
        token=discord_fixture.TOKEN, application_id=discord_fixture.APP_ID
    ) as fake:
        ids = [5000 + i for i in range(channels)]
        fake.add_guild(
            1000,
            "bench",
            channels={c: {"name": f"c{c}", "type": TEXT} for c in ids},
            members={1: BASIC_MEMBER},
        )
        refs = [ChannelRef("discord", "1000", str(c)) for c in ids]
        core = _core(tmp, refs)
        handlers = Handlers(core)
        adapter = DiscordAdapter(
            DiscordConfig(
                token=discord_fixture.TOKEN, api_url=fake.api_base, gateway_url=fake.gateway_url
            ),
            handlers.run,
            handlers.suggest,
        )
        core.publishers["discord"] = adapter.publisher
        try:
            seconds = await _timed(lambda: alert_on(core, _papers(per_channel)))
        finally:
            await adapter.stop()
        posts = len(fake.messages)
        return (
            "Discord",
            channels,
            posts,
            seconds,
            fake.rate_limited,
            "5 requests per 1 s per channel bucket",
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--per-channel", type=int, default=6)
    args = parser.parse_args()
    table = Table(
        "platform",
        "channels",
        "posts",
        "seconds",
        "posts/s",
        "429s",
        "fake's limit",
        title="Alerts posted by a poll's fan-out",
    )
    with tempfile.TemporaryDirectory() as tmp:
        for channels in positive_ints(args.channels, "--channels"):
            for bench in (bench_slack, bench_discord):
                name, n, posts, seconds, limited, limit = await bench(
                    Path(tmp), channels, args.per_channel
                )
                table.add_row(
                    name,
                    str(n),
                    str(posts),
                    f"{seconds:.2f}",
                    f"{posts / seconds:.2f}",
                    str(limited),
                    limit,
                )
    out = console()
    out.print(table)
    out.print(f"{args.per_channel} alerts per channel; {environment()}")


if __name__ == "__main__":
    asyncio.run(main())
