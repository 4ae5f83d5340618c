"""Logs: tokens never reach them, whatever the level or format; lines in a file are never
wrapped; JSON lines carry a delivery's channel and outcome; libraries stay at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from rich.console import Console
from rich.logging import RichHandler

from adapters.slack.adapter import SlackAdapter
from bot.app import logs
from bot.app.config import Settings
from bot.delivery.deliverer import Deliverer
from bot.domain import Alert, ChannelRef, PostKey
from bot.service import Paperboy
from storage.store import Store
from tests.bot.app.cli_run import cli_env, paperboy, serving
from tests.fakes import slack_fixture
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

slack_fake = slack_fixture.slack_fake
LONG = "posted digest 2026-11-25 to slack:T1:C1 " + "after a long wait " * 10
CHANNEL = ChannelRef("console", "local", "terminal")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """logs.setup replaces the root logger's handlers and sets levels: put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = (*logs.CHATTY, *logs.QUIET)
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, was in levels.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture(autouse=True)
def forget_secrets() -> Iterator[None]:
    """logs.add_secrets fills a registry for the process: empty it after each test."""
    yield
    logs.forget_secrets()


def _json_lines(text: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in text.splitlines()]


def test_tokens_are_redacted_from_messages_and_arguments() -> None:
    out = io.StringIO()
    logs.setup("DEBUG", Console(file=out, width=300))
    logging.getLogger("paperboy.test").debug(
        "oauth answered %s", {"access_token": "xoxb-123-456-abcDEF", "app": "xapp-1-A1-xyz"}
    )
    logging.getLogger("paperboy.test").info("header Authorization: Bearer hf_abcdefghijklmnop")
    text = out.getvalue()
    assert "xoxb-123" not in text and "xapp-1" not in text and "hf_abcdefghij" not in text
    assert text.count(logs.REDACTED) == 3


def test_a_library_logger_set_to_debug_is_still_held_at_info() -> None:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.logger import get_bolt_app_logger

    out = io.StringIO()
    logs.setup("DEBUG", Console(file=out, width=300))
    # What bolt does for an app given no logger: a logger named after the file, at root's level.
    bolt = get_bolt_app_logger("adapter.py", AsyncApp)
    bolt.debug("envelope {'token': 'verification', 'response_url': 'https://hooks'}")
    bolt.info("A new session has been established")
    logging.getLogger("adapters.slack.adapter").debug("paperboy's own debug line")
    text = out.getvalue()
    assert "response_url" not in text
    assert "A new session" in text and "paperboy's own debug line" in text


def test_library_debug_output_is_held_back() -> None:
    logs.setup("DEBUG", Console(file=io.StringIO()))
    assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("discord").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG


def test_discord_bot_token_shape_is_redacted() -> None:
    token = "MTA" + "x" * 21 + ".Gabcde." + "y" * 30
    assert logs.redact(f"login with {token} ok") == f"login with {logs.REDACTED} ok"


def test_prose_around_bot_and_bearer_is_left_alone() -> None:
    line = "Bot removed from channel; Bearer token leakage is a known risk"
    assert logs.redact(line) == line


@pytest.mark.parametrize("fmt", logs.FORMATS)
def test_rotation_tokens_and_tracebacks_are_redacted(fmt: str) -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=300), fmt)
    try:
        raise RuntimeError("refresh with xoxe.xoxp-1-abcdef failed")
    except RuntimeError:
        logging.getLogger("paperboy.test").exception("oauth refresh")
    assert "xoxe.xoxp-1" not in out.getvalue() and logs.REDACTED in out.getvalue()
    assert "RuntimeError" in out.getvalue()  # the traceback is there, redacted


def test_tracebacks_on_a_terminal_are_redacted() -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=300, force_terminal=True, color_system=None))
    try:
        raise RuntimeError("refresh with xoxe.xoxp-1-abcdef failed")
    except RuntimeError:
        logging.getLogger("paperboy.test").exception("oauth refresh")
    assert "xoxe.xoxp-1" not in out.getvalue() and logs.REDACTED in out.getvalue()


def test_a_malformed_library_log_call_does_not_raise_in_the_filter() -> None:
    record = logging.LogRecord("some.library", logging.WARNING, __file__, 1, "%d of %d", (1,), None)
    assert logs.RedactTokens().filter(record) is True


def test_socket_mode_tickets_are_redacted() -> None:
    line = "Cannot connect to wss://wss-primary.slack.com/link/?ticket=abc-123&app_id=A1"
    assert logs.redact(line) == (
        f"Cannot connect to wss://wss-primary.slack.com/link/?ticket={logs.REDACTED}&app_id=A1"
    )


def test_lines_in_a_file_or_pipe_are_never_wrapped() -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=80))
    logging.getLogger("bot.delivery.deliverer").info(LONG)
    [line] = out.getvalue().splitlines()
    assert line.endswith(f"INFO bot.delivery.deliverer: {LONG}")
    assert line[:4].isdigit() and "Z INFO" in line  # a UTC timestamp first


def test_a_terminal_gets_rich_lines() -> None:
    logs.setup("INFO", Console(file=io.StringIO(), force_terminal=True))
    assert [type(h) for h in logging.getLogger().handlers] == [RichHandler]


def test_json_lines_are_one_object_each_with_the_delivery_fields() -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=80), "json")
    log = logging.getLogger("bot.delivery.deliverer")
    log.info("%s line\nwith a break", LONG, extra={"channel": "slack:T1:C1", "outcome": "sent"})
    log.warning("no fields")
    first, second = _json_lines(out.getvalue())
    assert first["message"] == f"{LONG} line\nwith a break"
    assert (first["level"], first["logger"]) == ("INFO", "bot.delivery.deliverer")
    assert (first["channel"], first["outcome"]) == ("slack:T1:C1", "sent")
    assert first["ts"].endswith("Z") and first["ts"][:4].isdigit()
    assert set(second) == {"ts", "level", "logger", "message"}


async def test_delivery_lines_carry_the_channel_key_and_outcome(
    tmp_path: Path, clock: Clock
) -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out), "json")
    store = Store(tmp_path / "p.db")
    publisher = ScriptedPublisher("console")
    deliverer = Deliverer(store, {"console": publisher}, clock)
    alert = Alert(CHANNEL, make_paper("2611.00001", "2026-11-25"), ("diffusion",))
    await deliverer.deliver(PostKey(CHANNEL, "alert", "2611.00001"), alert)
    store.pause_channel(CHANNEL, "test", clock())
    await deliverer.deliver(PostKey(CHANNEL, "alert", "2611.00002"), alert)
    store.close()
    lines = [line for line in _json_lines(out.getvalue()) if "channel" in line]
    assert [(line["channel"], line["outcome"]) for line in lines] == [
        (CHANNEL.key, "sent"),
        (CHANNEL.key, "held"),
    ]
    assert all(CHANNEL.key in line["message"] for line in lines)


async def test_socket_mode_envelopes_stay_out_of_debug_logs(
    store: Store,
    slack_fake: SlackFake,
    socket_mode_slack: Callable[[Paperboy], SlackAdapter],
    clock: Clock,
) -> None:
    out = io.StringIO()
    logs.setup("DEBUG", Console(file=out, width=300))
    adapter = socket_mode_slack(Paperboy(store, StaticFeed(), {}, clock=clock))
    try:
        await adapter.start()
        await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "help")
    finally:
        await adapter.stop()
    logging.getLogger("bot.test").debug("paperboy's own debug line")
    text = out.getvalue()
    assert "Slack: connected in Socket Mode" in text and "paperboy's own debug line" in text
    assert slack_fake.verification_token not in text
    assert "response_url" not in text


# A proxy's token, a signing secret: configured secrets need not look like tokens.
PROXY_TOKEN = "proxy-Secret0Token1Value2"


@pytest.mark.parametrize("fmt", logs.FORMATS)
def test_configured_secrets_are_redacted_whatever_their_shape(fmt: str) -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=300), fmt)
    assert logs.redact(f"feed said {PROXY_TOKEN}") == f"feed said {PROXY_TOKEN}"  # no shape
    logs.add_secrets([PROXY_TOKEN, "seven77", "", None])
    logging.getLogger("bot.test").warning("feed said: token %s refused (seven77)", PROXY_TOKEN)
    try:
        raise RuntimeError(f"refused {PROXY_TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("poll failed")
    text = out.getvalue()
    assert PROXY_TOKEN not in text and "Secret0Token1" not in text
    assert text.count(logs.REDACTED) == 2
    assert "seven77" in text  # shorter than MIN_SECRET: ordinary words are left alone
    assert logs.redact(f"feed said {PROXY_TOKEN}") == f"feed said {logs.REDACTED}"


def test_the_settings_secrets_are_all_registered() -> None:
    settings = Settings.model_validate(
        {
            "HF_TOKEN": PROXY_TOKEN,
            "SLACK_BOT_TOKEN": "xoxb-1-2-three",
            "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "c0ffee-client-secret",
            "DISCORD_TOKEN": "discord-secret-value",
        }
    )
    assert logs.redacting_secrets(settings) is settings
    line = logs.redact(
        f"{PROXY_TOKEN} 8f14e45fceea167a5a36dedd4bea2543 c0ffee-client-secret "
        f"discord-secret-value client 1111.2222 {settings.hf_url}"
    )
    # Ids and URLs are no secrets.
    assert line == " ".join([logs.REDACTED] * 4) + f" client 1111.2222 {settings.hf_url}"


@pytest.fixture
async def echoing_feed() -> AsyncIterator[str]:
    """A feed (a proxy in front of it) refusing every request, quoting the token it got."""

    async def refuse(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return web.json_response({"error": f"token {token} is not valid here"}, status=401)

    app = web.Application()
    app.router.add_get("/api/daily_papers", refuse)
    async with serving(app) as url:
        yield url


@pytest.mark.parametrize("fmt", logs.FORMATS)
async def test_a_configured_secret_the_feed_echoes_is_redacted_on_stderr(
    tmp_path: Path, hf_server: HFServer, echoing_feed: str, fmt: str
) -> None:
    env = cli_env(tmp_path, hf_server) | {
        "PAPERBOY_HF_URL": echoing_feed,
        "HF_TOKEN": PROXY_TOKEN,
        "PAPERBOY_LOG_FORMAT": fmt,
    }
    result = await paperboy(["fetch", "--date", "2026-11-25"], env, tmp_path)
    assert result.code == 1, result.err
    assert PROXY_TOKEN not in result.err + result.out
    lines = result.err.splitlines()
    if fmt == "json":
        said = {line["logger"]: line["message"] for line in _json_lines(result.err)}
    else:
        said = {
            "bot.service": next(line for line in lines if " ERROR bot.service: " in line),
            "paperboy": next(line for line in lines if line.startswith("paperboy: ")),
        }
    # The core's log line and the CLI's own line, both quoting the feed.
    for logger in ("bot.service", "paperboy"):
        assert 'token [redacted] is not valid here"}' in said[logger], result.err
