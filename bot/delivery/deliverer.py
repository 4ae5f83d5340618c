"""Sending through the deliveries ledger: own, (resolve), send part by part, confirm; pause
channels that keep failing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from bot.delivery.kinds import EDIT_KIND, PostKind
from bot.delivery.tracker import LedgerTracker
from bot.domain import (
    ChannelRef,
    Climber,
    DatabaseDamaged,
    LedgerEntry,
    Mention,
    Notice,
    Post,
    PostKey,
    direct_user,
)
from bot.ports import (
    ClaimLost,
    DeliveryError,
    DeliveryObserver,
    Publisher,
    Repository,
    ResolveUnsupported,
)

log = logging.getLogger(__name__)

# A channel is paused after this many consecutive failed posts spread over at least
# FAILING_FOR, so a short platform outage does not silence it; a permanent error (the channel
# is gone, the bot was removed) pauses it at once.
MAX_FAILURES = 5
FAILING_FOR = timedelta(hours=1)
# A claim lives this long unless its owner renews it; after that another process (or this one,
# restarted) takes the post over and asks the platform what became of it.
LEASE = timedelta(seconds=30)
# The owner renews its claims this often while it holds any.
RENEW_SECONDS = 10.0
# Clocks differ a little between paperboy and the platform: look back this much further.
CLOCK_SKEW = timedelta(seconds=30)
# Facts recorded where delivery had to fall back to at least once (`status` shows them).
AT_LEAST_ONCE = "at-least-once:"
# The ledger kind of paperboy's notices about a channel itself.
NOTICE_KIND = "notice"
# The workspace name that stands for every workspace of a platform (one token serves them all).
ALL_WORKSPACES = "*"


# How a post the recipient takes no messages for is given up in the ledger (its error starts so).
RECIPIENT_CLOSED = "recipient takes no direct messages"


class Outcome(StrEnum):
    """What happened to one post."""

    SENT = "sent"
    ALREADY = "already sent"
    FAILED = "failed"
    PAUSED = "channel paused"
    CLOSED = "recipient takes no direct messages"
    NO_ADAPTER = "no adapter running for this platform"


class NoObserver:
    """The observer when nobody watches (no metrics)."""

    def posted(self, key: PostKey, outcome: str) -> None:
        """Forget the outcome."""

    def fanned_out(self, kind: str, posts: int, seconds: float) -> None:
        """Forget the fan-out."""


def logged(key: PostKey, outcome: str) -> dict[str, str]:
    """The `extra` of a delivery's log line: its channel key and outcome as fields (JSON logs)."""
    return {"channel": key.channel.key, "outcome": outcome}


def new_owner() -> str:
    """A name for this process's claims: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def rebuild(kind: PostKind, repo: Repository, entry: LedgerEntry) -> Post | None:
    """The post a ledger entry stands for; None (logged) when its stored content is
    unreadable, so one damaged row never stops a fan-out."""
    try:
        return kind.rebuild(repo, entry)
    except (ValueError, KeyError, TypeError) as exc:  # JSON from another version, or damaged
        log.error(
            "cannot read the stored %s %s for %s (%s): giving it up",
            entry.key.kind,
            entry.key.ref,
            entry.key.channel.key,
            exc,
            extra=logged(entry.key, "unreadable"),
        )
        return None


def owner_is_dead(owner: str) -> bool:
    """True when `owner` is a process on this host that no longer runs: its claims need not
    wait for their lease to run out. A process elsewhere, or a reused pid, counts as alive."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, as another user's process
        return False
    return False


class Deliverer:
    """Posts through the ledger so that crashes, retries and two processes on one database
    neither lose nor repeat a post."""

    def __init__(
        self,
        repo: Repository,
        publishers: Mapping[str, Publisher],
        clock: Callable[[], datetime],
        owner: str | None = None,
        renew_seconds: float = RENEW_SECONDS,
        kinds: Mapping[str, PostKind] | None = None,
        observer: DeliveryObserver | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        # How each kind rebuilds a post from the ledger (a post begun is finished as begun).
        self.kinds: Mapping[str, PostKind] = kinds or {}
        self.publishers = publishers
        self.clock = clock
        self.owner = owner or new_owner()
        self.renew_seconds = renew_seconds
        self.observer: DeliveryObserver = observer or NoObserver()
        self.monotonic = monotonic
        self._holding = 0
        self._renewer: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def fan_out(self, kind: str, posts: int) -> Iterator[None]:
        """Time a fan-out of `posts` posts of one kind for the observer (an empty one is not
        a fan-out)."""
        start = self.monotonic()
        try:
            yield
        finally:
            if posts:
                self.observer.fanned_out(kind, posts, self.monotonic() - start)

    async def deliver(self, key: PostKey, post: Post, payload: str | None = None) -> Outcome:
        """Send a post once: skip it when it is out or another process sends it, keep it when
        its channel is paused, finish it when a crash left it half done."""
        outcome = await self._deliver(key, post, payload)
        self.observer.posted(key, outcome.value)
        return outcome

    async def _deliver(self, key: PostKey, post: Post, payload: str | None) -> Outcome:
        channel = key.channel
        settings = self.repo.channel(channel)
        if (settings is not None and settings.paused) or self.workspace_paused(channel):
            self.repo.hold_delivery(key, self.clock(), payload)
            log.info(
                "held %s %s for %s: the channel is paused",
                key.kind,
                key.ref,
                channel.key,
                extra=logged(key, "held"),
            )
            return Outcome.PAUSED
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            # Kept as a failed post, so the process that runs this platform sends it.
            self.repo.defer_delivery(
                key, self.clock(), payload, f"no {channel.platform} adapter running"
            )
            log.info(
                "left %s %s for %s to the process that runs %s",
                key.kind,
                key.ref,
                channel.key,
                channel.platform,
                extra=logged(key, "deferred"),
            )
            return Outcome.NO_ADAPTER
        entry = self.repo.take_delivery(key, self.owner, self.clock(), LEASE, payload)
        if entry is None:
            dead = self.dead_owners()  # only worth asking when the post is held by someone
            if dead:
                entry = self.repo.take_delivery(
                    key, self.owner, self.clock(), LEASE, payload, dead=dead
                )
        if entry is None:
            log.debug(
                "%s %s for %s is sent or being sent",
                key.kind,
                key.ref,
                channel.key,
                extra=logged(key, "already"),
            )
            return Outcome.ALREADY
        kind = self.kinds.get(key.kind)
        if kind is not None and entry.payload is not None and entry.payload != payload:
            # Begun before (part of it is, or may be, out): finish the post it began as.
            begun = rebuild(kind, self.repo, entry)
            if begun is None:  # `rebuild` logged it
                self.repo.fail_delivery(key, self.owner, "its stored content is gone", give_up=True)
                return Outcome.FAILED
            post = begun
        self._hold()
        try:
            return await self._send(publisher, entry, post)
        finally:
            self._release()

    async def _send(self, publisher: Publisher, entry: LedgerEntry, post: Post) -> Outcome:
        key = entry.key
        tracker = LedgerTracker(self.repo, entry, self.owner, self.clock, LEASE)
        try:
            if entry.uncertain:
                await self._resolve(publisher, entry, tracker, post)
            message_id = await publisher.publish(post, tracker)
        except ClaimLost:
            log.warning(
                "%s %s for %s was taken over by another process",
                key.kind,
                key.ref,
                key.channel.key,
                extra=logged(key, "taken over"),
            )
            return Outcome.ALREADY
        except DeliveryError as exc:
            await self._failed(publisher, key, exc)
            return Outcome.CLOSED if exc.recipient_closed else Outcome.FAILED
        except DatabaseDamaged:  # no adapter bug: the ledger cannot be written, stop the job
            raise
        except Exception as exc:  # an adapter bug must not stop the fan-out
            log.exception(
                "unexpected error posting %s %s to %s",
                key.kind,
                key.ref,
                key.channel.key,
                extra=logged(key, "error"),
            )
            await self._failed(
                publisher, key, DeliveryError(f"{type(exc).__name__}: {exc}", uncertain=True)
            )
            return Outcome.FAILED
        self.repo.finish_delivery(key, self.owner, self.clock())
        self.repo.reset_failures(key.channel)
        log.info(
            "posted %s %s to %s (message %s, %d part%s)",
            key.kind,
            key.ref,
            key.channel.key,
            message_id,
            tracker.parts_sent,
            "" if tracker.parts_sent == 1 else "s",
            extra=logged(key, "sent"),
        )
        return Outcome.SENT

    async def _resolve(
        self, publisher: Publisher, entry: LedgerEntry, tracker: LedgerTracker, post: Post
    ) -> None:
        """A request may have gone out unanswered: ask the platform before sending again (a
        reply such as a `Climber` in its post's thread). An edit is not asked about: it is
        sent again, which changes nothing if it went through."""
        part = entry.parts_sent + 1
        if entry.key.kind == EDIT_KIND:
            log.info(
                "edit %s for %s may have gone out before a crash: sending it again",
                entry.key.ref,
                entry.key.channel.key,
            )
            return
        since = (entry.in_flight_since or self.clock()) - CLOCK_SKEW
        thread = entry.thread_id
        if thread is None and isinstance(post, Climber | Mention):
            thread = post.thread
        try:
            found = await publisher.find(entry.key, part, since, thread)
        except ResolveUnsupported as exc:
            log.warning(
                "cannot tell whether part %d of %s %s reached %s (%s): sending it "
                "again (at least once)",
                part,
                entry.key.kind,
                entry.key.ref,
                entry.key.channel.key,
                exc,
            )
            self.repo.set_fact(self._at_least_once(entry), str(exc), self.clock())
            return
        self.repo.forget_fact(self._at_least_once(entry))  # the platform could tell again
        if found is None:
            log.info(
                "part %d of %s %s for %s was not posted: sending it",
                part,
                entry.key.kind,
                entry.key.ref,
                entry.key.channel.key,
            )
            return
        log.info(
            "part %d of %s %s for %s was posted before a crash (message %s)",
            part,
            entry.key.kind,
            entry.key.ref,
            entry.key.channel.key,
            found,
        )
        await tracker.found(part, found)

    def workspace_paused(self, channel: ChannelRef) -> bool:
        """Whether the channel's workspace (or its whole platform) is paused."""
        paused = self.repo.paused_workspaces()
        return bool(paused) and (
            (channel.platform, channel.workspace) in paused
            or (channel.platform, ALL_WORKSPACES) in paused
        )

    @staticmethod
    def _at_least_once(entry: LedgerEntry) -> str:
        channel = entry.key.channel
        return f"{AT_LEAST_ONCE}{channel.platform}:{channel.workspace}"

    async def _failed(self, publisher: Publisher, key: PostKey, exc: DeliveryError) -> None:
        channel = key.channel
        if exc.stopping:  # kept for the next start, counted against nothing
            self.repo.fail_delivery(
                key, self.owner, str(exc), uncertain=exc.uncertain, counts=False
            )
            log.info(
                "%s %s for %s kept for the next start: paperboy is stopping",
                key.kind,
                key.ref,
                channel.key,
                extra=logged(key, "stopping"),
            )
            return
        if exc.message_fault or exc.recipient_closed:  # this message will never go through
            log.error(
                "%s refused %s %s for %s: %s",
                channel.platform,
                key.kind,
                key.ref,
                channel.key,
                exc,
                extra=logged(key, "refused"),
            )
            reason = f"{RECIPIENT_CLOSED}: {exc}" if exc.recipient_closed else str(exc)
            self.repo.fail_delivery(key, self.owner, reason, give_up=True)
            return
        now = self.clock()
        # Kept as failed: retried once the channel (or its workspace) is resumed.
        self.repo.fail_delivery(key, self.owner, str(exc), uncertain=exc.uncertain)
        if exc.workspace_fault:
            self._pause_workspace(key, exc, now)
            return
        if direct_user(channel) is not None:  # a person's DMs: retried, never paused
            log.warning(
                "sending %s %s to %s failed (%s); retried later",
                key.kind,
                key.ref,
                channel.key,
                exc,
                extra=logged(key, "failed"),
            )
            return
        failures, since = self.repo.record_failure(channel, now)
        pause = exc.permanent or (failures >= MAX_FAILURES and now - since >= FAILING_FOR)
        log.warning(
            "posting %s %s to %s failed (%s)%s",
            key.kind,
            key.ref,
            channel.key,
            exc,
            "; channel paused" if pause else "",
            extra=logged(key, "failed, channel paused" if pause else "failed"),
        )
        if pause:
            self.repo.pause_channel(channel, str(exc), now)
            if not exc.permanent:  # it may still take a message: say why it goes quiet
                await self._notify_paused(publisher, channel, str(exc))

    def _pause_workspace(self, key: PostKey, exc: DeliveryError, now: datetime) -> None:
        channel = key.channel
        workspace = ALL_WORKSPACES if exc.whole_platform else channel.workspace
        if not self.repo.pause_workspace(channel.platform, workspace, str(exc), now):
            log.warning(
                "posting %s %s to %s failed (%s); its workspace is paused",
                key.kind,
                key.ref,
                channel.key,
                exc,
                extra=logged(key, "failed, workspace paused"),
            )
            return
        where = (
            f"every {channel.platform} channel"
            if exc.whole_platform
            else f"{channel.platform} workspace {channel.workspace}"
        )
        log.error(
            "%s refused paperboy (%s) posting %s %s to %s: %s is paused until it is resumed "
            "(`/papers resume` there, or `paperboy resume`)",
            channel.platform,
            exc,
            key.kind,
            key.ref,
            channel.key,
            where,
            extra=logged(key, "failed, workspace paused"),
        )

    async def _notify_paused(self, publisher: Publisher, channel: ChannelRef, reason: str) -> None:
        """One notice in a channel that was just paused; given up at the first failure."""
        now = self.clock()
        key = PostKey(channel, NOTICE_KIND, f"paused {now.isoformat(timespec='seconds')}")
        entry = self.repo.take_delivery(key, self.owner, now, LEASE)
        if entry is None:
            return
        notice = Notice(
            channel,
            "paperboy paused this channel's deliveries",
            (
                f"Posting here kept failing for over an hour (last: {reason[:200]}), so paperboy "
                "stopped. Posts that fall due meanwhile are kept: `/papers resume` resumes the "
                "channel and delivers them."
            ),
        )
        try:
            message_id = await publisher.publish(
                notice, LedgerTracker(self.repo, entry, self.owner, self.clock, LEASE)
            )
        except Exception as exc:  # a notice is best effort: never retried
            self.repo.fail_delivery(key, self.owner, f"{type(exc).__name__}: {exc}", give_up=True)
            self.observer.posted(key, Outcome.FAILED.value)
            log.info(
                "could not tell %s why its deliveries paused (%s)",
                channel.key,
                exc,
                extra=logged(key, "failed"),
            )
            return
        self.repo.finish_delivery(key, self.owner, self.clock())
        self.observer.posted(key, Outcome.SENT.value)
        log.info(
            "told %s why its deliveries paused (message %s)",
            channel.key,
            message_id,
            extra=logged(key, "sent"),
        )

    # --- the lease ------------------------------------------------------------------------

    def dead_owners(self) -> set[str]:
        """Owners of live claims that are processes on this host that died (a restart after
        a crash takes their posts over at once, without waiting for the lease)."""
        return {o for o in self.repo.claim_owners(self.clock()) if owner_is_dead(o)}

    def _hold(self) -> None:
        self._holding += 1
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew())

    def _release(self) -> None:
        self._holding -= 1
        if self._holding == 0 and self._renewer is not None:
            self._renewer.cancel()  # nothing left to renew; a later post starts a new one
            self._renewer = None

    async def _renew(self) -> None:
        """Keep this process's claims alive while it sends (pacing waits can be long)."""
        while self._holding > 0:
            await asyncio.sleep(self.renew_seconds)
            try:
                self.repo.renew_leases(self.owner, self.clock(), LEASE)
            except DatabaseDamaged as exc:  # the operator must repair it: one line, no trace
                log.error("renewing delivery claims failed: %s", exc)
            except Exception:  # a locked database: the next round tries again
                log.exception("renewing delivery claims failed")

    async def aclose(self) -> None:
        """Stop renewing claims (at shutdown)."""
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
