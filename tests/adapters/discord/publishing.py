"""What the publisher tests share: the fake guild's channels as ChannelRefs, a publisher on
virtual time (the `publisher` fixture in conftest.py), papers long enough to need several
messages, and the requests of one route."""

from __future__ import annotations

from datetime import date
from typing import Any

import discord

from adapters.discord import endpoints
from adapters.discord.pacing import DiscordPacer
from adapters.discord.publisher import DiscordPublisher
from bot.domain import ChannelRef, Paper
from tests.fakes.discord_api import DiscordFake, RequestRecord
from tests.fakes.discord_clock import LockstepClock
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, PAPERS, TOKEN
from tests.helpers import make_paper

CH = ChannelRef("discord", str(GUILD), str(PAPERS))
FORUM_REF = ChannelRef("discord", str(GUILD), str(FORUM_CHANNEL))
DAY = date(2026, 11, 26)


def new_publisher(fake: DiscordFake, clock: LockstepClock, **options: Any) -> DiscordPublisher:
    """A publisher pointed at `fake` (REST only, no gateway cache), paced on `clock`."""
    endpoints.set_api_url(fake.api_base)  # restored by the package's autouse fixture
    pacer = options.pop("pacer", None) or DiscordPacer(clock=clock, sleep=clock.sleep)
    return DiscordPublisher(
        lambda: discord.Client(intents=discord.Intents.none()), TOKEN, pacer=pacer, **options
    )


def long_papers(count: int) -> tuple[Paper, ...]:
    """Papers with long titles and summaries: a dozen of them take several messages."""
    return tuple(
        make_paper(
            f"2411.1{i:04d}",
            DAY,
            upvotes=100 - i,
            title=f"Long paper {i} " * 20,
            summary="an abstract that goes on and on, " * 160,  # one long sentence
        )
        for i in range(count)
    )


def requests_of(fake: DiscordFake, route: str) -> list[RequestRecord]:
    """The fake's requests to `route`, as `"POST /channels/{channel_id}/messages"`."""
    return [r for r in fake.requests if f"{r.method} {r.route}" == route]
