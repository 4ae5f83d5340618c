""" "Papers like these" on the console end to end: typed on stdin, the real core on a real
database, the alert printed by the console's publisher, saying why it matched."""

from __future__ import annotations

import io
import re

from rich.console import Console

from adapters.console.adapter import ConsolePublisher, read_commands
from bot.commands.handlers import Handlers
from bot.service import Paperboy
from storage.store import Store
from tests.data import similar_papers as sp
from tests.helpers import StaticFeed, at


async def test_a_typed_similarity_alert_prints_the_paper_like_its_seed_with_why(
    store: Store,
) -> None:
    screen = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
    publisher = ConsolePublisher(screen)
    core = Paperboy(
        store,
        StaticFeed({sp.NEW_DAY: sp.new_day()}),
        {publisher.platform: publisher},
        clock=lambda: at("2026-11-25 15:00"),
    )
    store.upsert_papers(sp.archive(), at("2026-11-23 10:00"))
    handle = Handlers(core).handle
    await read_commands(handle, publisher, io.StringIO(f"/papers subscribe like {sp.SEED}\n"))
    await core.poll([sp.NEW_DAY])
    await read_commands(handle, publisher, io.StringIO(f"/papers alerts test like {sp.SEED}\n"))
    file = screen.file
    assert isinstance(file, io.StringIO)
    text = " ".join(file.getvalue().replace("│", " ").split())
    made, posted, dry_run = (
        text.index("Alert #1 added"),
        text.index("New paper"),
        text.index("Alert dry run"),
    )
    assert made < posted < dry_run
    alert = text[posted:dry_run]
    assert sp.LIKE in alert and sp.UNLIKE not in alert
    assert re.search(rf"matched: like {sp.SEED} \(similar to {sp.SEED}, score 0\.\d\d\)", alert)
    assert sp.LIKE in text[dry_run:] and "would have alerted on 1 paper" in text[dry_run:]
