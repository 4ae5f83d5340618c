"""Logging set-up: rich output on stderr, quiet libraries, and tokens redacted from every line."""

from __future__ import annotations

import logging
import re

from rich.console import Console
from rich.logging import RichHandler

# Slack tokens (xoxb-, xoxp-, xapp-, …), bearer and Discord bot authorisation headers, and the
# dotted shape of a Discord bot token.
TOKEN_PATTERN = re.compile(
    r"(xox[abposr]-[\w-]+|xapp-[\w-]+|hf_[A-Za-z0-9]{10,}"
    r"|(?<=Bearer )[\w.~+/=-]+|(?<=Bot )[\w.~+/=-]+"
    r"|[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,})"
)
REDACTED = "[redacted]"
# Libraries whose DEBUG output includes request and response bodies (and so tokens).
CHATTY = ("httpx", "httpcore", "apscheduler", "slack_sdk", "slack_bolt", "discord", "aiohttp",
          "websockets")


def redact(text: str) -> str:
    """The text with anything that looks like a token replaced."""
    return TOKEN_PATTERN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites each record's message with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place; never drops a record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup(level: str, console: Console) -> None:
    """Log at `level` to `console`, with libraries held at INFO or above."""
    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    handler.addFilter(RedactTokens())
    logging.basicConfig(level=level, format="%(message)s", datefmt="[%X]", handlers=[handler],
                        force=True)
    floor = max(logging.INFO, logging.getLevelName(level))
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(floor, logging.WARNING if name.startswith(
            ("httpx", "httpcore", "apscheduler")) else logging.INFO))
