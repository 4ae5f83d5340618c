"""Fixtures the feed tests share."""

from __future__ import annotations

import pytest


class Sleeps:
    """An injected `sleep` that records what it was asked to wait, and never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
