"""Holding back the fake's answers: requests are recorded, their answers wait (or never come).

A held request has been fully handled (a message is stored) before its answer waits, like on
Discord, where a client killed while waiting for the answer has still posted.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class AnswerHold:
    """Hold the answers of the next `times` requests whose path contains `route_contains`.

    `delay`: answer after that many seconds; None: only once `release()` is called.
    `drop`: never answer, close the connection instead (the client sees it drop mid-request).
    """

    route_contains: str
    method: str | None = "POST"
    times: int = 1
    delay: float | None = None
    drop: bool = False
    held: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, method: str, path: str) -> bool:
        """True while this hold still has requests to take."""
        return (
            self.held < self.times
            and self.route_contains in path
            and (self.method is None or self.method == method)
        )

    def release(self) -> None:
        """Let every held answer go."""
        self._released.set()

    async def wait_arrived(self, timeout: float = 5.0) -> None:
        """Wait until a request was handled and its answer is being held."""
        await asyncio.wait_for(self.arrived.wait(), timeout)

    async def hold(self) -> None:
        """Called by the fake with a handled request: wait as configured."""
        self.held += 1
        self.arrived.set()
        if self.drop:
            return
        if self.delay is None:
            await self._released.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.delay)
