"""Use cases: poll the feed, store papers, fan out alerts, post digests through the ledger."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from bot.delivery import living, living_reads
from bot.delivery.alerts import ALERT_KIND, AlertMatcher
from bot.delivery.calendar import MAX_CATCH_UP_DAYS, iso_week, week_days
from bot.delivery.daily import DailyDigest
from bot.delivery.deliverer import ALL_WORKSPACES, Deliverer, Outcome, rebuild
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.direct import (
    DM_KIND,
    MENTION_KIND,
    DirectKind,
    MentionKind,
    mention_refused,
    send_direct,
)
from bot.delivery.interests import InterestMatcher
from bot.delivery.kinds import (
    CLIMBER_KIND,
    EDIT_KIND,
    AlertKind,
    PostKind,
    TimedKind,
    channel_layout,
)
from bot.delivery.living_kinds import ClimberKind, EditKind
from bot.delivery.weekly import WeeklyRollup
from bot.domain import (
    Alert,
    ChannelRef,
    ChannelSettings,
    Digest,
    DirectMessage,
    Layout,
    LedgerEntry,
    Paper,
    Post,
    PostKey,
    Schedule,
)
from bot.feed.client import FeedError, month_days
from bot.ports import DeliveryObserver, Feed, MonthFeed, Publisher, Repository
from bot.similarity.engine import Engine
from bot.similarity.tfidf import TfidfEngine

log = logging.getLogger(__name__)

T = TypeVar("T")
# A long loop over every schedule yields to the event loop this often.
YIELD_EVERY = 500

# How many channels are posted to at the same time; each platform's publisher paces its
# own requests, so this only bounds the work in flight.
FAN_OUT_CHANNELS = 256
# Asked for this many days of one ISO week, a poll makes one paged `week=` request instead.
WEEK_REQUEST_DAYS = 3
# Papers of the last FRESH_DAYS days are matched against alerts again when their counts move.
FRESH_DAYS = 2
# A failed post is retried after this long, doubling with each attempt up to RETRY_MAX, so a
# platform outage of a few hours costs neither the post nor a storm of retries.
RETRY_AFTER = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=30)
# Facts: when the last default poll (today, yesterday, days missed) that fetched every day it
# asked for ended, and when the last one that did not ended, with the days it could not fetch.
POLL_SUCCEEDED = "poll:succeeded"
POLL_FAILED = "poll:failed"


def interleaved(items: Sequence[T], where: Callable[[T], ChannelRef]) -> list[T]:
    """Items in turn across workspaces (order kept within each), so a fan-out bounded to so
    many at a time keeps every workspace busy rather than one workspace after another."""
    groups: dict[tuple[str, str], deque[T]] = {}
    for item in items:
        ref = where(item)
        groups.setdefault((ref.platform, ref.workspace), deque()).append(item)
    out: list[T] = []
    while groups:
        for group in list(groups):
            queue = groups[group]
            out.append(queue.popleft())
            if not queue:
                del groups[group]
    return out


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


@dataclass(frozen=True)
class PollPlan:
    """What a default poll fetches: its days, those that count for whether it succeeded (all
    but the older days only live digests need), and the live digests it read."""

    days: list[date]
    counted: frozenset[date]
    lives: list[living_reads.LiveDigest]


@dataclass
class PollReport:
    """What one poll did."""

    days: list[date]
    fetched: int = 0
    new: list[Paper] = field(default_factory=list)
    updated: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    # The living digests' edits and late climbers (outcomes), after the alerts.
    living: Counter[str] = field(default_factory=Counter)
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
        observer: DeliveryObserver | None = None,
        similarity: Engine | None = None,
    ) -> None:
        self.repo = repo
        self.feed = feed
        self.publishers: dict[str, Publisher] = dict(publishers or {})
        self.clock = clock
        self.defaults = defaults or Defaults()
        timed: list[TimedKind] = [
            DailyDigest(self.defaults.digest_time, self.defaults.timezone),
            WeeklyRollup(self.defaults.digest_time, self.defaults.timezone),
        ]
        self.timed_kinds: dict[str, TimedKind] = {k.name: k for k in timed}
        self.kinds: dict[str, PostKind] = {
            **self.timed_kinds,
            ALERT_KIND: AlertKind(),
            DM_KIND: DirectKind(),
            MENTION_KIND: MentionKind(),
            EDIT_KIND: EditKind(clock, living_reads.LIVE_FOR),
            CLIMBER_KIND: ClimberKind(clock, living_reads.LIVE_FOR),
        }
        self.deliverer = Deliverer(
            repo, self.publishers, clock, kinds=self.kinds, observer=observer
        )
        # How "papers like these" alerts score papers (TF-IDF unless the operator chose).
        self.similarity: Engine = similarity or TfidfEngine()
        # Every subscription, parsed and indexed once, kept in step with storage.
        self.alert_matcher = AlertMatcher(self.similarity)
        # Every person's own alerts (their interests), the same way.
        self.interest_matcher = InterestMatcher(self.similarity)

    # --- channels and schedules ----------------------------------------------------------

    def settings(self, ref: ChannelRef) -> ChannelSettings:
        """A channel's health, or a fresh one for a channel paperboy has not seen."""
        return self.repo.channel(ref) or ChannelSettings(channel=ref)

    def timed(self, kind: str) -> TimedKind:
        """A timed kind by name; ValueError when there is none."""
        found = self.timed_kinds.get(kind)
        if found is None:
            raise ValueError(f"no timed post kind {kind!r}")
        return found

    def schedule(self, ref: ChannelRef, kind: str = DIGEST_KIND) -> Schedule:
        """A channel's schedule of one kind, or that kind's defaults (the console's daily
        digest starts on, out of the box)."""
        stored = self.repo.schedule(ref, kind)
        if stored is not None:
            return stored
        fresh = self.timed(kind).defaults(ref)
        if kind == DIGEST_KIND and ref.platform in self.defaults.digest_on_for:
            fresh = replace(fresh, enabled=True, enabled_at=self.clock())
        return fresh

    def save_schedule(self, schedule: Schedule) -> None:
        """Store a schedule (the scheduler picks the change up from storage)."""
        self.repo.save_schedule(schedule, self.clock())

    # --- polling and alerts ---------------------------------------------------------------

    def default_poll_days(self) -> list[date]:
        """Today and yesterday (UTC), which are still filling up, any day of the last week
        that paperboy, running then, never fetched after it ended (a feed outage, or
        downtime): its papers are fetched (and alerted on) late, never lost; and the days of
        digests still live, whose upvotes their edits follow."""
        return self.poll_plan().days

    def poll_plan(self) -> PollPlan:
        """What the default poll fetches (`default_poll_days`), which of those days count
        for whether it succeeded, and the live digests it read for them."""
        now = self.clock()
        today = now.astimezone(UTC).date()
        recent = [today - timedelta(days=1), today]
        counted = set(recent)
        first = self.repo.first_poll()
        if first is not None:  # else a fresh install: nothing was missed
            settled = self.repo.settled_days()
            start = max(first.astimezone(UTC).date(), today - timedelta(days=MAX_CATCH_UP_DAYS - 1))
            unsettled = [start + timedelta(days=i) for i in range((today - start).days - 1)]
            counted.update(d for d in unsettled if d not in settled)
        lives = living_reads.live_digests(self.repo, now)
        earlier = (counted | set(living_reads.live_days(lives, now))) - set(recent)
        return PollPlan(sorted(earlier) + recent, frozenset(counted), lives)

    async def poll(self, days: Sequence[date] | None = None, *, alerts: bool = True) -> PollReport:
        """Fetch days from the feed, store them, and alert on new (or newly matching) papers.

        Papers are marked for alerts in the same transaction that stores them, so a poll cut
        short (a signal, a crash) leaves its alerts for the next poll instead of losing them.
        """
        plan = None
        if not days:  # the default poll's plan reads the ledger and the polls: in a thread
            plan = await asyncio.to_thread(self.poll_plan)
        report = PollReport(days=plan.days if plan is not None else list(days or ()))
        today = self.clock().astimezone(UTC).date()
        # Upvotes move for days; only papers this fresh are matched again when they do, so an
        # `upvotes:>=N` alert fires when a new paper crosses N, not for last month's papers.
        alert_from = today - timedelta(days=FRESH_DAYS - 1) if alerts else None
        remaining = await self._fetch_weeks(report, alert_from) if days else report.days
        failed: list[date] = []
        for day in remaining:
            try:
                papers = await self.feed.fetch_day(day)
            except FeedError as exc:
                log.error("fetching Daily Papers for %s failed: %s", day, exc)
                report.errors.append(f"{day}: {exc}")
                failed.append(day)
                continue
            self._store(report, papers, [day], alert_from)
        # A poll succeeded only if every day it asked for came back: today's (still empty)
        # list alone says nothing about yesterday's, which may be the one that failed. Only a
        # default poll (the feed's fresh days) counts, and only the days it fetches for their
        # own sake: a backfill's, `fetch --date`'s or a live digest's old day says nothing
        # about whether the current days are arriving.
        if plan is not None:
            now = self.clock()
            missed = [day for day in failed if day in plan.counted]
            if missed:
                days_failed = " ".join(day.isoformat() for day in missed)
                self.repo.set_fact(POLL_FAILED, f"{now.isoformat()} {days_failed}", now)
            else:
                self.repo.set_fact(POLL_SUCCEEDED, now.isoformat(), now)
        if alerts:
            report.alerts = await self.recover()
            report.alerts.update(await self.send_pending_alerts())
            if report.fetched:
                report.living = await self.refresh_living(plan.lives if plan else None)
        return report

    async def refresh_living(
        self, lives: list[living_reads.LiveDigest] | None = None
    ) -> Counter[str]:
        """Edit live digests (`lives`, as the poll read them; else read now) whose top papers
        moved, and reply with their late climbers (bot.delivery.living), through the ledger:
        each once, paced by the publishers; a climber that waits for an edit goes out only
        once the edit did (else a later poll sends it)."""
        now = self.clock()
        # Rebuilding every live digest reads the database: in a worker thread, like alerts.
        found = await asyncio.to_thread(living.refresh, self.repo, now, lives)
        posts = [(p.key, p.post, self.kinds[p.key.kind].payload(p.post)) for p in found]
        after = {p.key: p.after for p in found if p.after is not None}
        with self.deliverer.fan_out("living", len(posts)):
            return await self._deliver_all(posts, after)

    async def _fetch_weeks(self, report: PollReport, alert_from: date | None) -> list[date]:
        """Fetch the ISO weeks of which several days are asked for in one paged `week=`
        request each; return the days left to fetch one by one (all of a week whose papers
        could not all be dated)."""
        by_week: dict[str, list[date]] = {}
        for day in report.days:
            by_week.setdefault(iso_week(day), []).append(day)
        remaining: list[date] = []
        for week, days in by_week.items():
            if len(days) < WEEK_REQUEST_DAYS:
                remaining.extend(days)
                continue
            try:
                papers = await self.feed.fetch_week(week)
            except FeedError as exc:
                log.warning(
                    "fetching Daily Papers for %s failed (%s); asking day by day", week, exc
                )
                papers = None
            if papers is None:
                remaining.extend(days)
                continue
            self._store(report, papers, week_days(week), alert_from)
        return remaining

    async def poll_month(self, month: str) -> tuple[PollReport, list[date]]:
        """Fetch a month (`2025-10`) in one paged `month=` request and store it without alerts
        (for a backfill: these papers are not news). Return what was stored and the month's
        days still to ask one by one (see `_poll_span`); all of them when the feed cannot
        answer by month, its answer could not be dated, or it failed."""
        first, last = month_days(month)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        if not isinstance(self.feed, MonthFeed):
            return PollReport(days=days), days
        try:
            papers = await self.feed.fetch_month(month)
        except FeedError as exc:
            log.warning("fetching Daily Papers for %s failed (%s); asking day by day", month, exc)
            papers = None
        return self._poll_span(days, papers)

    async def poll_week(self, week: str) -> tuple[PollReport, list[date]]:
        """As `poll_month`, for an ISO week (`2026-W48`) in one paged `week=` request."""
        days = week_days(week)
        try:
            papers = await self.feed.fetch_week(week)
        except FeedError as exc:
            log.warning("fetching Daily Papers for %s failed (%s); asking day by day", week, exc)
            papers = None
        return self._poll_span(days, papers)

    def _poll_span(
        self, days: list[date], papers: list[Paper] | None
    ) -> tuple[PollReport, list[date]]:
        """Store a month's or week's answer; return it and the days it leaves to ask by date.

        The answer's papers are stored, each on its own day, also those of days outside the
        span (HF's fuzzy edges): those days are not recorded, since the answer need not hold
        their whole list. The span's days up to today are recorded as fetched, but for a
        weekday without papers: Daily Papers has papers practically every weekday (§5), so an
        empty one is confirmed with its own `date=` request rather than taken from an answer
        that may have missed it (an API that serves months only from some date on answers
        `[]`). Days after today are neither recorded nor asked: they have no papers yet.
        """
        report = PollReport(days=days)
        if papers is None:
            return report, days
        today = self.clock().astimezone(UTC).date()
        listed = {paper.day for paper in papers}
        past = [day for day in days if day <= today]
        left = [day for day in past if day not in listed and day.weekday() < 5]
        self._store(report, papers, [day for day in past if day not in left], None)
        return report, left

    def _store(
        self, report: PollReport, papers: list[Paper], days: Sequence[date], alert_from: date | None
    ) -> None:
        """Store fetched papers and record the days they complete."""
        today = self.clock().astimezone(UTC).date()
        result = self.repo.upsert_papers(papers, self.clock(), alert_from=alert_from)
        for day in days:
            if day <= today:  # a future day's empty answer says nothing about that day
                self.repo.record_poll(day, sum(p.day == day for p in papers), self.clock())
        report.fetched += len(papers)
        report.new.extend(result.new)
        report.updated += result.updated

    async def send_pending_alerts(self) -> Counter[str]:
        """Run the alert fan-out for every paper marked for it, then unmark them.

        A paper never fanned out alerts only the subscriptions made no later than it was first
        stored: one made since (during this poll, or after a crash left it marked) sees it as
        a paper already seen."""
        pending = self.repo.papers_pending_alerts()
        if not pending:
            return Counter()
        papers = [paper for paper, _, _ in pending]
        before = {paper.id: upvotes for paper, upvotes, _ in pending if upvotes is not None}
        first_seen = {paper.id: seen for paper, upvotes, seen in pending if upvotes is None}
        alerts = await self.alert_matcher.match(self.repo, papers, before, first_seen)
        direct = await self.interest_matcher.direct(self.repo, papers, before, first_seen)
        outcomes = await self._fan_out(alerts)
        # After the channels' alerts: a refused DM's mention goes in the alert's thread.
        outcomes.update(
            await send_direct(self.repo, self.deliverer, self._deliver_all, self.clock, direct)
        )
        self.repo.clear_pending_alerts(papers)
        return outcomes

    async def _fan_out(self, alerts: Sequence[Alert]) -> Counter[str]:
        """Deliver alerts, laid out as each channel's digest is: in order within a channel,
        channels side by side."""
        kind = self.kinds[ALERT_KIND]
        layouts: dict[ChannelRef, Layout] = {}
        for alert in alerts:
            if alert.channel not in layouts:
                layouts[alert.channel] = channel_layout(self.repo, alert.channel)
        alerts = [replace(a, layout=layouts[a.channel]) for a in alerts]
        with self.deliverer.fan_out(ALERT_KIND, len(alerts)):
            return await self._deliver_all(
                [(PostKey(a.channel, ALERT_KIND, a.paper.id), a, kind.payload(a)) for a in alerts]
            )

    async def _deliver_all(
        self,
        posts: Sequence[tuple[PostKey, Post, str | None]],
        after: Mapping[PostKey, PostKey] | None = None,
    ) -> Counter[str]:
        """Deliver posts in order within a channel, channels side by side (each platform
        paces per channel, so a slow channel does not hold up the others); a post of `after`
        only once the post it names (earlier in its channel) was sent."""
        outcomes: Counter[str] = Counter()
        waits = after or {}
        sent: set[PostKey] = set()
        by_channel: dict[ChannelRef, list[tuple[PostKey, Post, str | None]]] = {}
        for item in posts:
            by_channel.setdefault(item[0].channel, []).append(item)
        gate = asyncio.Semaphore(FAN_OUT_CHANNELS)

        async def channel_worker(queue: list[tuple[PostKey, Post, str | None]]) -> None:
            async with gate:
                for key, post, payload in queue:
                    if key in waits and waits[key] not in sent:
                        continue  # not now: the next poll decides again
                    outcome = await self.deliverer.deliver(key, post, payload)
                    outcomes[outcome.value] += 1
                    if outcome is Outcome.SENT:
                        sent.add(key)

        queues = interleaved(list(by_channel.values()), lambda queue: queue[0][0].channel)
        await asyncio.gather(*(channel_worker(queue) for queue in queues))
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
        resumed: set[tuple[ChannelRef, str]] = set()
        dead = self.deliverer.dead_owners()
        # Every 15 s: read only the paused channels, not every channel paperboy knows.
        paused = {c.channel for c in self.repo.channels(paused=True)}
        for entry in self.repo.open_deliveries(self.clock(), held=True, dead=dead):
            channel = entry.key.channel
            kind = self.kinds.get(entry.key.kind)
            if kind is None or channel.platform not in self.publishers:
                continue  # a kind this version does not know, or for the process that runs it
            if channel in paused or self.deliverer.workspace_paused(channel):
                continue  # kept until the channel is resumed
            if entry.state == "held" and entry.key.kind == DIGEST_KIND:
                # Daily digests held while the channel was paused collapse into one catch-up
                # (a held weekly roll-up is its week's: it is delivered as it was held).
                self.repo.drop_held(entry.key)
                resumed.add((channel, entry.key.kind))
                continue
            if not self._due_for_retry(entry):
                continue
            post = rebuild(kind, self.repo, entry) or self._legacy_digest(entry)
            if post is None:
                self.repo.abandon_delivery(entry.key, "superseded or nothing left to post")
                continue
            posts.append((entry.key, post, entry.payload))
        outcomes = await self._deliver_all(posts)
        # A DM retried now and refused for good goes once as a mention, as in the fan-out.
        retried = [post for _, post, _ in posts if isinstance(post, DirectMessage)]
        if retried:
            outcomes.update(
                await mention_refused(
                    self.repo, self.deliverer, self._deliver_all, self.clock, retried
                )
            )
        for channel, timed in sorted(resumed, key=lambda item: (item[0].key, item[1])):
            outcome = await self.run_scheduled(channel, timed)
            if outcome is not None:
                outcomes[outcome.value] += 1
        return outcomes

    def _legacy_digest(self, entry: LedgerEntry) -> Post | None:
        """A daily digest left open by a version that stored no payload: built again for its
        day, with the channel's schedule (unless a later digest already covered it)."""
        key = entry.key
        if entry.payload is not None or key.kind != DIGEST_KIND:
            return None
        if any(ref > key.ref for ref in self.repo.delivered(key.channel, DIGEST_KIND)):
            return None
        timed = self.timed(DIGEST_KIND)
        return timed.build(
            self.repo,
            self.schedule(key.channel),
            timed.covering(date.fromisoformat(key.ref)),
            settled=self.repo.settled_days(),
        )

    def resume(self, ref: ChannelRef) -> bool:
        """Resume a paused channel and its workspace (what was held is delivered by the next
        recovery); False when neither was paused."""
        settings = self.repo.channel(ref)
        resumed = False
        if settings is not None and settings.paused:
            log.info("resuming paused channel %s", ref.key)
            self.repo.save_channel(replace(settings, paused=False, failures=0, paused_reason=None))
            self.repo.reset_failures(ref)
            resumed = True
        for workspace in (ref.workspace, ALL_WORKSPACES):
            if self.repo.resume_workspace(ref.platform, workspace):
                log.info("resuming paused %s workspace %s", ref.platform, workspace)
                resumed = True
        return resumed

    # --- timed posts (the daily digest, the weekly roll-up) --------------------------------

    def post_for(
        self,
        ref: ChannelRef,
        kind: str = DIGEST_KIND,
        day: date | None = None,
        top: int | None = None,
        at: datetime | None = None,
    ) -> Digest | None:
        """The post a channel gets at `at` (default now), or the one covering `day`, without
        sending it."""
        timed = self.timed(kind)
        schedule = self.schedule(ref, kind)
        due = timed.covering(day) if day else timed.due(self.repo, schedule, at or self.clock())
        if due is None:
            return None
        return timed.build(self.repo, schedule, due, top=top, settled=self.repo.settled_days())

    async def run_scheduled(
        self, ref: ChannelRef, kind: str = DIGEST_KIND, at: datetime | None = None
    ) -> Outcome | None:
        """One channel's job of a timed kind, as scheduled for `at` (default now): fetch the
        days it covers that were never fetched, then post."""
        schedule = self.schedule(ref, kind)
        if not schedule.enabled:  # turned off since the job was scheduled
            return None
        due = self.timed(kind).due(self.repo, schedule, at or self.clock())
        if due is None:
            return None
        await self._fetch_missing(due.days)
        return await self.send_scheduled(ref, kind, at=at)

    async def send_scheduled(
        self,
        ref: ChannelRef,
        kind: str = DIGEST_KIND,
        day: date | None = None,
        top: int | None = None,
        at: datetime | None = None,
    ) -> Outcome | None:
        """Post a channel's timed post through the ledger; None when there is nothing to
        post."""
        timed = self.timed(kind)
        schedule = self.schedule(ref, kind)
        due = timed.covering(day) if day else timed.due(self.repo, schedule, at or self.clock())
        if due is None:
            return None
        post = timed.build(self.repo, schedule, due, top=top, settled=self.repo.settled_days())
        if post is None:
            return None
        payload = timed.payload(post, self._built_with(schedule, top))
        if post.layout is Layout.COMPACT and post.papers and self._climbers(ref) is not None:
            # It lives, with a `digest climbers N`: keep the counts at posting, so that only a
            # paper that crosses N afterwards gets a reply (a threshold set later counts from
            # the first refresh after it).
            payload = living_reads.with_baseline(self.repo, post, payload)
        return await self.deliverer.deliver(PostKey(ref, kind, due.ref), post, payload)

    def _climbers(self, ref: ChannelRef) -> int | None:
        """The channel's late-climber threshold (on its daily digest's schedule)."""
        daily = self.repo.schedule(ref, DIGEST_KIND)
        return daily.climbers if daily is not None else None

    def _built_with(self, schedule: Schedule, top: int | None) -> Schedule:
        """The settings a timed post is built with, as its payload keeps them for a later
        version: its size (or `top`) and minimum, and the channel's filter (on the daily
        digest's schedule, also for the weekly roll-up)."""
        if top:
            schedule = replace(schedule, size=top)
        if schedule.kind != DIGEST_KIND:
            daily = self.repo.schedule(schedule.channel, DIGEST_KIND)
            schedule = replace(schedule, filter=daily.filter if daily is not None else None)
        return schedule

    async def send_many(
        self,
        refs: Sequence[ChannelRef],
        kind: str = DIGEST_KIND,
        *,
        day: date | None = None,
        top: int | None = None,
    ) -> list[Outcome | None]:
        """Post one timed post to many channels side by side (each platform paces itself)."""
        gate = asyncio.Semaphore(FAN_OUT_CHANNELS)

        async def one(ref: ChannelRef) -> Outcome | None:
            async with gate:
                return await self.send_scheduled(ref, kind, day=day, top=top)

        # Started workspace by workspace in turn (gather starts tasks in order), so the
        # bounded fan-out keeps every workspace's pacer busy; results come back in order.
        order = interleaved(list(range(len(refs))), lambda i: refs[i])
        results = await asyncio.gather(*(one(refs[i]) for i in order))
        by_index = dict(zip(order, results, strict=True))
        return [by_index[i] for i in range(len(refs))]

    async def catch_up(self) -> dict[str, Outcome | None]:
        """After a start: post each enabled schedule's post whose last run was missed (never
        one from before it was turned on), channels side by side."""
        now = self.clock()
        slots: dict[tuple[ChannelRef, str], datetime] = {}
        missing: set[date] = set()
        for n, schedule in enumerate(self.repo.schedules(enabled=True), 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of channels: let commands through
            timed = self.timed_kinds.get(schedule.kind)
            if timed is None:
                continue
            missed = timed.previous_run(schedule, now)
            if schedule.enabled_at is not None and missed < schedule.enabled_at:
                continue
            due = timed.due(self.repo, schedule, missed)
            if due is not None:
                slots[(schedule.channel, schedule.kind)] = missed
                missing.update(due.days)
        await self._fetch_missing(missing)
        outcomes = await self.run_side_by_side(
            [(ref, kind, at) for (ref, kind), at in slots.items()]
        )
        return {
            (ref.key if kind == DIGEST_KIND else f"{ref.key} {kind}"): outcome
            for (ref, kind, _), outcome in outcomes
        }

    async def run_side_by_side(
        self, runs: Sequence[tuple[ChannelRef, str, datetime | None]]
    ) -> list[tuple[tuple[ChannelRef, str, datetime | None], Outcome | None]]:
        """Run the scheduled posts of many channels (channel, kind, as scheduled at; None:
        now) at once, bounded; each platform paces its own requests."""
        gate = asyncio.Semaphore(FAN_OUT_CHANNELS)
        runs = interleaved(runs, lambda run: run[0])

        async def one(run: tuple[ChannelRef, str, datetime | None]) -> Outcome | None:
            async with gate:
                return await self.run_scheduled(run[0], run[1], at=run[2])

        results = await asyncio.gather(*(one(run) for run in runs))
        return list(zip(runs, results, strict=True))

    async def _fetch_missing(self, days: Iterable[date]) -> None:
        """Fetch the days that were never fetched (today's and earlier: later ones are
        empty)."""
        today = self.clock().astimezone(UTC).date()
        missing = sorted(set(days) - self.repo.polled_days())
        missing = [d for d in missing if d <= today]
        if missing:
            await self.poll(missing)
