"""What a Discord (or network) failure means for a post: one line, and the DeliveryError flags."""

from __future__ import annotations

import aiohttp
import discord

from bot.ports import DeliveryError

# 400s that are about the channel, not the message (JSON error codes, Discord's
# opcodes-and-status-codes page): "Cannot send messages in a non-text channel" and
# "Thread is archived". Any other 400 (50035 Invalid Form Body, 50006 Cannot send an empty
# message, …) is Discord refusing this message itself.
CHANNEL_400_CODES = frozenset({50008, 50083})
MESSAGE_FAULT_STATUSES = frozenset({400, 413})  # Bad Request, Payload Too Large
UNAUTHORIZED = 401
# An edit of a message that can no longer be edited: 30046 too many edits of a message older
# than an hour, 10008 Unknown Message (deleted), 50005 another author's message
# (docs/reference/discord.md §10). The digest stops being edited; its channel is fine.
EDIT_REFUSED_CODES = frozenset({30046, 10008, 50005})


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


def delivery_error(exc: Exception, *, uncertain: bool = False, edit: bool = False) -> DeliveryError:
    """Translate a discord.py (or network) failure.

    A refused token fails the whole bot. 403 and 404 mean the channel is gone (permanent); a
    400 is Discord refusing this message (a message fault, not the channel's), except for the
    codes that are about the channel. For an `edit`, a message that can no longer be edited is
    a message fault. `uncertain`: a request left and no answer proved that nothing was posted
    (a timeout, a dropped connection, a 5xx).
    """
    if refuses_token(exc):
        return DeliveryError(
            f"the token was refused ({describe(exc)})", permanent=True, whole_platform=True
        )
    if edit and isinstance(exc, discord.HTTPException) and exc.code in EDIT_REFUSED_CODES:
        return DeliveryError(
            f"the digest can no longer be edited ({describe(exc)})", message_fault=True
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
