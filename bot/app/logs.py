"""Logging set-up: rich output on stderr, quiet libraries, and tokens redacted from every line."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

# Slack tokens (xoxb-, xoxp-, xapp-, rotation xoxe.…), Hugging Face tokens, credentials after
# `Bearer `/`Bot ` (at least 20 characters, so prose like "Bot removed" survives), and the
# dotted shape of a Discord bot token, and Slack's one-time Socket Mode ticket.
TOKEN_PATTERN = re.compile(
    r"(xox[abposre][.-][\w.-]+|xapp-[\w-]+|hf_[A-Za-z0-9]{10,}"
    r"|(?<=Bearer )[\w.~+/=-]{20,}|(?<=Bot )[\w.~+/=-]{20,}"
    r"|[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"
    r"|(?<=ticket=)[^&\s'\"]+)"
)
REDACTED = "[redacted]"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")  # what PAPERBOY_LOG_LEVEL may be
# Libraries whose DEBUG output includes request and response bodies (and so tokens).
CHATTY = ("slack_sdk", "slack_bolt", "discord", "aiohttp", "websockets")
QUIET = ("httpx", "httpcore", "apscheduler")


def redact(text: str) -> str:
    """The text with anything that looks like a token replaced."""
    return TOKEN_PATTERN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites each record's message and traceback with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record, never raises."""
        try:
            message = record.getMessage()
        except Exception:  # a library's malformed log call: let logging report it as usual
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup(level: str, console: Console) -> None:
    """Log at `level` to `console`, with libraries held at INFO (or WARNING) and above."""
    from rich.logging import RichHandler

    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    handler.addFilter(RedactTokens())
    logging.basicConfig(
        level=level, format="%(message)s", datefmt="[%X]", handlers=[handler], force=True
    )
    wanted = logging.getLevelName(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, wanted))
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, wanted))
