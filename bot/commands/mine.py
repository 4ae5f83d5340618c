"""`mine …`: a person's own alerts, delivered by direct message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.table import CommandError
from bot.domain import Invocation, Reply

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

_UNBUILT = "personal alerts are being built"


def mine(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """List the caller's own alerts."""
    raise CommandError(_UNBUILT)


def mine_subscribe(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Add a personal alert on a query."""
    raise CommandError(_UNBUILT)


def mine_follow(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Follow channel subscriptions by direct message (Notify me too)."""
    raise CommandError(_UNBUILT)


def mine_mute(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Mute one of the caller's alerts."""
    raise CommandError(_UNBUILT)


def mine_unmute(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Unmute one of the caller's alerts."""
    raise CommandError(_UNBUILT)


def mine_remove(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Delete one of the caller's alerts."""
    raise CommandError(_UNBUILT)
