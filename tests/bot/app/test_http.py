"""/healthz and /metrics: a real aiohttp server on 127.0.0.1, scraped with httpx, over a real
store, the HF fake and the Slack and Discord fakes."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from adapters.console.adapter import CONSOLE_CHANNEL
from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from adapters.slack.adapter import SlackAdapter
from bot.app.config import Settings
from bot.app.http import Ops, OpsServer
from bot.app.metrics import Metrics
from bot.app.scheduler import Scheduler
from bot.app.wiring import App, build_app, run
from bot.commands.handlers import Handlers
from bot.domain import Invocation
from bot.service import Paperboy
from storage.store import Store
from tests.bot.app.cli_run import closed_port
from tests.data.make_days import make_day
from tests.fakes import discord_fixture, slack_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake
from tests.helpers import Clock, StaticFeed, eventually

slack_fake = slack_fixture.slack_fake
discord_fake = discord_fixture.discord_fake
SIGNING_SECRET = "test-signing-secret"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(text: str, name: str, **labels: str) -> float | None:
    """One sample of a scrape, or None."""
    return samples(text).get((name, frozenset(labels.items())))


class Blocked:
    """A sleep that never ends (until cancelled) and remembers that it was asked."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.Event().wait()


@pytest.fixture
async def server() -> AsyncIterator[OpsServer]:
    ops = Ops(Metrics())
    server = OpsServer(ops, "127.0.0.1", 0)
    assert await server.start()
    yield server
    await server.stop()


def _url(server: OpsServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_healthz_turns_ready_once_the_scheduler_runs_and_slack_connects(
    store: Store,
    socket_mode_slack: Callable[[Paperboy], SlackAdapter],
    clock: Clock,
    server: OpsServer,
) -> None:
    core = Paperboy(store, StaticFeed(), {}, clock=clock)
    slack = socket_mode_slack(core)
    scheduler = Scheduler(core, poll_minutes=30)
    server.ops.platforms = [slack]
    server.ops.scheduler_running = lambda: scheduler.running
    async with httpx.AsyncClient() as http:
        before = await http.get(_url(server, "/healthz"))
        assert before.status_code == 503
        assert before.text == "scheduler: not running; slack: not started\n"
        scheduler.start()
        try:
            assert (await http.get(_url(server, "/healthz"))).text == "slack: not started\n"
            await slack.start()
            ready = await http.get(_url(server, "/healthz"))
            assert (ready.status_code, ready.text) == (200, "ok\n")
        finally:
            scheduler.shutdown()
            await slack.stop()
        after = await http.get(_url(server, "/healthz"))
    assert after.status_code == 503 and "scheduler: not running" in after.text


@pytest.fixture
def restore_discord_endpoints() -> Iterator[None]:
    """DiscordAdapter points discord.py's module-wide endpoints at the fake: put them back."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.mark.usefixtures("restore_discord_endpoints")
async def test_healthz_says_discord_is_connecting_and_why(
    store: Store, clock: Clock, server: OpsServer
) -> None:
    dead = closed_port()  # a port nobody listens on: the network is down
    core = Paperboy(store, StaticFeed(), {}, clock=clock)
    handlers = Handlers(core)
    blocked = Blocked()
    config = DiscordConfig(
        token=discord_fixture.TOKEN,
        api_url=f"http://127.0.0.1:{dead}/api/v10",
        gateway_url=f"ws://127.0.0.1:{dead}",
    )
    discord = DiscordAdapter(config, handlers.run, handlers.suggest, sleep=blocked)
    server.ops.platforms = [discord]
    server.ops.scheduler_running = lambda: True
    try:
        await discord.start()
        await eventually(lambda: blocked.waits)  # the first attempt failed; backing off
        async with httpx.AsyncClient() as http:
            answer = await http.get(_url(server, "/healthz"))
    finally:
        await discord.stop()
    assert answer.status_code == 503
    assert answer.text.startswith("discord: connecting (last error: ")


@pytest.mark.usefixtures("restore_discord_endpoints")
async def test_healthz_turns_ready_when_discord_connects_and_says_a_refused_token(
    store: Store, discord_fake: DiscordFake, clock: Clock, server: OpsServer
) -> None:
    core = Paperboy(store, StaticFeed(), {}, clock=clock)
    handlers = Handlers(core)

    def adapter(token: str) -> DiscordAdapter:
        config = DiscordConfig(
            token=token,
            api_url=discord_fake.api_base,
            gateway_url=discord_fake.gateway_url,
            guild_ready_timeout=0.1,
        )
        return DiscordAdapter(config, handlers.run, handlers.suggest, sleep=Blocked())

    good, refused = adapter(discord_fixture.TOKEN), adapter("not-the-token")
    server.ops.scheduler_running = lambda: True
    async with httpx.AsyncClient() as http:
        try:
            server.ops.platforms = [good]
            await good.start()
            await good.wait_until_ready(timeout=10)
            ready = await http.get(_url(server, "/healthz"))
            server.ops.platforms = [good, refused]
            await refused.start()
            await eventually(lambda: refused._task is not None and refused._task.done())
            answer = await http.get(_url(server, "/healthz"))
        finally:
            await good.stop()
            await refused.stop()
    assert (ready.status_code, ready.text) == (200, "ok\n")
    assert (answer.status_code, answer.text) == (503, "discord: token refused (DISCORD_TOKEN)\n")


def _settings(tmp_path: Path, hf_server: HFServer, **env: str) -> Settings:
    return Settings.model_validate(
        {
            "PAPERBOY_DB": str(tmp_path / "run.db"),
            "PAPERBOY_HF_URL": hf_server.url,
            "PAPERBOY_HTTP_HOST": "127.0.0.1",
            "PAPERBOY_HTTP_PORT": "0",
            **env,
        }
    )


def _seed_days(hf_server: HFServer) -> None:
    today = datetime.now(UTC).date()
    # Tomorrow too: UTC midnight may pass while the test runs.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 3))


async def _running(app: App) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(run(app, stop))


async def scrape_until(
    http: httpx.AsyncClient, url: str, done: Callable[[str], bool], timeout: float = 20.0
) -> str:
    """Scrape `url` until `done(text)`: for work the scheduler does in the background."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        text = (await http.get(url)).text
        if done(text):
            return text
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not scraped in time; last scrape:\n{text}")
        await asyncio.sleep(0.02)


async def test_run_serves_metrics_of_a_real_poll_and_the_posts_it_made(
    tmp_path: Path, hf_server: HFServer
) -> None:
    _seed_days(hf_server)
    out = io.StringIO()
    app = build_app(
        _settings(tmp_path, hf_server),
        console=Console(file=out, width=120),
        stdin=io.StringIO("search variant\n"),
    )
    operator = Invocation(channel=CONSOLE_CHANNEL, user="tester", operator=True)
    assert (await app.handlers.handle("subscribe variant", operator)).ok
    stop, running = await _running(app)
    try:
        address = await eventually(lambda: app.ops.address)
        base = f"http://{address[0]}:{address[1]}"
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{base}/healthz")
            metrics = await scrape_until(
                http,
                f"{base}/metrics",
                lambda text: (
                    sample(text, "paperboy_fanout_seconds_count", kind="alert") == 1
                    and sample(text, "paperboy_command_seconds_count", command="search") == 1
                ),
            )
            content_type = (await http.get(f"{base}/metrics")).headers["content-type"]
    finally:
        stop.set()
        await running
        await app.aclose()
    assert (health.status_code, health.text) == (200, "ok\n")
    assert content_type.startswith("text/plain")
    sent = sample(metrics, "paperboy_posts_total", platform="console", kind="alert", outcome="sent")
    assert sent is not None and sent >= 6  # yesterday's and today's three papers each
    assert sample(metrics, "paperboy_polls_total", outcome="ok") == 1
    assert sample(metrics, "paperboy_polls_total", outcome="failed") == 0
    assert sample(metrics, "paperboy_papers_stored") == app_papers(tmp_path)


def app_papers(tmp_path: Path) -> int:
    store = Store(tmp_path / "run.db")
    try:
        return store.count_papers()
    finally:
        store.close()


async def test_slack_http_mode_serves_them_on_its_own_port_and_opens_no_other(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    settings = _settings(
        tmp_path,
        hf_server,
        SLACK_API_URL=slack_fake.api_url,
        SLACK_BOT_TOKEN=slack_fixture.BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
    )
    app = build_app(settings, console=Console(file=io.StringIO()))
    slack = app.platform("slack")
    assert isinstance(slack, SlackAdapter)
    stop, running = await _running(app)
    try:
        port = await eventually(lambda: slack.port)
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            scrape = await http.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        stop.set()
        await running
        await app.aclose()
    assert (health.status_code, health.text) == (200, "ok\n")
    assert sample(scrape.text, "paperboy_rate_limited_total", platform="slack") == 0
    assert app.ops.address is None  # one listening socket: Slack's


async def test_a_busy_port_is_one_error_line_and_paperboy_runs_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = OpsServer(Ops(Metrics()), "127.0.0.1", taken.getsockname()[1])
        with caplog.at_level(logging.INFO, logger="bot.app.http"):
            assert not await server.start()
    [record] = caplog.records
    assert record.levelno == logging.ERROR and "PAPERBOY_HTTP_PORT" in record.getMessage()
    assert record.exc_info is None and server.ops.address is None
    await server.stop()


async def test_a_health_check_that_raises_is_reported_not_a_500(server: OpsServer) -> None:
    class Broken:
        name = "broken"

        async def health(self) -> None:
            raise RuntimeError("adapter bug")

    server.ops.platforms = [Broken()]  # type: ignore[list-item]
    server.ops.scheduler_running = lambda: True
    async with httpx.AsyncClient() as http:
        answer = await http.get(_url(server, "/healthz"))
    assert (answer.status_code, answer.text) == (
        503,
        "broken: cannot tell (RuntimeError: adapter bug)\n",
    )


async def test_healthz_redacts_a_token_a_health_check_quotes(server: OpsServer) -> None:
    # In Slack HTTP mode /healthz is served wherever /slack/events is: often the internet.
    token = "xoxb-" + "1234-5678-SecretTokenValue"

    class Leaky:
        name = "leaky"

        async def health(self) -> None:
            raise RuntimeError(f"auth.test refused {token}")

    server.ops.platforms = [Leaky()]  # type: ignore[list-item]
    server.ops.scheduler_running = lambda: True
    async with httpx.AsyncClient() as http:
        answer = await http.get(_url(server, "/healthz"))
    assert (answer.status_code, answer.text) == (
        503,
        "leaky: cannot tell (RuntimeError: auth.test refused [redacted])\n",
    )
