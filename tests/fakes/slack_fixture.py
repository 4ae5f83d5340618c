"""The `slack_fake` pytest fixture: a running SlackFake with one workspace ready to use.

Team "T1" (bot token "xoxb-t1", bot user "UBOTT1", bot id "BT1", DEFAULT_BOT_SCOPES, which
include channels:history and groups:history), public channels "C1" and "C2", users "UADMIN"
(admin) and "UMEMBER" (member), app token "xapp-test", OAuth client id/secret set. Use it from
a test module with `from tests.fakes import slack_fixture` then
`slack_fake = slack_fixture.slack_fake` (an imported name that test arguments shadow is F811).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import SlackFake

TEAM = "T1"
BOT_TOKEN = "xoxb-t1"
APP_TOKEN = "xapp-test"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"


def configure(slack: SlackFake) -> SlackFake:
    """Give a fake the standard workspace (see the module docstring)."""
    slack.app_token = APP_TOKEN
    slack.client_id = CLIENT_ID
    slack.client_secret = CLIENT_SECRET
    slack.add_team(
        TEAM,
        bot_token=BOT_TOKEN,
        name="Paper Readers",
        domain="paper-readers",
        channels={"C1": "papers", "C2": "random"},
        users={"UADMIN": {"is_admin": True}, "UMEMBER": {"is_admin": False}},
    )
    return slack


@pytest.fixture
async def slack_fake() -> AsyncIterator[SlackFake]:
    """A started SlackFake with the standard workspace; real clock."""
    async with SlackFake() as slack:
        yield configure(slack)
