"""The pacer on a fake clock: evenly spaced slots under the global limit, in arrival order."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from adapters.discord.pacing import BUDGET_PER_SECOND, GLOBAL_LIMIT_PER_SECOND, DiscordPacer


class FakeTime:
    """A clock that moves only when slept on; `overrun` makes every sleep last longer."""

    def __init__(self, overrun: float = 0.0) -> None:
        self.now = 0.0
        self.overrun = overrun
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + self.overrun
        await asyncio.sleep(0)


async def _grant_times(pacer: DiscordPacer, time: FakeTime, count: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        await pacer.wait()
        times.append(time.now)

    await asyncio.gather(*(one() for _ in range(count)))
    return times


def _busiest_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_budget_is_under_discords_global_limit() -> None:
    assert BUDGET_PER_SECOND < GLOBAL_LIMIT_PER_SECOND


async def test_200_requests_at_once_never_exceed_the_budget_in_any_second() -> None:
    time = FakeTime()
    pacer = DiscordPacer(clock=time, sleep=time.sleep)
    times = await _grant_times(pacer, time, 200)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert _busiest_second(times) == BUDGET_PER_SECOND
    assert min(gaps) >= 1 / BUDGET_PER_SECOND
    assert pacer.granted == 200 and pacer.waited == pytest.approx(199 / BUDGET_PER_SECOND, abs=1e-3)


async def test_first_request_goes_at_once_and_a_quiet_pacer_does_not_wait() -> None:
    time = FakeTime()
    pacer = DiscordPacer(clock=time, sleep=time.sleep)
    await pacer.wait()
    time.now += 1.0
    await pacer.wait()
    assert time.sleeps == []


async def test_sleep_that_overran_does_not_let_the_next_requests_burst() -> None:
    time = FakeTime(overrun=0.5)
    pacer = DiscordPacer(clock=time, sleep=time.sleep)
    times = await _grant_times(pacer, time, 5)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1 / BUDGET_PER_SECOND for gap in gaps)


async def test_slots_go_in_arrival_order() -> None:
    time = FakeTime()
    pacer = DiscordPacer(rate=10, clock=time, sleep=time.sleep)
    order: list[int] = []

    async def one(i: int) -> None:
        await pacer.wait()
        order.append(i)

    await asyncio.gather(*(one(i) for i in range(20)))
    assert order == list(range(20))


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DiscordPacer(rate=0)
