"""Pacing chat.postMessage to Slack's posting limits: a token bucket per channel and per workspace.

Slack's limits (https://docs.slack.dev/apis/web-api/rate-limits, "Posting messages"): about one
message per second per channel, "short bursts >1 allowed", and a workspace-wide limit whose
number is not published. Each channel has its own bucket, so a channel waiting out a 429 holds
up no other channel; the workspace bucket caps them all together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# One message per second per channel (rate-limits page above).
CHANNEL_POSTS_PER_SECOND = 1.0
# "Short bursts >1 allowed": we burst 2, one less than the test fake allows (3), so that network
# jitter between our clock and Slack's never turns a burst into a 429.
CHANNEL_BURST = 2
# The workspace-wide ceiling is undocumented: a few posts per second across all channels.
WORKSPACE_POSTS_PER_SECOND = 5.0
WORKSPACE_BURST = 5
# Float dust from refilling must not cost a second sleep of a few nanoseconds.
_EPSILON = 1e-9

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class TokenBucket:
    """`rate` tokens a second up to `burst`; empty until `blocked_until` after a 429."""

    rate: float
    burst: int
    tokens: float
    updated: float
    blocked_until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0.0: one is available now)."""
        self._refill(now)
        if now < self.blocked_until:
            return self.blocked_until - now
        missing = 1.0 - self.tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate

    def take(self, now: float) -> None:
        """Use a token (the caller checked `wait(now) == 0`)."""
        self._refill(now)
        self.tokens = max(0.0, self.tokens - 1.0)

    def block(self, now: float, seconds: float) -> None:
        """Hand out nothing for `seconds` (Slack's Retry-After), then one post, then the rate."""
        self._refill(now)
        self.blocked_until = max(self.blocked_until, now + seconds)
        self.tokens = 1.0
        self.updated = max(self.updated, self.blocked_until)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now


class SlackPacer:
    """Waits (with the injected clock and sleep) until a channel and its workspace may post."""

    def __init__(
        self,
        *,
        channel_rate: float = CHANNEL_POSTS_PER_SECOND,
        channel_burst: int = CHANNEL_BURST,
        workspace_rate: float = WORKSPACE_POSTS_PER_SECOND,
        workspace_burst: int = WORKSPACE_BURST,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.channel_rate, self.channel_burst = channel_rate, channel_burst
        self.workspace_rate, self.workspace_burst = workspace_rate, workspace_burst
        self.monotonic = monotonic
        self.sleep = sleep
        self._channels: dict[tuple[str, str], TokenBucket] = {}
        self._workspaces: dict[str, TokenBucket] = {}

    async def acquire(self, workspace: str, channel: str) -> None:
        """Return once one post to `channel` fits both limits, and count it."""
        while True:
            now = self.monotonic()
            channel_bucket = self._channel(workspace, channel, now)
            workspace_bucket = self._workspace(workspace, now)
            wait = max(channel_bucket.wait(now), workspace_bucket.wait(now))
            if wait <= 0.0:
                channel_bucket.take(now)
                workspace_bucket.take(now)
                return
            await self.sleep(wait)  # then look again: another channel may have taken the slot

    def hold(self, workspace: str, channel: str, seconds: float) -> None:
        """After a 429: the channel posts nothing more for `seconds` (Retry-After)."""
        now = self.monotonic()
        self._channel(workspace, channel, now).block(now, max(0.0, seconds))

    def _channel(self, workspace: str, channel: str, now: float) -> TokenBucket:
        key = (workspace, channel)
        bucket = self._channels.get(key)
        if bucket is None:
            bucket = TokenBucket(self.channel_rate, self.channel_burst, self.channel_burst, now)
            self._channels[key] = bucket
        return bucket

    def _workspace(self, workspace: str, now: float) -> TokenBucket:
        bucket = self._workspaces.get(workspace)
        if bucket is None:
            bucket = TokenBucket(
                self.workspace_rate, self.workspace_burst, self.workspace_burst, now
            )
            self._workspaces[workspace] = bucket
        return bucket
