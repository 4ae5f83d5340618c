"""Use cases: poll the feed, store papers, fan out alerts, post digests through the ledger."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.delivery.alerts import ALERT_KIND, match_alerts
from bot.delivery.calendar import previous_run
from bot.delivery.deliverer import Deliverer, Outcome
from bot.delivery.digests import DIGEST_KIND, build_digest, due_days
from bot.delivery.kinds import AlertKind, DigestKind, PostKind
from bot.domain import Alert, ChannelRef, ChannelSettings, Digest, LedgerEntry, Paper, PostKey
from bot.feed.client import FeedError
from bot.ports import Feed, Publisher, Repository

log = logging.getLogger(__name__)

# How many channels receive alerts at the same time.
FAN_OUT_CHANNELS = 8
# Papers of the last FRESH_DAYS days are matched against alerts again when their counts move.
FRESH_DAYS = 2
# A failed post is retried after this long, doubling with each attempt up to RETRY_MAX, so a
# platform outage of a few hours costs neither the post nor a storm of retries.
RETRY_AFTER = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=30)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Defaults:
    """Settings a channel starts with."""

    digest_time: str = "09:00"
    timezone: str = "UTC"
    # Platforms whose channels start with the digest on (the console, out of the box).
    digest_on_for: frozenset[str] = frozenset()


@dataclass
class PollReport:
    """What one poll did."""

    days: list[date]
    fetched: int = 0
    new: list[Paper] = field(default_factory=list)
    updated: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


class Paperboy:
    """The core: everything paperboy does, independent of any chat platform."""

    def __init__(
        self,
        repo: Repository,
        feed: Feed,
        publishers: Mapping[str, Publisher] | None = None,
        clock: Callable[[], datetime] = utc_now,
        defaults: Defaults | None = None,
    ) -> None:
        self.repo = repo
        self.feed = feed
        self.publishers: dict[str, Publisher] = dict(publishers or {})
        self.clock = clock
        self.defaults = defaults or Defaults()
        self.deliverer = Deliverer(repo, self.publishers, clock)
        self.kinds: dict[str, PostKind] = {k.name: k for k in (DigestKind(), AlertKind())}
        # Called after a channel's digest settings change, so the scheduler can rebuild jobs.
        self.on_settings_changed: Callable[[ChannelSettings], None] | None = None

    # --- channels -------------------------------------------------------------------------

    def settings(self, ref: ChannelRef) -> ChannelSettings:
        """A channel's settings, or the defaults for a channel paperboy has not seen."""
        enabled = ref.platform in self.defaults.digest_on_for
        return self.repo.channel(ref) or ChannelSettings(
            channel=ref,
            digest_enabled=enabled,
            digest_time=self.defaults.digest_time,
            timezone=self.defaults.timezone,
            digest_enabled_at=self.clock() if enabled else None,
        )

    def save_settings(self, settings: ChannelSettings) -> None:
        """Store a channel's settings and tell the scheduler."""
        self.repo.save_channel(settings)
        if self.on_settings_changed is not None:
            self.on_settings_changed(settings)

    # --- polling and alerts ---------------------------------------------------------------

    def default_poll_days(self) -> list[date]:
        """Today and yesterday (UTC): around midnight UTC both are still filling up."""
        today = self.clock().astimezone(UTC).date()
        return [today - timedelta(days=1), today]

    async def poll(self, days: Sequence[date] | None = None, *, alerts: bool = True) -> PollReport:
        """Fetch days from the feed, store them, and alert on new (or newly matching) papers.

        Papers are marked for alerts in the same transaction that stores them, so a poll cut
        short (a signal, a crash) leaves its alerts for the next poll instead of losing them.
        """
        report = PollReport(days=list(days or self.default_poll_days()))
        today = self.clock().astimezone(UTC).date()
        # Upvotes move for days; only papers this fresh are matched again when they do, so an
        # `upvotes:>=N` alert fires when a new paper crosses N, not for last month's papers.
        alert_from = today - timedelta(days=FRESH_DAYS - 1) if alerts else None
        for day in report.days:
            try:
                papers = await self.feed.fetch_day(day)
            except FeedError as exc:
                log.error("fetching Daily Papers for %s failed: %s", day, exc)
                report.errors.append(f"{day}: {exc}")
                continue
            result = self.repo.upsert_papers(papers, self.clock(), alert_from=alert_from)
            if day <= today:  # a future day's empty answer says nothing about that day
                self.repo.record_poll(day, len(papers), self.clock())
            report.fetched += len(papers)
            report.new.extend(result.new)
            report.updated += result.updated
        if alerts:
            report.alerts = await self.recover()
            report.alerts.update(await self.send_pending_alerts())
        return report

    async def send_pending_alerts(self) -> Counter[str]:
        """Run the alert fan-out for every paper marked for it, then unmark them."""
        pending = self.repo.papers_pending_alerts()
        if not pending:
            return Counter()
        papers = [paper for paper, _ in pending]
        before = {paper.id: upvotes for paper, upvotes in pending if upvotes is not None}
        alerts = match_alerts(self.repo.subscriptions(), papers, before)
        outcomes = await self._fan_out(alerts)
        self.repo.clear_pending_alerts(papers)
        return outcomes

    async def send_alerts(self, papers: Sequence[Paper]) -> Counter[str]:
        """Post one alert per (channel, paper) matched by the channel's subscriptions."""
        if not papers:
            return Counter()
        return await self._fan_out(match_alerts(self.repo.subscriptions(), papers))

    async def _fan_out(self, alerts: Sequence[Alert]) -> Counter[str]:
        """Deliver alerts: in order within a channel, channels side by side."""
        kind = self.kinds[ALERT_KIND]
        return await self._deliver_all(
            [(PostKey(a.channel, ALERT_KIND, a.paper.id), a, kind.payload(a)) for a in alerts]
        )

    async def _deliver_all(
        self, posts: Sequence[tuple[PostKey, Alert | Digest, str | None]]
    ) -> Counter[str]:
        """Deliver posts in order within a channel, channels side by side (each platform
        paces per channel, so a slow channel does not hold up the others)."""
        outcomes: Counter[str] = Counter()
        by_channel: dict[ChannelRef, list[tuple[PostKey, Alert | Digest, str | None]]] = {}
        for item in posts:
            by_channel.setdefault(item[0].channel, []).append(item)
        gate = asyncio.Semaphore(FAN_OUT_CHANNELS)

        async def channel_worker(queue: list[tuple[PostKey, Alert | Digest, str | None]]) -> None:
            async with gate:
                for key, post, payload in queue:
                    outcomes[(await self.deliverer.deliver(key, post, payload)).value] += 1

        await asyncio.gather(*(channel_worker(queue) for queue in by_channel.values()))
        return outcomes

    def _due_for_retry(self, entry: LedgerEntry) -> bool:
        if entry.state != "failed" or entry.claimed_at is None or entry.attempts == 0:
            return True  # an owner that died, a post held or left for this platform's process
        wait = min(RETRY_AFTER * 2 ** max(entry.attempts - 1, 0), RETRY_MAX)
        return self.clock() >= entry.claimed_at + wait

    async def recover(self) -> Counter[str]:
        """Finish what the ledger has open for the platforms this process runs: posts a
        crash left in flight (asking the platform what became of them), and failed posts
        whose retry is due."""
        posts = []
        for entry in self.repo.open_deliveries(self.clock()):
            kind = self.kinds.get(entry.key.kind)
            if kind is None or entry.key.channel.platform not in self.publishers:
                continue  # a kind this version does not know, or for the process that runs it
            if not self._due_for_retry(entry):
                continue
            post = kind.rebuild(self.repo, entry)
            if post is None:
                self.repo.abandon_delivery(entry.key, "superseded or nothing left to post")
                continue
            posts.append((entry.key, post, entry.payload))
        return await self._deliver_all(posts)

    # --- digests --------------------------------------------------------------------------

    def digest_for(
        self,
        ref: ChannelRef,
        day: date | None = None,
        top: int | None = None,
        at: datetime | None = None,
    ) -> Digest | None:
        """The digest a channel gets at `at` (default now) or for one day, without sending it."""
        settings = self.settings(ref)
        days = [day] if day else due_days(self.repo, settings, at or self.clock())
        return build_digest(self.repo, settings, days, top=top, polled=self.repo.polled_days())

    async def run_digest(self, ref: ChannelRef, at: datetime | None = None) -> Outcome | None:
        """The digest job of one channel, as scheduled for `at` (default now): fetch, post."""
        settings = self.settings(ref)
        if not settings.digest_enabled:  # turned off since the job was scheduled
            return None
        days = due_days(self.repo, settings, at or self.clock())
        missing = [d for d in days if d not in self.repo.polled_days()]
        if missing:
            await self.poll(missing)
        return await self.send_digest(ref, at=at)

    async def send_digest(
        self,
        ref: ChannelRef,
        day: date | None = None,
        top: int | None = None,
        at: datetime | None = None,
    ) -> Outcome | None:
        """Post a channel's digest through the ledger; None when there is nothing to post."""
        digest = self.digest_for(ref, day, top, at)
        if digest is None:
            return None
        key = PostKey(ref, DIGEST_KIND, digest.day.isoformat())
        return await self.deliverer.deliver(key, digest, self.kinds[DIGEST_KIND].payload(digest))

    async def catch_up(self) -> dict[str, Outcome | None]:
        """After a start: post each enabled channel's digest whose last run was missed
        (never one from before the digest was turned on)."""
        now = self.clock()
        slots = {}
        for settings in self.repo.channels(digest_enabled=True):
            missed = previous_run(settings.digest_time, settings.timezone, now)
            enabled_at = settings.digest_enabled_at
            if enabled_at is None or missed >= enabled_at:
                slots[settings.channel] = missed
        return await self._run_digests(slots)

    async def _run_digests(self, slots: dict[ChannelRef, datetime]) -> dict[str, Outcome | None]:
        """Run each channel's digest as scheduled at its slot, fetching missing days once."""
        missing: set[date] = set()
        for ref, at in slots.items():
            missing.update(due_days(self.repo, self.settings(ref), at))
        missing -= self.repo.polled_days()
        if missing:
            await self.poll(sorted(missing))
        return {ref.key: await self.run_digest(ref, at=at) for ref, at in slots.items()}
