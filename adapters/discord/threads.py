"""A compact digest's details in a thread started from its first message, a late climber in
that thread, and the answers that mean a thread cannot be started or used, so the message goes
to the channel instead (docs/reference/discord.md §14).

Start Thread from Message gives the thread the message's id, so where the details go is known
as soon as part 1 is out; starting it again answers 160004, which means it is there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord
from discord.http import HTTPClient

from adapters.discord.limits import ARCHIVE_MINUTES
from adapters.discord.payloads import Part
from adapters.discord.send import Attempt
from bot.domain import ChannelRef, Climber

log = logging.getLogger(__name__)

ALREADY_STARTED = 160004  # "A thread has already been created for this message"
MISSING_PERMISSIONS = 50013
NO_THREADS_HERE = 50024  # "Cannot execute action on this channel type"
# Where no thread can be started, so the details follow in the channel: 50013 Missing
# Permissions (no Create Public Threads), 50024 the channel type takes none (a thread, a voice
# channel's chat), 160006 / 160007 the server's most active threads, 10008 part 1 was deleted.
CANNOT_START = frozenset({MISSING_PERMISSIONS, NO_THREADS_HERE, 160006, 160007, 10008})
# Where a message cannot go into the digest's thread, so a climber is a reply in the channel:
# 10003 no thread was started from the digest, 50001 / 50013 the thread is hidden or the bot
# lacks Send Messages in Threads, 50083 / 160005 an archived thread that stays closed, a locked
# thread.
CANNOT_USE = frozenset({10003, 50001, MISSING_PERMISSIONS, 50083, 160005})

Send = Callable[[str, Part, Attempt], Awaitable[str]]  # (channel id, body, attempt) -> id


def refusal(exc: BaseException, codes: frozenset[int]) -> str | None:
    """Why Discord refused, in one line, when it answered one of `codes`; else None."""
    if isinstance(exc, discord.HTTPException) and exc.code in codes:
        return f"{exc.code} {exc.text or exc.status}"
    return None


async def start_thread(
    http: HTTPClient, channel_id: str, message_id: str, name: str
) -> discord.HTTPException | None:
    """Start the public thread of message `message_id` in `channel_id`, named `name`; None
    when it is there (now, or from before), else Discord's refusal that means it cannot be."""
    try:
        await http.start_thread_with_message(
            int(channel_id), int(message_id), name=name, auto_archive_duration=ARCHIVE_MINUTES
        )
    except discord.HTTPException as exc:
        if exc.code == ALREADY_STARTED:
            return None
        if refusal(exc, CANNOT_START) is None:
            raise
        return exc
    return None


async def details_in(
    http: HTTPClient, ref: ChannelRef, first_id: str, name: str, takes_none: Callable[[], None]
) -> str:
    """Where a compact digest's details go: the thread of its first message, started now,
    else (one log line, no failure) the channel. A channel whose type takes no thread
    (50024) is `takes_none()`, so that no later digest tries again."""
    refused = await start_thread(http, ref.channel, first_id, name)
    if refused is None:
        return first_id
    why = refusal(refused, CANNOT_START)
    if refused.code == NO_THREADS_HERE:
        takes_none()
        log.info(
            "%s takes no threads (%s): a digest's details follow in the channel",
            ref.key,
            why,
        )
        return ref.channel
    missing = refused.code == MISSING_PERMISSIONS
    hint = "; give paperboy Create Public Threads there" if missing else ""
    log.warning(
        "cannot start a thread from message %s in %s (%s): its details follow in the channel%s",
        first_id,
        ref.key,
        why,
        hint,
    )
    return ref.channel


async def send_detail(
    send: Send, ref: ChannelRef, thread: str, body: Part, attempt: Attempt
) -> tuple[str, str]:
    """Send a detail to the digest's thread; return its id and where the next ones go. A
    thread paperboy may not post in (no Send Messages in Threads) sends it to the channel."""
    try:
        return await send(thread, body, attempt), thread
    except discord.HTTPException as exc:
        why = refusal(exc, frozenset({MISSING_PERMISSIONS}))
        if why is None:
            raise
    log.warning(
        "cannot post in thread %s of %s (%s): the details follow in the channel; give "
        "paperboy Send Messages in Threads there",
        thread,
        ref.key,
        why,
    )
    return await send(ref.channel, body, attempt), ref.channel


async def send_climber(
    send: Send, climber: Climber, in_thread: Part, reply: Part, attempt: Attempt
) -> str:
    """A late climber in its digest's thread (whose id is the digest's); where the digest has
    no thread that can take it, `reply` to the digest in the channel."""
    try:
        return await send(climber.thread, in_thread, attempt)
    except discord.HTTPException as exc:
        why = refusal(exc, CANNOT_USE)
        if why is None:
            raise
    log.info(
        "digest %s in %s has no thread to take its climber (%s): replying to it",
        climber.thread,
        climber.channel.key,
        why,
    )
    return await send(climber.channel.channel, reply, attempt)
