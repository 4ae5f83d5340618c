"""Virtual time for a client's pacer and the Discord fake together, so no test waits for real.

The pacer sleeps on it and the fake stamps requests (and runs its rate limits) with it. Time
moves only when the pacer sleeps, and only once every request the pacer let go has reached
the fake: so the fake sees each request at the virtual moment it was let go, and what it
counts per second is what the pacer allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# How many event loop turns a request may take to reach the fake before time moves anyway.
CATCH_UP_TURNS = 10_000


class LockstepClock:
    """A monotonic clock (`clock()`) and its `sleep`; wire `released` and `arrived` first."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.released: Callable[[], int] = lambda: 0  # e.g. the pacer's `granted`
        self.arrived: Callable[[], int] = lambda: 0  # e.g. the fake's `arrived`
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Let the requests already released arrive, then move time on by `seconds`."""
        for _ in range(CATCH_UP_TURNS):
            if self.arrived() >= self.released():
                break
            await asyncio.sleep(0)
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)
