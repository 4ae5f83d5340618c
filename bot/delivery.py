"""Sending through the deliveries ledger: claim, send, confirm; pause channels that keep failing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from bot.domain import ChannelRef, ChannelSettings
from bot.ports import DeliveryError, Publisher, Repository

log = logging.getLogger(__name__)

# Consecutive transient failures after which a channel is paused until someone resumes it.
MAX_FAILURES = 5


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
        settings = self.repo.channel(channel) or ChannelSettings(channel=channel)
        if settings.paused:
            return Outcome.PAUSED
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            log.warning("no %s adapter running; %s %s for %s waits", channel.platform, kind,
                        key, channel.key)
            return Outcome.NO_ADAPTER
        if not self.repo.claim_delivery(channel, kind, key, self.clock()):
            return Outcome.ALREADY
        try:
            message_id = await send(publisher)
        except DeliveryError as exc:
            self._failed(settings, kind, key, str(exc), permanent=exc.permanent)
            return Outcome.FAILED
        except Exception as exc:  # an adapter bug must not stop the fan-out
            log.exception("unexpected error posting %s %s to %s", kind, key, channel.key)
            self._failed(settings, kind, key, f"{type(exc).__name__}: {exc}", permanent=False)
            return Outcome.FAILED
        self.repo.confirm_delivery(channel, kind, key, message_id, self.clock())
        if settings.failures:
            self.repo.save_channel(replace(settings, failures=0))
        log.info("posted %s %s to %s (message %s)", kind, key, channel.key, message_id)
        return Outcome.SENT

    def _failed(
        self, settings: ChannelSettings, kind: str, key: str, error: str, *, permanent: bool
    ) -> None:
        channel = settings.channel
        self.repo.fail_delivery(channel, kind, key, error)
        failures = settings.failures + 1
        pause = permanent or failures >= MAX_FAILURES
        log.warning("posting %s %s to %s failed (%s)%s", kind, key, channel.key, error,
                    "; channel paused" if pause else "")
        self.repo.save_channel(
            replace(
                settings,
                failures=failures,
                paused=pause,
                paused_reason=error if pause else settings.paused_reason,
            )
        )
