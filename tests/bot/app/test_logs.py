"""Logs: tokens never reach them, whatever the level or format; lines in a file are never
wrapped; JSON lines carry a delivery's channel and outcome; libraries stay at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.logging import RichHandler

from adapters.slack.adapter import SlackAdapter
from bot.app import logs
from bot.delivery.deliverer import Deliverer
from bot.domain import Alert, ChannelRef, PostKey
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import slack_fixture
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
