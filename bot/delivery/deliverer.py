"""Sending through the deliveries ledger: claim, send, confirm; pause channels that keep failing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import ChannelRef
from bot.ports import DeliveryError, Publisher, Repository

log = logging.getLogger(__name__)

# A channel is paused after this many consecutive failed posts spread over at least
# FAILING_FOR, so a short platform outage does not silence it; a permanent error (the channel
# is gone, the bot was removed) pauses it at once.
MAX_FAILURES = 5
FAILING_FOR = timedelta(hours=1)


class Outcome(StrEnum):
    """What happened to one post."""

    SENT = "sent"
    ALREADY = "already sent"
    FAILED = "failed"
    PAUSED = "channel paused"
    NO_ADAPTER = "no adapter running for this platform"


Send = Callable[[Publisher], Awaitable[str]]


class Deliverer:
    """Posts through the ledger so that restarts and retries neither lose nor repeat a post."""

    def __init__(
        self,
        repo: Repository,
        publishers: Mapping[str, Publisher],
        clock: Callable[[], datetime],
    ) -> None:
        self.repo = repo
        self.publishers = publishers
        self.clock = clock

    async def deliver(self, channel: ChannelRef, kind: str, key: str, send: Send) -> Outcome:
        """Claim (channel, kind, key), send it, and confirm or release the claim."""
        settings = self.repo.channel(channel)
        if settings is not None and settings.paused:
            return Outcome.PAUSED
        if not self.repo.claim_delivery(channel, kind, key, self.clock()):
            return Outcome.ALREADY
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            # Kept as a failed post, so the process that runs this platform retries it.
            self.repo.fail_delivery(channel, kind, key, f"no {channel.platform} adapter running")
            return Outcome.NO_ADAPTER
        try:
            message_id = await send(publisher)
        except DeliveryError as exc:
            if exc.message_fault:  # the channel is fine; this message will never go through
                log.error("%s refused %s %s for %s: %s", channel.platform, kind, key,
                          channel.key, exc)
                self.repo.fail_delivery(channel, kind, key, str(exc), give_up=True)
            else:
                self._failed(channel, kind, key, str(exc), permanent=exc.permanent)
            return Outcome.FAILED
        except Exception as exc:  # an adapter bug must not stop the fan-out
            log.exception("unexpected error posting %s %s to %s", kind, key, channel.key)
            self._failed(channel, kind, key, f"{type(exc).__name__}: {exc}", permanent=False)
            return Outcome.FAILED
        self.repo.confirm_delivery(channel, kind, key, message_id, self.clock())
        self.repo.reset_failures(channel)
        log.info("posted %s %s to %s (message %s)", kind, key, channel.key, message_id)
        return Outcome.SENT

    def _failed(self, channel: ChannelRef, kind: str, key: str, error: str, *,
                permanent: bool) -> None:
        now = self.clock()
        self.repo.fail_delivery(channel, kind, key, error)
        failures, since = self.repo.record_failure(channel, now)
        pause = permanent or (failures >= MAX_FAILURES and now - since >= FAILING_FOR)
        log.warning("posting %s %s to %s failed (%s)%s", kind, key, channel.key, error,
                    "; channel paused" if pause else "")
        if pause:
            self.repo.pause_channel(channel, error, now)
