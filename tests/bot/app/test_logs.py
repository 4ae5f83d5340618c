"""Tokens never reach the log, whatever the level."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from bot.app import logs


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


def test_rotation_tokens_and_tracebacks_are_redacted() -> None:
    out = io.StringIO()
    logs.setup("INFO", Console(file=out, width=300))
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
