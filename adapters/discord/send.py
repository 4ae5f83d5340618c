"""Hooks on every HTTP request discord.py makes: pace it, claim the part it sends, count 429s.

They run from aiohttp's request tracing (`on_request_start`, `on_request_end`), which
discord.py reaches after all of its own waits (the global-limit lock, the route bucket's
pre-emptive sleep, the sleep before retrying a 429 or a 5xx). So every attempt is paced, and
the claim of a part is the last thing before its bytes leave, on discord.py's retries too.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp
from discord.http import Route

from adapters.discord.pacing import DiscordPacer
from bot.ports import Tracker

# Not bound by the global limit (developers/topics/rate-limits "Global Rate Limit"):
# interaction responses, and the follow-ups paperboy sends through the interaction webhook.
UNPACED_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass
class Attempt:
    """One part of a post being sent: the hooks claim it and record refusals for it."""

    tracker: Tracker
    part: int
    requests: int = 0  # requests that left for it (the platform may have any of them)
    status: int | None = None  # the status of the last answer
    channel: str | None = None  # where its last request went (a channel or a thread)

    @property
    def refused(self) -> bool:
        """The last answer was a 4xx: Discord posted nothing."""
        return self.status is not None and 400 <= self.status < 500

    @property
    def uncertain(self) -> bool:
        """A request left and no answer proves it posted nothing."""
        return self.requests > 0 and not self.refused


_current: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "paperboy_discord_attempt", default=None
)


def sending(attempt: Attempt, channel: str) -> contextvars.Token[Attempt | None]:
    """Make `attempt` the part the current task's next requests send, to `channel` (undo with
    `done`)."""
    attempt.channel = channel
    return _current.set(attempt)


def done(token: contextvars.Token[Attempt | None]) -> None:
    """End what `sending` started."""
    _current.reset(token)


def paced(url: str) -> bool:
    """Whether a request to `url` counts against the global limit (REST, not interactions)."""
    if not url.startswith(Route.BASE):
        return False  # the gateway WebSocket, the CDN
    return not url[len(Route.BASE) :].startswith(UNPACED_PREFIXES)


class RequestHooks:
    """The aiohttp trace that paces, claims and counts; `pacer` may be swapped at any time."""

    def __init__(self, pacer: Callable[[], DiscordPacer]) -> None:
        self._pacer = pacer
        self.rate_limited = 0  # 429s received, retried by discord.py or not
        self.scopes: Counter[str] = Counter()  # 429s by X-RateLimit-Scope
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._start)
        self.trace.on_request_end.append(self._end)

    async def _start(
        self,
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if not paced(str(params.url)):
            return
        await self._pacer().wait()
        attempt = _current.get()
        if attempt is not None:
            await attempt.tracker.claim(attempt.part)  # ClaimLost ends the request here
            attempt.requests += 1
            attempt.status = None

    async def _end(
        self,
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        status = params.response.status
        if status == 429:
            self.rate_limited += 1
            self.scopes[params.response.headers.get("X-RateLimit-Scope", "unknown")] += 1
        attempt = _current.get()
        if attempt is None or not paced(str(params.url)):
            return
        attempt.status = status
        if attempt.refused:
            await attempt.tracker.refused(attempt.part)
