"""The console adapter: posts to the terminal and reads `/papers` commands from stdin."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TextIO

from rich.console import Console, RenderableType
from rich.text import Text

from adapters.console.render import render_digest, render_post, render_reply
from bot.domain import (
    CONSOLE_CHANNEL_KEY,
    ChannelRef,
    Digest,
    DigestEdit,
    Invocation,
    Post,
    PostKey,
    Reply,
)
from bot.ports import Health, ResolveUnsupported, Tracker

log = logging.getLogger(__name__)

PLATFORM = "console"
CONSOLE_CHANNEL = ChannelRef.parse(CONSOLE_CHANNEL_KEY)

CommandRunner = Callable[[str, Invocation], Awaitable[Reply]]


class ConsolePublisher:
    """Prints digests, alerts, edits and climbers with rich; message ids count up from 1 (an
    edit keeps the id of the digest it updates)."""

    platform = PLATFORM

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self._ids = itertools.count(1)

    def print(self, renderable: RenderableType) -> None:
        """Print; into a pipe or a file, lines are never wrapped or cut at a width."""
        self.console.print(renderable, soft_wrap=not self.console.is_terminal)

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Print a post (one part); a terminal cannot change what it printed, so an edit
        prints the digest's new version."""
        if tracker.parts_sent >= 1 and tracker.first_id is not None:
            return tracker.first_id
        await tracker.claim(1)
        self.print(render_post(post))
        message_id = post.message_id if isinstance(post, DigestEdit) else str(next(self._ids))
        await tracker.sent(1, message_id)
        return message_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """A terminal keeps no history to ask: a print cut short by a crash is printed again."""
        raise ResolveUnsupported("the console keeps no history")

    async def print_digest(self, digest: Digest) -> None:
        """Print a digest outside the ledger (`paperboy digest`)."""
        self.print(render_digest(digest))

    def show(self, reply: Reply) -> None:
        """Print a command's reply."""
        self.print(render_reply(reply))


def _pump_lines(stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str]) -> None:
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (ValueError, OSError):  # stdin closed (or gone) before or while it was read
        pass
    loop.call_soon_threadsafe(queue.put_nowait, "")


async def read_commands(
    run: CommandRunner,
    publisher: ConsolePublisher,
    stdin: TextIO | None = None,
    user: str = "console",
) -> None:
    """Handle lines typed on stdin as commands in the console channel, until stdin closes."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    # A daemon thread, so a blocked read never holds up shutdown.
    threading.Thread(
        target=_pump_lines,
        args=(stdin or sys.stdin, asyncio.get_running_loop(), queue),
        name="paperboy-stdin",
        daemon=True,
    ).start()
    while True:
        line = await queue.get()
        if not line:
            log.info("stdin closed; paperboy keeps running and only prints")
            return
        text = line.strip()
        if not text:
            continue
        reply = await run(text, Invocation(channel=CONSOLE_CHANNEL, user=user, operator=True))
        publisher.show(reply)


def _interactive(stream: TextIO | None) -> bool:
    """Whether someone may type on `stream`: a terminal (not a closed stdin, a pipe, Docker's
    /dev/null)."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed, or no file behind it
        return False


class ConsolePlatform:
    """The console as a platform: prints posts, and reads commands from stdin while it runs.

    `run` runs what is typed (the wiring times each command it runs); `greet`, if given, is
    what the greeting asks its `digest show` of: the handlers themselves, since no one typed
    it and no command should be counted for it."""

    name = PLATFORM

    def __init__(
        self,
        run: CommandRunner,
        console: Console | None = None,
        stdin: TextIO | None = None,
        *,
        greet: CommandRunner | None = None,
    ) -> None:
        self.publisher = ConsolePublisher(console)
        self._run = run
        self._greet = greet or run
        self._stdin = stdin
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Say what can be typed and when the next digest is (on a terminal; in the log when
        no one can type, as under Docker); read commands from stdin in the background."""
        try:
            line = await self.greeting()
        except Exception:  # the greeting is a courtesy: commands are read all the same
            log.exception("console: could not say when the next digest is")
        else:
            if _interactive(self._stdin if self._stdin is not None else sys.stdin):
                self.publisher.print(line)
            else:
                log.info("console: %s", line.plain)
        self._reader = asyncio.create_task(read_commands(self._run, self.publisher, self._stdin))

    async def greeting(self) -> Text:
        """One line: the commands one can type, and when the next digest is."""
        inv = Invocation(CONSOLE_CHANNEL, "console", operator=True)
        show = await self._greet("digest show", inv)
        upcoming = show.extra.get("next_label") if show.ok else None
        if upcoming:
            when = f"next digest {upcoming}"
        else:
            when = "the daily digest is off (/papers digest on turns it on)"
        line = Text("Type ")
        line.append("/papers help", style="bold cyan")
        line.append(" for the commands (e.g. ")
        line.append("/papers search diffusion", style="bold cyan")
        line.append(f"); {when}.")
        return line

    async def health(self) -> Health:
        """The terminal is always there (stdin closing only ends the commands)."""
        return Health(True, "connected")

    async def stop(self) -> None:
        """Stop reading commands."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
