"""What a Discord (or network) failure means for a post: one line, and the DeliveryError flags."""

from __future__ import annotations

import contextlib

import aiohttp
import discord

from bot.ports import DeliveryError

# 400s that are about the channel, not the message (JSON error codes, Discord's
# opcodes-and-status-codes page): "Cannot send messages in a non-text channel", "Thread is
# archived" and 40067 "A tag is required to create a forum post in this channel" (a forum set
# to require tags: every post paperboy makes there is refused alike). Any other 400 (50035
# Invalid Form Body, 50006 Cannot send an empty message, …) is Discord refusing this message.
TAG_REQUIRED = 40067
CHANNEL_400_CODES = frozenset({50008, 50083, TAG_REQUIRED})
MESSAGE_FAULT_STATUSES = frozenset({400, 413})  # Bad Request, Payload Too Large
UNAUTHORIZED = 401
# Gateway close code 4004, "Authentication failed": the token was refused.
AUTHENTICATION_FAILED = 4004
THREAD_ARCHIVED = 50083
# An edit of a message that can no longer be edited: 30046 too many edits of a message older
# than an hour, 10008 Unknown Message (deleted), 50005 another author's message, 50083 its
# thread (a forum post) is archived: only a new message unarchives a thread, an edit does not
# (docs/reference/discord.md §10, §14). The digest stops being edited; its channel is fine.
EDIT_REFUSED_CODES = frozenset({30046, 10008, 50005, THREAD_ARCHIVED})
# A request to the digest's own thread (its forum post, or the thread of its details) that
# means that thread is gone or closed, not the channel: 10003 Unknown Channel (the post or
# thread was deleted), 50083 archived, 160005 locked (docs/reference/discord.md §14). The
# digest's edits and climbers stop; the channel is not paused.
UNKNOWN_CHANNEL = 10003
THREAD_GONE_CODES = frozenset({UNKNOWN_CHANNEL, THREAD_ARCHIVED, 160005})
# A direct message the person does not take: 50007 "Cannot send messages to this user" (DMs
# closed, no server in common, the bot blocked), 10013 Unknown User (Create DM).
CANNOT_MESSAGE_USER = 50007
UNKNOWN_USER = 10013
RECIPIENT_CLOSED_CODES = frozenset({CANNOT_MESSAGE_USER, UNKNOWN_USER})


class TokenRefused(discord.LoginFailure):
    """Discord refused the token before: no login is tried again until paperboy restarts."""


def describe(exc: BaseException) -> str:
    """A discord.py (or network) failure in one line."""
    if isinstance(exc, TokenRefused):
        return str(exc)  # already the first refusal's line
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return f"{type(exc).__name__}: {exc.text or exc.status}"
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}: {exc.text}"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def refuses_token(exc: BaseException) -> bool:
    """Discord refused the bot's token (a failed login, or a 401)."""
    return isinstance(exc, discord.LoginFailure) or (
        isinstance(exc, discord.HTTPException) and exc.status == UNAUTHORIZED
    )


def delivery_error(
    exc: Exception, *, uncertain: bool = False, edit: bool = False, in_thread: bool = False
) -> DeliveryError:
    """Translate a discord.py (or network) failure.

    A refused token fails the whole bot. 403 and 404 mean the channel is gone (permanent); a
    400 is Discord refusing this message (a message fault, not the channel's), except for the
    codes that are about the channel. For an `edit`, a message that can no longer be edited is
    a message fault; so is a thread that is gone or closed when the request went `in_thread`,
    the digest's own thread rather than its channel. `uncertain`: a request left and no answer
    proved that nothing was posted (a timeout, a dropped connection, a 5xx).
    """
    if refuses_token(exc):
        return DeliveryError(
            f"the token was refused ({describe(exc)})", permanent=True, whole_platform=True
        )
    if edit and isinstance(exc, discord.HTTPException) and exc.code in EDIT_REFUSED_CODES:
        return DeliveryError(
            f"the digest can no longer be edited ({describe(exc)})", message_fault=True
        )
    if in_thread and isinstance(exc, discord.HTTPException) and exc.code in THREAD_GONE_CODES:
        return DeliveryError(
            f"the digest's thread is gone or closed ({describe(exc)})", message_fault=True
        )
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return DeliveryError(describe(exc), permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 400 and exc.code in CHANNEL_400_CODES:
            return DeliveryError(describe(exc), permanent=True)
        return DeliveryError(
            describe(exc),
            message_fault=exc.status in MESSAGE_FAULT_STATUSES,
            uncertain=uncertain and exc.status >= 500,
        )
    if isinstance(exc, ValueError):  # discord.py refused to build the message (> 10 embeds)
        return DeliveryError(describe(exc), message_fault=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return DeliveryError(describe(exc))  # never connected: nothing left
    return DeliveryError(describe(exc), uncertain=uncertain)


def unknown_channel(exc: Exception) -> bool:
    """404 10003: Discord knows no such channel (a kept DM channel's id, a deleted thread)."""
    return isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_CHANNEL


def direct_error(exc: Exception, *, uncertain: bool = False) -> DeliveryError:
    """Translate a failure of a direct message (Create DM, or posting to the DM channel).

    50007 and 10013 mean the person takes no DM from the bot: `recipient_closed` (the core
    mentions them in the channel instead). A DM is never a channel's or the guild's fault: any
    other 403 or 404 is `recipient_closed` too, and what would pause a channel is this
    message's fault. A refused token, a 429, a 5xx or a network failure mean what they mean
    for any post (`delivery_error`).
    """
    if refuses_token(exc):
        return delivery_error(exc)
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        closed = "takes no direct messages from paperboy"
        return DeliveryError(f"the person {closed} ({describe(exc)})", recipient_closed=True)
    error = delivery_error(exc, uncertain=uncertain)
    if error.permanent:
        return DeliveryError(str(error), message_fault=True)
    return error


def refused_login(exc: Exception) -> bool:
    """A refused token: retrying cannot help."""
    if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(exc, discord.ConnectionClosed) and exc.code == AUTHENTICATION_FAILED


def refused_request(exc: Exception) -> bool:
    """A 4xx other than 429: Discord refused the request itself, the same one will fail."""
    return isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429


def retry_after(exc: Exception) -> float:
    """The wait a 429 asked for, or 0."""
    if isinstance(exc, discord.RateLimited):
        return float(exc.retry_after)
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            return float(exc.response.headers.get("Retry-After", 0))
    return 0.0
