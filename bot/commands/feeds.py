"""`feed`, `feed rotate`, `feed off`: a channel's private feed URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.table import CommandError
from bot.domain import Invocation, Reply

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

_UNBUILT = "feeds are being built"


def feed(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Show the channel's feed URLs (creating them on first use)."""
    raise CommandError(_UNBUILT)


def feed_rotate(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Replace the channel's feed token."""
    raise CommandError(_UNBUILT)


def feed_off(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Remove the channel's feed token."""
    raise CommandError(_UNBUILT)
