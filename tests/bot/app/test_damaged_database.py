"""A running paperboy on a damaged database: a chat command gets one line back and the log one
line (no traceback), and so does every poll."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.scheduler import Scheduler
from bot.app.wiring import App, build_app
from bot.domain import ChannelRef, Invocation
from bot.feed.parse import parse_entries
from storage.store import Store
from tests.data.make_days import GENERATED_DAY, make_day
from tests.fakes.hf_server import HFServer
from tests.storage.damage import damage


@pytest.fixture
async def damaged_app(
    tmp_path: Path, hf_server: HFServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[App]:
    """The real app on a file whose stored papers (and their index) are partly overwritten."""
    path = tmp_path / "paperboy.db"
    store = Store(path)
    store.upsert_papers(parse_entries(make_day(GENERATED_DAY), GENERATED_DAY))
    store.close()
    damage(path)
    monkeypatch.setenv("PAPERBOY_DB", str(path))
    monkeypatch.setenv("PAPERBOY_HF_URL", hf_server.url)
    app = build_app(Settings(_env_file=None))
    try:
        yield app
    finally:
        await app.aclose()


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

    await scheduler.poll()
    await scheduler.poll()

    records = errors(caplog)
    assert [r.name for r in records] == ["bot.app.scheduler"] * 2
    assert all(r.exc_info is None and r.exc_text is None for r in records)
    assert (
        records[0]
        .getMessage()
        .startswith(f"poll failed: the database {tmp_path / 'paperboy.db'} is damaged")
    )
