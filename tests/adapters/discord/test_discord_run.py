"""`paperboy run` with DISCORD_TOKEN pointed at the local fake: connects, answers, posts, and
answers a click on an alert's button."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bot.app.cli_run import bare_env, paperboy, spawn
from tests.data.make_days import make_day
from tests.fakes import discord_fixture, hf_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_components import buttons
from tests.fakes.discord_fixture import GUILD, MANAGER, PAPERS, TOKEN
from tests.fakes.hf_server import HFServer
from tests.helpers import eventually

hf_server = hf_fixture.hf_server
discord_fake = discord_fixture.discord_fake


async def test_run_connects_to_discord_answers_and_alerts(
    tmp_path: Path, hf_server: HFServer, discord_fake: DiscordFake
) -> None:
    today = datetime.now(UTC).date()
    # Tomorrow too: if UTC midnight passes during the test, the poll asks for it and today.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 3))
    env = bare_env(
        PAPERBOY_DB=str(tmp_path / "run.db"),
        PAPERBOY_HF_URL=hf_server.url,
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_URL=discord_fake.api_base,
        DISCORD_GATEWAY_URL=discord_fake.gateway_url,
        PAPERBOY_LOG_LEVEL="INFO",
    )
    setup = await paperboy(
        ["command", "subscribe variant", "--channel", f"discord:{GUILD}:{PAPERS}"], env, tmp_path
    )
    assert setup.code == 0, setup.err
    proc = await spawn(["run"], env, tmp_path)
    try:
        await discord_fake.wait_ready(1)
        await eventually(lambda: discord_fake.commands, timeout=20)
        alerts = await eventually(
            lambda: len(discord_fake.messages_in(PAPERS)) >= 6 and discord_fake.messages_in(PAPERS),
            timeout=20,
        )
        record = await discord_fake.send_interaction(
            GUILD, PAPERS, MANAGER, "papers", ["status"], {}
        )
        [followup] = await record.wait_followups(1)
        [save, *_] = buttons(alerts[0])
        click = await discord_fake.click(GUILD, MANAGER, alerts[0].id, save["custom_id"])
        [saved] = await click.wait_followups(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    err = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert code == 0, err
    assert all("matched: variant" in m.content for m in alerts)
    assert "Papers stored: 6" in str(followup.content)
    assert saved.ephemeral and "Saved" in str(saved.content)
    assert TOKEN not in err
