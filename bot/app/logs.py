"""Logging set-up: rich lines on a terminal, plain or JSON lines (one per record, never wrapped)
elsewhere, libraries held at INFO, and tokens and the configured secrets redacted from every
line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

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
# A configured secret shorter than this is not looked for: it would redact ordinary words.
MIN_SECRET = 8
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")  # what PAPERBOY_LOG_LEVEL may be
FORMATS = ("text", "json")  # what PAPERBOY_LOG_FORMAT may be
# paperboy's own loggers: only they log below INFO, whatever a library does to its loggers.
OWN = ("bot", "adapters", "storage", "paperboy")
# Libraries whose DEBUG output includes request and response bodies (and so tokens).
CHATTY = ("slack_sdk", "slack_bolt", "discord", "aiohttp", "websockets")
QUIET = ("httpx", "httpcore", "apscheduler")
# The `extra` fields a JSON line carries when a log call gives them (deliveries do).
FIELDS = ("channel", "outcome")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


T = TypeVar("T")

# The exact values of the configured secrets (a signing secret or a proxy's token need not
# look like a token), longest first, and the pattern that finds them: None while none is known.
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None


def add_secrets(values: Iterable[str | None]) -> None:
    """Redact these exact values from every line from now on, as well as the token shapes;
    None, empty values and values shorter than MIN_SECRET are ignored."""
    global _secret_pattern
    _secrets.update(v for v in values if v is not None and len(v.strip()) >= MIN_SECRET)
    if _secrets:
        ordered = sorted(_secrets, key=len, reverse=True)  # a secret inside another: the longer
        _secret_pattern = re.compile("|".join(re.escape(secret) for secret in ordered))


def redacting_secrets(settings: T) -> T:
    """`settings`, once the values of its secret attributes (pydantic's SecretStr, anything
    with `get_secret_value`) are given to add_secrets."""
    reveals = (getattr(value, "get_secret_value", None) for value in vars(settings).values())
    add_secrets(reveal() for reveal in reveals if callable(reveal))
    return settings


def forget_secrets() -> None:
    """Stop redacting the values add_secrets was given (tests)."""
    global _secret_pattern
    _secrets.clear()
    _secret_pattern = None


def redact(text: str) -> str:
    """The text with the configured secrets and anything that looks like a token replaced."""
    if _secret_pattern is not None:  # first: a token shape could match part of a secret
        text = _secret_pattern.sub(REDACTED, text)
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


class HoldLibraries(logging.Filter):
    """Drops libraries' records below INFO, whatever levels their loggers have. slack_bolt
    copies the root level onto each logger it makes (`_configure_from_root` in
    https://github.com/slackapi/bolt-python/blob/main/slack_bolt/logger/__init__.py), and
    names an app's logger after a file, outside `slack_bolt`: at DEBUG it would log every
    Socket Mode envelope, verification token and response_url included."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep INFO and above, and paperboy's own records at any level."""
        if record.levelno >= logging.INFO:
            return True
        name = record.name
        return any(name == own or name.startswith(own + ".") for own in OWN)


def timestamp(record: logging.LogRecord) -> str:
    """When the record was made, in UTC to the millisecond: `2026-11-25T09:00:00.123Z`."""
    made = datetime.fromtimestamp(record.created, UTC)
    return made.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PlainFormatter(logging.Formatter):
    """`2026-11-25T09:00:00.123Z INFO bot.delivery.deliverer: posted …`, redacted."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The record's time in UTC."""
        return timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        """The record's line (and traceback), tokens redacted."""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, the delivery fields given as
    `extra`, and the traceback as `exc`; every string redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "ts": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(
            {k: redact(v) if isinstance(v, str) else v for k, v in line.items()},
            ensure_ascii=False,
        )


def handler_for(console: Console, fmt: str) -> logging.Handler:
    """JSON lines, rich lines on a terminal, else plain lines (rich would wrap them at the
    console's width in a file or a pipe)."""
    if fmt == "json":
        handler: logging.Handler = logging.StreamHandler(console.file)
        handler.setFormatter(JsonFormatter())
    elif console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s", datefmt="[%X]"))
    else:
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(PlainFormatter())
    handler.addFilter(HoldLibraries())
    handler.addFilter(RedactTokens())
    return handler


def setup(level: str, console: Console, fmt: str = "text") -> None:
    """Log at `level` to `console` in format `fmt` (see FORMATS); libraries log INFO (or
    WARNING) and above whatever the level."""
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler_for(console, fmt))
    root.setLevel(level)
    wanted = logging.getLevelName(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, wanted))
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, wanted))
