"""The `slack_fake` pytest fixture: a running SlackFake with one workspace ready to use.

Team "T1" (bot token "xoxb-t1", bot user "UBOTT1", bot id "BT1", DEFAULT_BOT_SCOPES, which
include channels:history and groups:history), public channels "C1" and "C2", users "UADMIN"
(admin) and "UMEMBER" (member), app token "xapp-test", OAuth client id/secret set. Use it from
a test module with `from tests.fakes import slack_fixture` then
`slack_fake = slack_fixture.slack_fake` (an imported name that test arguments shadow is F811).
`clocked` is the same on a fake driven by the `clock` fixture (a FakeClock), made by
`fake_on("clock")` (a test package with its own clock fixture makes its own so);
`serve_bolt(app)` serves a bolt AsyncApp in HTTP mode and yields its events URL.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp.web
import pytest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from tests.fakes.slack_api import SlackFake

TEAM = "T1"
BOT_TOKEN = "xoxb-t1"
APP_TOKEN = "xapp-test"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"


def configure(slack: SlackFake) -> SlackFake:
    """Give a fake the standard workspace (see the module docstring)."""
    slack.app_token = APP_TOKEN
    slack.client_id = CLIENT_ID
    slack.client_secret = CLIENT_SECRET
    slack.add_team(
        TEAM,
        bot_token=BOT_TOKEN,
        name="Paper Readers",
        domain="paper-readers",
        channels={"C1": "papers", "C2": "random"},
        users={"UADMIN": {"is_admin": True}, "UMEMBER": {"is_admin": False}},
    )
    return slack


@pytest.fixture
async def slack_fake() -> AsyncIterator[SlackFake]:
    """A started SlackFake with the standard workspace; real clock."""
    async with SlackFake() as slack:
        yield configure(slack)


class FakeClock:
    """Epoch seconds that tests move by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fake_on(clock: str) -> object:
    """A fixture (assign it to its name): the standard workspace on a fake driven by the
    fixture named `clock`."""

    async def fake(request: pytest.FixtureRequest) -> AsyncIterator[SlackFake]:
        async with SlackFake(clock=request.getfixturevalue(clock)) as slack:
            yield configure(slack)

    fake.__doc__ = f"The standard workspace on a fake driven by `{clock}`."
    return pytest.fixture(fake)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


clocked = fake_on("clock")


@asynccontextmanager
async def serve_bolt(app: AsyncApp) -> AsyncIterator[str]:
    """`app` in HTTP mode behind aiohttp on 127.0.0.1; yields its events URL."""

    async def events(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    server = aiohttp.web.Application()
    server.router.add_post("/slack/events", events)
    runner = aiohttp.web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await aiohttp.web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    finally:
        await runner.cleanup()
