"""A running paperboy on a damaged database: a chat command gets one line back and the log one
line (no traceback), and so does every job of the scheduler: the poll each time, the 15 s tick
once, then at most every ten minutes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.scheduler import Scheduler
from bot.app.wiring import App, build_app
from bot.domain import ChannelRef, Invocation, Schedule
from bot.feed.parse import parse_entries
from storage.store import Store
from tests.data.make_days import GENERATED_DAY, make_day
from tests.fakes.hf_server import HFServer
from tests.storage.damage import damage

DamagedApp = Callable[..., Awaitable[App]]


@pytest.fixture
async def damaged_app_of(
    tmp_path: Path, hf_server: HFServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DamagedApp]:
    """The real app on a file whose `tables` (default: the stored papers and their index) have
    every `every`th page overwritten; `before` runs on the whole file first (a schedule saved)."""
    apps: list[App] = []

    async def make(
        tables: Sequence[str] = ("papers", "papers_fts_data"),
        before: Callable[[Store], None] | None = None,
        every: int = 2,
    ) -> App:
        path = tmp_path / "paperboy.db"
        store = Store(path)
        store.upsert_papers(parse_entries(make_day(GENERATED_DAY), GENERATED_DAY))
        if before is not None:
            before(store)
        store.close()
        damage(path, tables, every)
        monkeypatch.setenv("PAPERBOY_DB", str(path))
        monkeypatch.setenv("PAPERBOY_HF_URL", hf_server.url)
        app = build_app(Settings(_env_file=None))
        apps.append(app)
        return app

    try:
        yield make
    finally:
        for app in apps:
            await app.aclose()


@pytest.fixture
async def damaged_app(damaged_app_of: DamagedApp) -> App:
    """The real app on a file whose stored papers (and their index) are partly overwritten."""
    return await damaged_app_of()


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_chat_command_gets_one_line_and_the_operator_one_log_line(
    damaged_app: App, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    member = Invocation(channel=ChannelRef("slack", "T1", "C1"), user="U1")

    reply = await damaged_app.handlers.handle("search multimodal", member)

    assert not reply.ok
    assert reply.text == "Sorry, paperboy's database is damaged; its operator has been told."
    [record] = errors(caplog)
    assert record.exc_info is None and record.exc_text is None
    assert f"the database {tmp_path / 'paperboy.db'} is damaged" in record.getMessage()
    assert ".recover" in record.getMessage()


async def test_each_poll_logs_one_line_saying_what_to_do(
    damaged_app: App, hf_server: HFServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 5))
    scheduler = Scheduler(damaged_app.core, 30)
    now = [1000.0]
    scheduler.monotonic = lambda: now[0]

    await scheduler.poll()
    now[0] += 30 * 60  # the next poll
    await scheduler.poll()

    records = errors(caplog)
    assert [r.name for r in records] == ["bot.app.scheduler"] * 2
    assert all(r.exc_info is None and r.exc_text is None for r in records)
    assert (
        records[0]
        .getMessage()
        .startswith(f"poll failed: the database {tmp_path / 'paperboy.db'} is damaged")
    )


def one_liners(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The scheduler's error lines, once no record at all carried a traceback."""
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)
    assert "Traceback" not in caplog.text
    return [r.getMessage() for r in errors(caplog) if r.name == "bot.app.scheduler"]


def a_digest(store: Store, time: str = "09:00") -> None:
    channel = ChannelRef("console", "local", "C1")
    store.save_schedule(Schedule(channel, "digest", enabled=True, time=time), datetime.now(UTC))


def says_what_to_do(line: str, tmp_path: Path) -> bool:
    return f"the database {tmp_path / 'paperboy.db'} is damaged" in line and ".recover" in line


async def test_a_digest_at_its_time_logs_one_line(
    damaged_app_of: DamagedApp,
    hf_server: HFServer,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    today = datetime.now(UTC).date()
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 5))
    app = await damaged_app_of(before=lambda store: a_digest(store, "02:05"))
    scheduler = Scheduler(app.core, 30)
    await scheduler.sync()

    await scheduler.run("digest@02:05@UTC")

    [line] = one_liners(caplog)
    assert line.startswith("digest@02:05@UTC failed: ") and says_what_to_do(line, tmp_path)


async def test_the_tick_on_a_damaged_ledger_and_schedules_logs_once_then_every_ten_minutes(
    damaged_app_of: DamagedApp, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    app = await damaged_app_of(("deliveries", "schedules"), before=a_digest, every=1)
    scheduler = Scheduler(app.core, 30)
    now = [1000.0]
    scheduler.monotonic = lambda: now[0]

    for _ in range(4):  # a minute of ticks
        await scheduler.tick()
        now[0] += 15
    first = one_liners(caplog)
    now[0] += 600
    await scheduler.tick()

    assert [line.partition(" failed: ")[0] for line in first] == [
        "syncing schedules",
        "recovering open deliveries",
    ]
    assert all(says_what_to_do(line, tmp_path) for line in first)
    assert one_liners(caplog) == first * 2  # ten minutes on, said again


async def test_every_job_of_a_start_logs_one_line(
    damaged_app_of: DamagedApp, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    app = await damaged_app_of(
        ("papers", "papers_fts_data", "deliveries", "schedules"), before=a_digest, every=1
    )
    scheduler = Scheduler(app.core, 30)

    await scheduler.startup()
    await scheduler.compact()

    lines = one_liners(caplog)
    assert [line.partition(" failed: ")[0] for line in lines] == [
        "scheduling the timed posts",
        "recovering open deliveries",
        "poll",
        "catch-up",
        "merging the search index",
    ]
    assert all(says_what_to_do(line, tmp_path) for line in lines)
