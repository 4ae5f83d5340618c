"""Commands run their database work in a worker thread: while one user's command is stuck in
the store, the event loop runs other coroutines and other users' commands complete.

No test here waits on the wall clock: a blocked store call is held on a threading.Event and
released by the test (the timeouts are only there so that a bug fails instead of hanging)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.commands.handlers import COMMAND_THREADS, Handlers
from bot.domain import ChannelRef, Invocation
from storage.store import Store
from tests.helpers import at, make_paper

CH = ChannelRef("slack", "T1", "C1")
OTHER = ChannelRef("slack", "T1", "C2")
NOW = at("2026-11-25 15:00")
SAFETY = 30  # seconds: only reached if the code under test is broken


class Gate:
    """Wraps a store method so that calls hold inside it until the test opens the gate."""

    def __init__(self, store: Store, name: str) -> None:
        self.entered = threading.Semaphore(0)
        self.open = threading.Event()
        self.threads: list[threading.Thread] = []
        self.connections: list[object] = []
        self.finished = 0  # calls that returned from the store
        real = getattr(store, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.current_thread())
            self.connections.append(store.db.conn)
            self.entered.release()
            assert self.open.wait(SAFETY), "the test never opened the gate"
            result = real(*args, **kwargs)
            self.finished += 1
            return result

        setattr(store, name, held)

    async def wait_entered(self) -> None:
        """Until one more call is inside the store (waited for in a thread, not the loop)."""
        assert await asyncio.to_thread(self.entered.acquire, True, SAFETY)


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    store.upsert_papers(
        [
            make_paper("2411.00001", "2026-11-25", 40, title="Video diffusion at scale"),
            make_paper("2411.00002", "2026-11-24", 9, title="Mamba for speech"),
        ],
        NOW,
    )
    yield store


async def test_a_blocked_search_does_not_hold_up_the_loop_or_other_commands(
    handlers: Handlers, seeded: Store
) -> None:
    gate = Gate(seeded, "search")
    slow = asyncio.create_task(handlers.handle("search diffusion", Invocation(CH, "U1")))
    await gate.wait_entered()
    # The search is stuck inside the store, in a worker thread, not on the loop.
    assert gate.threads[0] is not threading.current_thread()
    assert gate.threads[0].name.startswith("paperboy-cmd")
    # Meanwhile the loop runs other coroutines...
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(5):
            await asyncio.sleep(0)
            ticks += 1

    await ticker()
    assert ticks == 5
    # ...and other users' commands, reads and writes, complete.
    other = Invocation(OTHER, "U2")
    assert (await handlers.handle("subscribe mamba", other)).ok
    listed = await handlers.handle("subscriptions", other)
    assert "mamba" in listed.text
    today = await handlers.handle("today", other)
    assert [h.paper.id for h in today.hits] == ["2411.00001"]
    assert not slow.done()
    gate.open.set()
    reply = await slow
    assert reply.ok and [h.paper.id for h in reply.hits] == ["2411.00001"]


async def test_an_alert_dry_run_runs_off_the_loop(handlers: Handlers, seeded: Store) -> None:
    gate = Gate(seeded, "count_matches")
    slow = asyncio.create_task(handlers.handle("alerts test diffusion", Invocation(CH, "U1")))
    await gate.wait_entered()
    assert gate.threads[0] is not threading.current_thread()
    assert (await handlers.handle("status", Invocation(OTHER, "U2"))).ok
    assert not slow.done()
    gate.open.set()
    reply = await slow
    assert "would have alerted on 1 paper in the last 7 stored days" in reply.text


async def test_commands_run_side_by_side_on_their_own_connections(
    handlers: Handlers, seeded: Store
) -> None:
    gate = Gate(seeded, "search")
    slow = [
        asyncio.create_task(handlers.handle("search diffusion", Invocation(CH, f"U{i}")))
        for i in range(COMMAND_THREADS)
    ]
    for _ in slow:
        await gate.wait_entered()  # all of them inside the store at once
    assert len(set(gate.threads)) == COMMAND_THREADS
    # A file store gives each thread its own connection, none of them the loop thread's.
    loop_conn = seeded.db.conn
    assert len(set(map(id, gate.connections))) == COMMAND_THREADS
    assert all(c is not loop_conn for c in gate.connections)
    gate.open.set()
    assert all(r.ok for r in await asyncio.gather(*slow))


async def test_a_failing_command_in_its_thread_costs_one_answer(
    handlers: Handlers, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(seeded, "search", broken)
    reply = await handlers.handle("search diffusion", Invocation(CH, "U1"))
    assert not reply.ok and "something went wrong" in reply.text
    assert (await handlers.handle("today", Invocation(CH, "U1"))).ok


async def test_aclose_lets_a_running_command_finish(handlers: Handlers, seeded: Store) -> None:
    gate = Gate(seeded, "search")
    slow = asyncio.create_task(handlers.handle("search diffusion", Invocation(CH, "U1")))
    await gate.wait_entered()
    closing = asyncio.create_task(handlers.aclose())
    await asyncio.sleep(0)
    assert not closing.done()  # waits for the command inside the store
    gate.open.set()
    await closing
    assert gate.finished == 1  # the command's store work ended before aclose returned
    assert (await slow).ok
