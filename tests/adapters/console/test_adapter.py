"""The console adapter reads commands from stdin and prints replies and posts: on a terminal as
panels whose wrapped lines keep their indent, into a pipe or a file as lines never wrapped.
What the commands answer is tested on Reply objects (tests/bot/commands/test_handlers.py)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from dataclasses import replace
from datetime import date

import pytest
from rich.console import Console

from adapters.console.adapter import (
    CONSOLE_CHANNEL,
    ConsolePlatform,
    ConsolePublisher,
    read_commands,
)
from adapters.text import clip
from bot.commands.handlers import Handlers
from bot.domain import Alert, Digest, Invocation, Layout, Reply, Schedule, SearchHit
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import at, make_paper, tracker_for

DAY = "2026-11-25"
LONG = " ".join(f"word{i}" for i in range(60))  # about 420 characters


def terminal(width: int = 200) -> Console:
    """A console that takes its StringIO for a terminal."""
    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)


def out(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


@pytest.fixture
def console() -> Console:
    return terminal()


@pytest.fixture
def seeded(store: Store) -> Store:
    store.upsert_papers(
        [
            make_paper("2411.00001", DAY, 40, 3, title="Video diffusion at scale"),
            make_paper("2411.00002", DAY, 25, 1, title="Agents that plan"),
        ],
        at("2026-11-25 10:00"),
    )
    return store


async def _type(handlers: Handlers, console: Console, *lines: str) -> str:
    publisher = ConsolePublisher(console)
    await read_commands(handlers.handle, publisher, io.StringIO("\n".join(lines) + "\n"))
    return " ".join(out(console).replace("│", " ").split())


async def test_each_typed_line_is_answered_in_turn_and_blank_lines_are_skipped(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    text = await _type(handlers, console, "/papers today 1", "", "   ", "frobnicate", "status")
    assert text.index("Top 1 of Daily Papers") < text.index("Unknown command")
    assert text.index("Unknown command") < text.index("paperboy status")
    assert text.count("╭") == 3 and "Traceback" not in text


async def test_typed_commands_run_as_the_operator_in_the_console_channel(
    console: Console,
) -> None:
    seen: list[Invocation] = []

    async def run(text: str, inv: Invocation) -> Reply:
        seen.append(inv)
        return Reply(text=text)

    await read_commands(run, ConsolePublisher(console), io.StringIO("status\n"))
    assert seen == [Invocation(CONSOLE_CHANNEL, "console", operator=True)]


def test_a_reply_s_code_and_a_snippet_s_matches_are_styles_not_characters() -> None:
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system="standard")
    paper = make_paper("2411.00001", DAY, title="Video diffusion")
    hit = SearchHit(paper, snippet="…we scale **diffusion** models…")
    ConsolePublisher(console).show(Reply(text="1 paper matches `diffusion`", hits=(hit,)))
    printed = out(console)
    assert "**" not in printed and "`" not in printed
    assert "\x1b[1mdiffusion" in printed  # bold
    assert "\x1b[1;36mdiffusion" in printed  # code: bold cyan


def test_user_text_that_looks_like_markup_prints_as_it_is(console: Console) -> None:
    paper = make_paper("2411.00001", DAY, title="Mamba [bold]speed[/bold] **not bold**")
    ConsolePublisher(console).show(
        Reply(text="Results for `[red]x[/red]`", hits=(SearchHit(paper),))
    )
    printed = out(console)
    assert "Mamba [bold]speed[/bold] **not bold**" in printed and "[red]x[/red]" in printed


def test_wrapped_lines_keep_their_indent_on_a_terminal() -> None:
    console = terminal(width=60)
    paper = make_paper("2411.00001", DAY, title="A title long enough to wrap " * 3, summary=LONG)
    ConsolePublisher(console).show(
        Reply(text="  an indented line " + LONG, hits=(SearchHit(paper),))
    )
    lines = [line[2:].rstrip() for line in out(console).splitlines()[1:-1]]  # inside "│ "
    at = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    reply, card = lines[:at], lines[at + 1 :]
    assert len(reply) > 4 and all(line.startswith("  ") for line in reply)
    assert len(card) > 6 and all(line.startswith("   ") for line in card)  # past "1. "


@pytest.mark.parametrize("kind", ["file", "pipe"])
def test_output_that_is_not_a_terminal_is_never_wrapped_or_cut(kind: str) -> None:
    paper = make_paper("2411.00001", DAY, 40, 3, title="Video diffusion " * 8, summary=LONG)
    reply = Reply(text="A reply line " + LONG, title="Search results", hits=(SearchHit(paper),))
    if kind == "file":
        file = io.StringIO()
        ConsolePublisher(Console(file=file)).show(reply)
        printed = file.getvalue()
    else:
        read, write = os.pipe()
        with os.fdopen(read, encoding="utf-8") as reader:
            with os.fdopen(write, "w", encoding="utf-8") as writer:
                publisher = ConsolePublisher(Console(file=writer))
                assert not publisher.console.is_terminal and publisher.console.width == 80
                publisher.show(reply)
            printed = reader.read()
    lines = printed.splitlines()
    assert "── Search results" in lines[0] and "╭" not in printed
    assert any(line.startswith("A reply line word0") and line.endswith("word59") for line in lines)
    assert any(line.startswith("1. Video diffusion") and "▲ 40" in line for line in lines)
    # The summary (clipped to 300 characters) is one line, under the title.
    summary = next(line for line in lines if "word0" in line and "reply" not in line)
    assert summary.startswith("   word0") and len(summary) > 250


async def test_digest_and_alert_posts_print_with_their_titles(console: Console) -> None:
    publisher = ConsolePublisher(console)
    paper = make_paper("2411.00001", DAY, 40, 3, title="Video diffusion", summary="word " * 200)
    digest = Digest(CONSOLE_CHANNEL, (date(2026, 11, 25),), (paper,), layout=Layout.FULL)
    assert await publisher.publish(digest, tracker_for(CONSOLE_CHANNEL)) == "1"
    catch_up = replace(digest, days=(date(2026, 11, 23), date(2026, 11, 25)))
    await publisher.publish(catch_up, tracker_for(CONSOLE_CHANNEL, ref="2026-11-25b"))
    alert = Alert(CONSOLE_CHANNEL, paper, ("video", "diffusion"))
    tracker = tracker_for(CONSOLE_CHANNEL, "alert", paper.id)
    assert await publisher.publish(alert, tracker) == "3"
    assert tracker.events == [("claim", 1), ("sent", 1)]
    printed = " ".join(out(console).replace("│", " ").split())
    assert "Daily Papers · Wed 25 Nov 2026" in printed
    assert "23 Nov – 25 Nov 2026 (catch-up)" in printed
    assert "matched: video, diffusion" in printed
    assert "▲ 40 💬 3" in printed


async def test_search_hits_show_their_day_and_a_paper_its_title_once(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    printed = await _type(handlers, console, "search video", "paper 2411.00002")
    assert printed.count("Video diffusion at scale ▲ 40 💬 3 Wed 25 Nov 2026") == 1
    assert printed.count("Agents that plan") == 1


class Terminal(io.StringIO):
    """Stdin on a terminal (someone can type), already at its end."""

    def isatty(self) -> bool:
        return True


async def test_on_start_it_says_what_can_be_typed_and_when_the_next_digest_is(
    handlers: Handlers, core: Paperboy
) -> None:
    core.save_schedule(Schedule(CONSOLE_CHANNEL, "digest", enabled=True, time="09:00"))
    console = terminal()
    platform = ConsolePlatform(handlers.handle, console, Terminal(""))
    await platform.start()
    await platform.stop()
    [line] = out(console).splitlines()
    assert line == (
        "Type /papers help for the commands (e.g. /papers search diffusion); "
        "next digest Thu 26 Nov 09:00 UTC."
    )


async def test_on_start_with_the_digest_off_it_says_how_to_turn_it_on(handlers: Handlers) -> None:
    console = terminal()
    platform = ConsolePlatform(handlers.handle, console, Terminal(""))
    await platform.start()
    await platform.stop()
    assert "the daily digest is off (/papers digest on turns it on)." in out(console)


async def test_with_no_one_to_type_the_greeting_goes_to_the_log_not_the_screen(
    handlers: Handlers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    console = terminal()
    closed = io.StringIO("")
    closed.close()
    for stdin in (io.StringIO(""), closed):  # a pipe (Docker's /dev/null), a closed stdin
        platform = ConsolePlatform(handlers.handle, console, stdin)
        await platform.start()
        await platform.stop()
    assert out(console) == ""
    greetings = [r for r in caplog.records if r.getMessage().startswith("console: Type /papers")]
    assert len(greetings) == 2 and all(r.levelno == logging.INFO for r in greetings)


async def test_the_greeting_asks_the_handlers_not_the_timed_command_desk(
    handlers: Handlers,
) -> None:
    typed: list[str] = []

    async def desk(text: str, inv: Invocation) -> Reply:  # times every command it runs
        typed.append(text)
        return await handlers.handle(text, inv)

    console = terminal()
    platform = ConsolePlatform(desk, console, Terminal(""), greet=handlers.handle)
    await platform.start()
    await platform.stop()
    assert "the daily digest is off" in out(console)
    assert typed == []  # no command was run, so none was timed


def test_clip_cuts_at_a_word_boundary() -> None:
    assert clip("alpha beta gamma", 12) == "alpha beta…"
    assert clip("short", 12) == "short"


async def test_a_closed_stdin_ends_the_commands_quietly(
    handlers: Handlers, console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    closed = io.StringIO("")
    closed.close()
    await asyncio.wait_for(read_commands(handlers.handle, ConsolePublisher(console), closed), 5)
    assert "stdin closed" in caplog.text
