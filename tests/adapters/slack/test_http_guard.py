"""RequestGuard on its own, in front of a counting handler on a real aiohttp server: what it
remembers of signed requests stays bounded and ends with Slack's 5-minute window."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from adapters.slack.http_guard import REPLAY_WINDOW, RequestGuard
from tests.adapters.slack.conftest import VirtualTime
from tests.fakes.slack_api import signed_headers

SECRET = "guard-secret"
PATH = "/slack/events"


@dataclass
class Served:
    """The guarded server: its URL, the guard, and the bodies that reached the handler."""

    url: str
    guard: RequestGuard
    handled: list[bytes] = field(default_factory=list)


@pytest.fixture
def now() -> VirtualTime:
    return VirtualTime(1_800_000_000.0)


@pytest.fixture
async def served(now: VirtualTime) -> AsyncIterator[Served]:
    guard = RequestGuard(SECRET, PATH, clock=now, size=3)
    app = web.Application(middlewares=[guard])
    handled: list[bytes] = []

    async def events(request: web.Request) -> web.Response:
        handled.append(await request.read())
        return web.Response(text="ran")

    app.router.add_post(PATH, events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}{PATH}", guard, handled)
    finally:
        await runner.cleanup()


async def _post(served: Served, body: bytes, timestamp: float) -> str:
    headers = signed_headers(SECRET, body, int(timestamp))
    async with (
        aiohttp.ClientSession() as session,
        session.post(served.url, data=body, headers=headers) as response,
    ):
        assert response.status == 200
        return await response.text()


async def test_a_replay_is_dropped_until_its_timestamp_is_stale(
    served: Served, now: VirtualTime
) -> None:
    sent_at = now()
    assert await _post(served, b"text=one", sent_at) == "ran"
    now.now += REPLAY_WINDOW - 1
    assert await _post(served, b"text=one", sent_at) == ""  # dropped
    assert served.handled == [b"text=one"]
    now.now += 2
    headers = signed_headers(SECRET, b"text=one", int(sent_at))
    async with (
        aiohttp.ClientSession() as session,
        session.post(served.url, data=b"text=one", headers=headers) as stale,
    ):
        assert stale.status == 401  # past the window the signature itself is refused


async def test_what_is_remembered_is_bounded_and_forgotten_once_stale(
    served: Served, now: VirtualTime
) -> None:
    for n in range(5):
        await _post(served, f"text={n}".encode(), now())
    assert len(served.guard.signatures) == 3  # the bound
    assert await _post(served, b"text=4", now()) == ""  # the newest are remembered
    assert await _post(served, b"text=0", now()) == "ran"  # the oldest made room
    now.now += REPLAY_WINDOW + 1
    await _post(served, b"text=fresh", now())
    assert len(served.guard.signatures) == 1  # the stale ones went with it
