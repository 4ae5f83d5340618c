"""Which Slack mode a set of credentials selects, and the configurations refused up front."""

from __future__ import annotations

import pytest

from adapters.slack.adapter import SlackConfig, SlackMode

BOT, APP, SECRET, CID, CSECRET = "xoxb-1", "xapp-1", "secret", "1.2", "client-secret"


def _config(*creds: str, db_path: str = "paperboy.db") -> SlackConfig:
    def given(value: str) -> str | None:
        return value if value in creds else None

    return SlackConfig(
        api_url="http://127.0.0.1:1/api/",
        db_path=db_path,
        bot_token=given(BOT),
        app_token=given(APP),
        signing_secret=given(SECRET),
        client_id=given(CID),
        client_secret=given(CSECRET),
    )


@pytest.mark.parametrize(
    "creds, mode",
    [
        ((), None),
        ((BOT,), SlackMode.POST_ONLY),
        ((BOT, APP), SlackMode.SOCKET),
        ((BOT, APP, SECRET), SlackMode.SOCKET),  # the manifest's default app, secret copied too
        ((BOT, SECRET), SlackMode.HTTP),
        ((SECRET, CID, CSECRET), SlackMode.HTTP_OAUTH),
        ((BOT, SECRET, CID, CSECRET), SlackMode.HTTP_OAUTH),
        ((BOT, APP, SECRET, CID, CSECRET), SlackMode.HTTP_OAUTH),
    ],
)
def test_mode_precedence(creds: tuple[str, ...], mode: SlackMode | None) -> None:
    assert _config(*creds).mode is mode


def test_multi_workspace_installs_refuse_an_in_memory_database() -> None:
    problem = _config(SECRET, CID, CSECRET, db_path=":memory:").problem()
    assert problem is not None and ":memory:" in problem and "\n" not in problem
    assert _config(SECRET, CID, CSECRET).problem() is None


def test_single_workspace_modes_accept_an_in_memory_database() -> None:
    assert _config(BOT, APP, SECRET, db_path=":memory:").problem() is None
    assert _config(BOT, SECRET, db_path=":memory:").problem() is None
