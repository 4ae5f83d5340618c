"""Tokens never reach the log, whatever the level."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from bot import logs


def test_tokens_are_redacted_from_messages_and_arguments() -> None:
    out = io.StringIO()
    logs.setup("DEBUG", Console(file=out, width=300))
    logging.getLogger("paperboy.test").debug(
        "oauth answered %s", {"access_token": "xoxb-123-456-abcDEF", "app": "xapp-1-A1-xyz"})
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
