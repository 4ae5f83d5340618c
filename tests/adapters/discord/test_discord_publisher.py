"""Posting failures against the fake: what is a message fault, what keeps a post sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import aiohttp
import discord
import pytest

from adapters.discord import publisher as publisher_module
from adapters.discord.adapter import DiscordAdapter
from adapters.discord.render import DiscordMessage
from bot.delivery.deliverer import Outcome
from bot.domain import Alert, ChannelRef, ChannelSettings
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, PAPERS
from tests.helpers import make_paper

CH = ChannelRef("discord", str(GUILD), str(PAPERS))
FORUM = ChannelRef("discord", str(GUILD), str(FORUM_CHANNEL))
ALERT = Alert(CH, make_paper("2411.00009", "2026-11-25", title="Mamba goes video"), ("mamba",))


def _long_digest(store: Store, core: Paperboy, ref: ChannelRef) -> date:
    store.upsert_papers([
        make_paper(f"2411.1{i:04d}", "2026-11-26", upvotes=100 - i, title=f"Long paper {i} " * 20,
                   summary="An abstract that goes on and on. " * 160)
        for i in range(25)
    ])
    core.save_settings(ChannelSettings(ref, digest_enabled=True, size=25))
    return date(2026, 11, 26)


def _fail_send_call(monkeypatch: pytest.MonkeyPatch, number: int, error: BaseException) -> None:
    """Make the `number`-th message send (channel or thread) raise `error`."""
    send = discord.abc.Messageable.send
    calls = 0

    async def flaky(self: discord.abc.Messageable, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise error
        return await send(self, *args, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", flaky)


DROPS: list[Callable[[], BaseException]] = [
    aiohttp.ServerDisconnectedError,
    lambda: aiohttp.ClientPayloadError("Response payload is not completed"),
    asyncio.TimeoutError,
    lambda: RuntimeError("Session is closed"),
]
DROP_IDS = ["server-disconnected", "payload-error", "timeout", "any-exception"]


@pytest.mark.parametrize("error", DROPS, ids=DROP_IDS)
async def test_connection_lost_on_a_following_message_keeps_the_digest_sent(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store,
    discord_core: Paperboy, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
    error: Callable[[], BaseException],
) -> None:
    day = _long_digest(discord_store, discord_core, CH)
    _fail_send_call(monkeypatch, 2, error())
    first = await discord_core.send_digest(CH, day=day)
    again = await discord_core.send_digest(CH, day=day)
    [message] = discord_fake.messages_in(PAPERS)
    row = discord_store.delivery(CH, "digest", day.isoformat())
    assert (first, again) == (Outcome.SENT, Outcome.ALREADY)
    assert row is not None and row["message_id"] == str(message.id)
    [error_line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "part 2 of" in error_line and type(error()).__name__ in error_line


async def test_connection_lost_in_a_forum_post_leaves_exactly_one_post(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store,
    discord_core: Paperboy, monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = _long_digest(discord_store, discord_core, FORUM)
    _fail_send_call(monkeypatch, 1, aiohttp.ServerDisconnectedError())  # the thread's 2nd
    first = await discord_core.send_digest(FORUM, day=day)
    again = await discord_core.send_digest(FORUM, day=day)
    [post] = discord_fake.messages
    assert (first, again) == (Outcome.SENT, Outcome.ALREADY)
    assert post.source == "forum_post"


@pytest.mark.parametrize("error", [
    aiohttp.ServerDisconnectedError,
    lambda: aiohttp.ClientPayloadError("Response payload is not completed"),
    asyncio.TimeoutError,
], ids=DROP_IDS[:3])
async def test_connection_lost_on_the_first_message_is_a_transient_delivery_error(
    adapter: DiscordAdapter, discord_fake: DiscordFake, monkeypatch: pytest.MonkeyPatch,
    error: Callable[[], BaseException],
) -> None:
    _fail_send_call(monkeypatch, 1, error())
    with pytest.raises(DeliveryError) as raised:
        await adapter.publisher.send_alert(CH, ALERT)
    assert not raised.value.permanent and not raised.value.message_fault
    assert type(error()).__name__ in str(raised.value)
    assert discord_fake.messages_in(PAPERS) == []


@pytest.mark.parametrize("message, code", [
    (DiscordMessage(content="x" * 2001), 50035),
    (DiscordMessage(content="", embeds=[discord.Embed(title="t" * 300)]), 50035),
    (DiscordMessage(content=""), 50006),
], ids=["content-too-long", "embed-title-too-long", "empty"])
async def test_message_refused_by_discord_is_a_message_fault(
    adapter: DiscordAdapter, discord_fake: DiscordFake, monkeypatch: pytest.MonkeyPatch,
    message: DiscordMessage, code: int,
) -> None:
    monkeypatch.setattr(publisher_module, "render_alert", lambda alert: [message])
    with pytest.raises(DeliveryError) as raised:
        await adapter.publisher.send_alert(CH, ALERT)
    assert raised.value.message_fault and not raised.value.permanent
    assert "HTTP 400" in str(raised.value)
    [refused] = [r for r in discord_fake.requests if r.status == 400]
    assert refused.code == code


async def test_forbidden_channel_is_permanent_not_a_message_fault(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    discord_fake.forbid(PAPERS)
    with pytest.raises(DeliveryError) as raised:
        await adapter.publisher.send_alert(CH, ALERT)
    assert raised.value.permanent and not raised.value.message_fault
