"""Starting the Discord adapter through outages: only a refused token turns Discord off."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest

from adapters.discord import endpoints
from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from bot.commands.handlers import Handlers
from bot.domain import Alert, ChannelRef
from bot.ports import DeliveryError, Health
from bot.service import Paperboy
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake, RequestRecord
from tests.fakes.discord_fixture import GUILD, MANAGER, PAPERS
from tests.fakes.discord_records import ApiError
from tests.helpers import eventually, make_paper, tracker_for

MakeAdapter = Callable[..., DiscordAdapter]
CH = ChannelRef("discord", str(GUILD), str(PAPERS))


class Sleeps:
    """The adapter's backoff sleep: records each wait and returns at once (or runs a hook)."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.hook: Callable[[int], Awaitable[object] | None] | None = None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        result = self.hook(len(self.waits)) if self.hook is not None else None
        if result is not None:
            await result


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_adapter(
    discord_fake: DiscordFake, discord_core: Paperboy, sleeps: Sleeps
) -> AsyncIterator[MakeAdapter]:
    made: list[DiscordAdapter] = []

    def make(**config: Any) -> DiscordAdapter:
        handlers = Handlers(discord_core)
        adapter = DiscordAdapter(
            DiscordConfig(
                **{
                    "token": discord_fixture.TOKEN,
                    "api_url": discord_fake.api_base,
                    "gateway_url": discord_fake.gateway_url,
                    "guild_ready_timeout": 0.1,
                    **config,
                }
            ),
            handlers.run,
            handlers.suggest,
            sleep=sleeps,
        )
        discord_core.publishers[adapter.publisher.platform] = adapter.publisher
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await adapter.stop()


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("adapters.")
    ]


def _command_syncs(fake: DiscordFake) -> list[RequestRecord]:
    return [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")]


async def _answers_status(fake: DiscordFake) -> None:
    record = await fake.send_interaction(GUILD, PAPERS, MANAGER, "papers", ["status"], {})
    [followup] = await record.wait_followups(1)
    assert "Papers stored: 2" in str(followup.content)


def _fail_next_command_sync_with_503(fake: DiscordFake, monkeypatch: pytest.MonkeyPatch) -> None:
    store = fake.rest.commands
    overwrite = store.overwrite
    failed = False

    def once(*args: Any) -> Any:
        nonlocal failed
        if not failed:
            failed = True
            raise ApiError(503, "Service Unavailable", 0)
        return overwrite(*args)

    monkeypatch.setattr(store, "overwrite", once)


@pytest.mark.parametrize("failure", ["cloudflare-429", "503"])
async def test_failed_command_sync_still_connects_and_answers(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    if failure == "503":
        _fail_next_command_sync_with_503(discord_fake, monkeypatch)
    else:
        discord_fake.script_rate_limit("/commands", method="PUT", cloudflare=True, retry_after=3)
    adapter = make_adapter()
    await adapter.start()
    await adapter.wait_until_ready(timeout=10)
    await _answers_status(discord_fake)
    assert [r.status for r in _command_syncs(discord_fake)] == [
        429 if failure == "cloudflare-429" else 503,
        200,
    ]
    assert adapter.commands_synced
    [error] = _errors(caplog)
    assert "could not sync the /papers commands" in error and "connecting anyway" in error
    assert sleeps.waits == [3.0 if failure == "cloudflare-429" else 2.0]  # Retry-After first


async def test_a_long_rate_limit_on_the_command_sync_does_not_keep_the_bot_offline(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DiscordAdapter, "sync_wait", 0.2)
    discord_fake.script_rate_limit("/commands", method="PUT", retry_after=600)
    adapter = make_adapter()
    await adapter.start()
    await adapter.wait_until_ready(timeout=10)  # discord.py is still waiting out the 429
    assert not adapter.commands_synced
    assert [r.status for r in _command_syncs(discord_fake)] == [429]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_login_that_fails_once_with_a_connection_error_is_retried(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = make_adapter()
    endpoints.set_api_url(f"http://127.0.0.1:{_closed_port()}/api/v10")  # the network is down
    sleeps.hook = lambda n: endpoints.set_api_url(discord_fake.api_base)  # and comes back
    await adapter.start()
    await adapter.wait_until_ready(timeout=10)
    await _answers_status(discord_fake)
    assert sleeps.waits == [2.0]
    [error] = _errors(caplog)
    assert "ClientConnectorError" in error and "retrying in 2 s" in error
    assert "\n" not in error


async def test_retries_back_off_exponentially_up_to_five_minutes(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    sleeps: Sleeps,
) -> None:
    adapter = make_adapter()
    endpoints.set_api_url(f"http://127.0.0.1:{_closed_port()}/api/v10")

    def back_after_ten(n: int) -> None:
        if n == 10:
            endpoints.set_api_url(discord_fake.api_base)

    sleeps.hook = back_after_ten
    await adapter.start()
    await adapter.wait_until_ready(timeout=10)
    assert sleeps.waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


async def test_a_failed_gateway_lookup_reconnects_with_a_fresh_client(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    sleeps: Sleeps,
) -> None:
    discord_fake.script_rate_limit("/gateway/bot", cloudflare=True)
    adapter = make_adapter()
    await adapter.start()
    await adapter.wait_until_ready(timeout=10)
    await _answers_status(discord_fake)
    assert sleeps.waits == [2.0]
    assert len(_command_syncs(discord_fake)) == 1  # synced once, not again on reconnecting


async def test_refused_token_is_final_and_one_error_line(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = make_adapter(token="not-the-token")
    await adapter.start()
    assert adapter._task is not None
    await asyncio.wait_for(adapter._task, timeout=10)
    [error] = _errors(caplog)
    assert "token was refused" in error and "not-the-token" not in error
    assert sleeps.waits == []


async def test_a_token_refused_while_posting_reports_discord_down_and_is_never_tried_again(
    make_adapter: MakeAdapter, discord_fake: DiscordFake, sleeps: Sleeps
) -> None:
    adapter = make_adapter()
    discord_fake.token = "reset-token"
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba")
    for _ in range(3):
        with pytest.raises(DeliveryError):
            await adapter.publisher.publish(
                Alert(CH, paper, ("mamba",)), tracker_for(CH, "alert", paper.id)
            )
    assert await adapter.health() == Health(False, "token refused (DISCORD_TOKEN)")
    await adapter.start()  # connecting meets the same refusal: no new login, no retry
    assert adapter._task is not None
    await asyncio.wait_for(adapter._task, timeout=10)
    assert discord_fake.request_counts() == {"GET /users/@me": 1}
    assert sleeps.waits == []
    assert not (await adapter.health()).ok


def test_building_the_adapter_logs_no_voice_warning(
    make_adapter: MakeAdapter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As in a fresh process: discord.py warns once per process, at the first client.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING):
        make_adapter()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_stop_ends_the_retries(
    make_adapter: MakeAdapter,
    sleeps: Sleeps,
) -> None:
    adapter = make_adapter()
    endpoints.set_api_url(f"http://127.0.0.1:{_closed_port()}/api/v10")
    sleeps.hook = lambda n: asyncio.Event().wait()  # an outage that outlasts the test
    await adapter.start()
    await eventually(lambda: sleeps.waits)
    await asyncio.wait_for(adapter.stop(), timeout=5)
    assert adapter._task is not None and adapter._task.done()


async def test_stop_during_the_first_command_sync_leaves_no_task_behind(
    make_adapter: MakeAdapter,
    discord_fake: DiscordFake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DiscordAdapter, "sync_wait", 30.0)
    discord_fake.script_rate_limit("/commands", method="PUT", retry_after=600)
    adapter = make_adapter()
    await adapter.start()
    await eventually(lambda: _command_syncs(discord_fake))
    await adapter.stop()
    await asyncio.sleep(0)
    alive = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord") and not t.done()]
    assert alive == []


async def test_an_unreachable_gateway_falls_back_to_paperboys_backoff(
    make_adapter: MakeAdapter,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DiscordAdapter, "connect_timeout", 0.5)
    adapter = make_adapter(gateway_url=f"ws://127.0.0.1:{_closed_port()}/gateway")
    await adapter.start()
    await eventually(lambda: sleeps.waits, timeout=10)
    assert any("no gateway connection within 0.5 s" in e for e in _errors(caplog))
