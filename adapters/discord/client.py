"""The discord.py client the publisher posts through: logged in over REST once, paced, and
swapped for a fresh one when it can no longer log in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import discord

from adapters.discord.errors import TokenRefused, describe
from adapters.discord.pacing import DiscordPacer
from adapters.discord.send import RequestHooks
from bot.ports import DeliveryError

NewClient = Callable[[], discord.Client]


class ClientOwner:
    """Owns a discord.py client whose every request goes through a `DiscordPacer`, which keeps
    all requests together under Discord's global limit (discord.py waits out rate limits per
    route itself).

    A client that was closed (or half-opened by a failed login) cannot log in again, so
    `renew()` swaps it for a fresh one from `new_client`. A refused token is remembered: later
    posts fail at once, without another login.
    """

    def __init__(
        self, new_client: NewClient, token: str, *, pacer: DiscordPacer | None = None
    ) -> None:
        self._new_client = new_client
        self.token = token
        self.pacer = pacer or DiscordPacer()
        self._hooks = RequestHooks(lambda: self.pacer)
        self.client = self._make_client()
        self._login = asyncio.Lock()
        self._used = False  # a login was attempted on this client: it must be closed
        self.logged_in = False
        self._closed = False  # paperboy is stopping: no new logins
        self.refused: str | None = None  # why Discord refused the token, once it has

    @property
    def rate_limited(self) -> int:
        """How many 429s Discord answered (discord.py retries most of them itself)."""
        return self._hooks.rate_limited

    async def login(self) -> None:
        """Log in over REST once (no gateway); `close()` closes the session."""
        await self._ensure_login()

    async def renew(self) -> None:
        """Close the current client, if it was ever used, and start over with a fresh one."""
        async with self._login:
            await self._renew()

    async def close(self) -> None:
        """Close the client, if a login was ever attempted on it. Does not wait for a login
        in progress: closing the session aborts it."""
        self._closed = True
        await self._close()

    def _make_client(self) -> discord.Client:
        # paperboy joins no voice channel: without this, creating a client logs "PyNaCl / davey
        # is not installed, voice will NOT be supported" (discord.Client.__init__).
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        client = self._new_client()
        # discord.py's `http_trace` client option (read when `login` opens the session), set
        # here so that every client `new_client` builds is paced.
        client.http.http_trace = self._hooks.trace
        return client

    async def _ensure_login(self) -> None:
        # Posting needs only REST: `paperboy digest --send` logs in without a gateway.
        async with self._login:
            if self._closed:
                raise DeliveryError(
                    "paperboy is stopping; the post waits for the next start", stopping=True
                )
            if self.refused is not None:
                raise TokenRefused(self.refused)
            if self.logged_in:
                return
            self._used = True
            try:
                await self.client.login(self.token)
            except BaseException as exc:
                if isinstance(exc, discord.LoginFailure):
                    self.refused = describe(exc)
                # A failed login leaves a half-open session behind and the client unable to
                # log in again: the next attempt starts from a fresh client.
                await self._renew()
                raise
            self.logged_in = True

    async def _renew(self) -> None:
        if self._used and not self._closed:
            await self._close()
            self.client = self._make_client()
            self._used = False

    async def _close(self) -> None:
        if self._used:
            with contextlib.suppress(Exception):
                # Shielded: a cancelled caller must not cancel discord.py's own close task,
                # which the next close() would then re-raise.
                await asyncio.shield(self.client.close())
        self.logged_in = False
