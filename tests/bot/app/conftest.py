"""Fixtures for the app tests: a local HF server serving real payloads; Slack in Socket Mode
on the Slack fake."""

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.commands.handlers import Handlers
from bot.service import Paperboy
from tests.fakes import slack_fixture
from tests.fakes.hf_fixture import hf_server  # noqa: F401
from tests.fakes.slack_api import SlackFake


@pytest.fixture
def socket_mode_slack(slack_fake: SlackFake, tmp_path: Path) -> Callable[[Paperboy], SlackAdapter]:
    """Make a SlackAdapter (not started) in Socket Mode on the fake's workspace, answering
    with a core's handlers. The test module provides `slack_fake`."""

    def make(core: Paperboy) -> SlackAdapter:
        config = SlackConfig(
            api_url=slack_fake.api_url,
            db_path=str(tmp_path / "paperboy.db"),
            bot_token=slack_fixture.BOT_TOKEN,
            app_token=slack_fixture.APP_TOKEN,
        )
        return SlackAdapter(config, Handlers(core).run)

    return make
