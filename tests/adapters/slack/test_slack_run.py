"""`paperboy run` with Slack credentials pointed at the local fake: connects, answers, posts."""

from __future__ import annotations

import asyncio
import io
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot.app.config import Settings
from bot.app.wiring import build_app, run
from tests.bot.app.cli_run import bare_env, clear_settings, paperboy, spawn
from tests.data.make_days import make_day
from tests.fakes import hf_fixture, slack_fixture
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake
from tests.fakes.slack_fixture import APP_TOKEN, BOT_TOKEN
from tests.helpers import eventually

hf_server = hf_fixture.hf_server
slack_fake = slack_fixture.slack_fake


async def test_run_in_socket_mode_answers_and_alerts(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    today = datetime.now(UTC).date()
    # Tomorrow too: if UTC midnight passes before the first poll, it asks for today and
    # tomorrow, and still finds six papers.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 3))
    env = bare_env(
        PAPERBOY_DB=str(tmp_path / "run.db"),
        PAPERBOY_HF_URL=hf_server.url,
        SLACK_API_URL=slack_fake.api_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        PAPERBOY_LOG_LEVEL="INFO",
    )
    setup = await paperboy(
        ["command", "subscribe variant", "--channel", "slack:T1:C1"], env, tmp_path
    )
    assert setup.code == 0, setup.err
    proc = await spawn(["run"], env, tmp_path)
    try:
        await slack_fake.wait_for_socket_client(timeout=20)
        alerts = await eventually(
            lambda: len(slack_fake.messages_in("C1")) >= 6 and slack_fake.messages_in("C1"),
            timeout=20,
        )
        await slack_fake.send_slash_command("T1", "C2", "UMEMBER", "status", timeout=10)
        [response] = await eventually(lambda: slack_fake.responses, timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    err = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert code == 0, err
    assert all("matched: variant" in str(m.blocks) + str(m.text) for m in alerts)
    assert "Papers stored: 6" in str(response.blocks)
    assert BOT_TOKEN not in err and APP_TOKEN not in err
    assert " WARNING " not in err  # bolt's "`token` will be unused" among them


async def test_run_polls_and_stops_while_the_slack_start_hangs(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = Settings.model_validate(
        {
            "PAPERBOY_DB": str(tmp_path / "run.db"),
            "PAPERBOY_HF_URL": hf_server.url,
            "SLACK_API_URL": slack_fake.api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
        }
    )
    app = build_app(settings, console=Console(file=io.StringIO()))
    slack = app.platform("slack")
    assert slack is not None and app.not_configured == {"discord": "no DISCORD_TOKEN set"}
    hanging = asyncio.Event()

    async def never_connects() -> None:  # e.g. a socket URL that never answers
        hanging.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(slack, "start", never_connects)
    running = asyncio.create_task(run(app))
    try:
        await asyncio.wait_for(hanging.wait(), timeout=5)
        await eventually(lambda: hf_server.feed_requests, timeout=10)
        await eventually(lambda: app.store.last_poll(), timeout=10)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(running, timeout=10)
    finally:
        running.cancel()
        await app.aclose()
