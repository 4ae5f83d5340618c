"""`subscribe like <id> …` and `alerts test like <id> …`: similarity alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.table import CommandError
from bot.domain import Invocation, Reply

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

_UNBUILT = "similarity alerts are being built"


def subscribe_like(handlers: Handlers, text: str, inv: Invocation) -> Reply:
    """Add a similarity alert on the papers `text` names."""
    raise CommandError(_UNBUILT)


def alerts_test_like(handlers: Handlers, text: str, inv: Invocation) -> Reply:
    """Dry-run a similarity alert over the last stored days."""
    raise CommandError(_UNBUILT)
