"""A client-side budget for paperboy's Discord REST requests, under Discord's global limit.

Discord allows a bot 50 requests per second across all routes (interaction endpoints
excepted) and bans an IP for a while after 10,000 invalid requests (401, 403, 429) in ten
minutes (https://discord.com/developers/docs/topics/rate-limits, "Global Rate Limit" and
"Invalid Request Limit"). discord.py only learns of the global limit from a 429, so at 10,000
channels a fan-out would collect 429s by the thousand. The pacer spaces every request evenly
below the limit instead; discord.py's per-route buckets still apply on top of it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

# https://discord.com/developers/docs/topics/rate-limits#global-rate-limit
GLOBAL_LIMIT_PER_SECOND = 50
# Our budget: slots are evenly spaced (no bursts), so 2 requests of headroom absorb about 40 ms
# of jitter between leaving here and arriving at Discord, and a 10,000-channel fan-out takes
# 10,000 / 48 = 208 s against the 200 s the limit allows (1.04x).
BUDGET_PER_SECOND = 48.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class DiscordPacer:
    """Hands out request slots at most `rate` per second, first come first served.

    Granted slots are at least `1 / rate` apart (no burst), so no window of one second holds
    more than `rate` of them. `clock` (monotonic seconds) and `sleep` are injectable so tests
    can run on virtual time.
    """

    def __init__(
        self,
        rate: float = BUDGET_PER_SECOND,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        # 1 µs more, so that float rounding never squeezes one slot more into a second.
        self._interval = 1.0 / rate + 1e-6
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf  # the earliest time of the next slot
        self._lock = asyncio.Lock()  # FIFO: waiters get slots in arrival order
        self.granted = 0  # slots handed out
        self.waited = 0.0  # seconds spent waiting for them, in total

    async def wait(self) -> None:
        """Return when the caller may send one request."""
        async with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            if slot > now:
                self.waited += slot - now
                await self._sleep(slot - now)
            # From when the slot was actually granted: a sleep that overran must not let the
            # following requests catch up in a burst.
            self._next = max(slot, self._clock()) + self._interval
            self.granted += 1
