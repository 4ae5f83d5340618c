"""User and paper text in console panel titles prints literally, never as rich markup."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePublisher
from adapters.console.render import render_reply
from bot.domain import Alert, Reply
from tests.helpers import make_paper, tracker_for


def _console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system=None)


def _out(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _printed(renderable: RenderableType) -> str:
    console = _console()
    console.print(renderable)
    return _out(console)


async def test_alert_for_a_query_with_markup_characters_is_printed_literally() -> None:
    console = _console()
    paper = make_paper("2411.00001", "2026-11-25", title="Mamba [bold]speed[/bold]")
    alert = Alert(CONSOLE_CHANNEL, paper, ("mamba [/bold]", "[red]ssm"))
    tracker = tracker_for(CONSOLE_CHANNEL, "alert", paper.id)
    assert await ConsolePublisher(console).publish(alert, tracker) == "1"
    out = _out(console)
    assert "matched: mamba [/bold], [red]ssm" in out
    assert "Mamba [bold]speed[/bold]" in out


def test_reply_title_with_markup_characters_is_printed_literally() -> None:
    out = _printed(render_reply(Reply(text="1 result", title="Results for `[red]x[/red]`")))
    assert "Results for `[red]x[/red]`" in out


def test_reply_without_a_title_has_none() -> None:
    out = _printed(render_reply(Reply(text="plain")))
    assert "plain" in out and "None" not in out
