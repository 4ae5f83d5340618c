"""APScheduler wiring: the feed poll, the ledger's recovery tick, one job per time that timed
posts run at (built from the timed post kinds: the channels that share a time share a job),
catch-up on start."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.calendar import parse_hhmm, stored_zone
from bot.domain import WEEKDAYS, ChannelRef, DatabaseDamaged, Schedule
from bot.service import Paperboy, PollReport

if TYPE_CHECKING:
    from bot.app.metrics import Metrics

log = logging.getLogger(__name__)

POLL_JOB = "poll"
TICK_JOB = "tick"
COMPACT_JOB = "compact"
COMPACT_AT = (3, 17)  # UTC: a quiet hour, between Daily Papers' days
# How often the ledger is checked for posts a crash left in flight (or failed posts whose retry
# is due), and schedules changed by a command (here or in another process) are picked up: with
# claims leased for 30 s, a crash costs well under a minute's delay.
TICK_SECONDS = 15
# A job that fires late (a busy loop, a suspended laptop) still runs within this window; a
# longer outage is caught up from the deliveries ledger on the next start.
MISFIRE_GRACE_SECONDS = 3600
# Jobs are added this many at a time, yielding to the loop in between, so a start with
# thousands of channels stays responsive.
SYNC_BATCH = 500
# A damaged database fails every job until the operator repairs it: each job logs the one line
# that says what to do once, then again at most this often (not every 15 s from the tick).
DAMAGE_LOG_SECONDS = 600


def slot_id(schedule: Schedule, weekly: bool) -> str:
    """The job of every schedule of one kind that runs at the same time in the same zone
    (and weekday): thousands of channels share a few hundred such jobs."""
    when = f"{schedule.kind}@{schedule.time}@{schedule.timezone}"
    return f"{when}@{WEEKDAYS[schedule.weekday]}" if weekly else when


def trigger_for(schedule: Schedule, weekly: bool) -> CronTrigger:
    """The cron trigger of a schedule, in the channel's time zone."""
    at = parse_hhmm(schedule.time)
    return CronTrigger(
        hour=at.hour,
        minute=at.minute,
        day_of_week=WEEKDAYS[schedule.weekday][:3] if weekly else None,
        timezone=stored_zone(schedule.timezone),
    )


class _Job:
    """What every job runs in: a shutdown ends it quietly, a damaged database is one line (no
    traceback: there is no bug to trace), anything else is logged with its traceback; none is
    ever fatal. After it, `done` says whether the job's body ran to its end, `failed` whether
    an error (not a shutdown) cut it short."""

    def __init__(self, scheduler: Scheduler, name: str, failure: str | None) -> None:
        self.scheduler = scheduler
        self.name = name
        self.failure = failure or f"{name} failed"
        self.done = False
        self.failed = False

    def __enter__(self) -> _Job:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None:
            self.done = True
            self.scheduler._damage_logged.pop(self.name, None)  # repaired: a relapse is news
            return False
        if isinstance(exc, asyncio.CancelledError):
            # Shutdown: what was stored stays stored; the ledger finishes the rest next time.
            log.info("%s interrupted by shutdown", self.name)
            return True
        if isinstance(exc, DatabaseDamaged):
            self.scheduler._log_damage(self.name, exc)
        elif isinstance(exc, Exception):
            log.error("%s", self.failure, exc_info=exc)
        else:
            return False  # KeyboardInterrupt, SystemExit: not a job's to swallow
        self.failed = True
        return True


class Scheduler:
    """Runs the core's jobs on time; holds no logic of its own."""

    def __init__(self, core: Paperboy, poll_minutes: int, metrics: Metrics | None = None) -> None:
        self.core = core
        self.poll_minutes = poll_minutes
        self.metrics = metrics
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._members: dict[str, set[tuple[ChannelRef, str]]] = {}  # job id -> its schedules
        self._slot_of: dict[tuple[ChannelRef, str], str] = {}  # (channel, kind) -> job id
        self._version = 0  # the newest schedule change applied
        self.monotonic: Callable[[], float] = time.monotonic
        # job -> (the damage it last logged, when): one line per job and message per period.
        self._damage_logged: dict[str, tuple[str, float]] = {}

    def _job(self, name: str, failure: str | None = None) -> _Job:
        """The guard a job runs in (see `_Job`); `failure` replaces `<name> failed`."""
        return _Job(self, name, failure)

    def _log_damage(self, job: str, exc: DatabaseDamaged) -> None:
        """One line naming the file and its repair, once per job and message, then at most
        every DAMAGE_LOG_SECONDS while the damage lasts."""
        message, now = str(exc), self.monotonic()
        last = self._damage_logged.get(job)
        if last is not None and last[0] == message and now - last[1] < DAMAGE_LOG_SECONDS:
            log.debug("%s failed: %s", job, message)
            return
        self._damage_logged[job] = (message, now)
        log.error("%s failed: %s", job, message)

    def start(self) -> None:
        """Schedule the startup job, the periodic poll and tick; the timed posts' jobs are
        added by the startup job, in batches, without holding up the loop."""
        # No misfire grace limit: a busy start must never skip the first poll and catch-up.
        self.aps.add_job(
            self.startup, id="startup", next_run_time=datetime.now(UTC), misfire_grace_time=None
        )
        self.aps.add_job(
            self.poll,
            IntervalTrigger(minutes=self.poll_minutes, timezone=UTC),
            id=POLL_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.poll_minutes * 60,
        )
        self.aps.add_job(
            self.compact,
            CronTrigger(hour=COMPACT_AT[0], minute=COMPACT_AT[1], timezone=UTC),
            id=COMPACT_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )
        self.aps.add_job(
            self.tick,
            IntervalTrigger(seconds=TICK_SECONDS, timezone=UTC),
            id=TICK_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self.aps.start()

    @property
    def running(self) -> bool:
        """Whether it schedules jobs (started and not shut down)."""
        return bool(self.aps.running)

    def shutdown(self) -> None:
        """Stop scheduling; running jobs are abandoned (the ledger makes that safe)."""
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def sync(self) -> int:
        """Apply the schedule changes stored since the last sync (every schedule, the first
        time); return how many were applied."""
        version = self.core.repo.schedules_version()
        if version == self._version:
            return 0
        changed = self.core.repo.schedules(since_version=self._version)
        for start in range(0, len(changed), SYNC_BATCH):
            for schedule in changed[start : start + SYNC_BATCH]:
                self.sync_schedule(schedule)
            await asyncio.sleep(0)
        self._version = version
        return len(changed)

    def sync_schedule(self, schedule: Schedule) -> None:
        """Move one schedule to the job of its time (adding that job if it is the first
        there, removing its old one if it was the last)."""
        member = (schedule.channel, schedule.kind)
        timed = self.core.timed_kinds.get(schedule.kind)
        new = slot_id(schedule, timed.weekly) if timed and schedule.enabled else None
        old = self._slot_of.get(member)
        if old == new:
            return  # unchanged: its job keeps its next run
        if old is not None:
            members = self._members[old]
            members.discard(member)
            if not members:
                del self._members[old]
                if self.aps.get_job(old):
                    self.aps.remove_job(old)
            del self._slot_of[member]
        if new is None or timed is None:
            return
        self._slot_of[member] = new
        if new not in self._members:
            self._members[new] = set()
            self.aps.add_job(
                self.run,
                trigger_for(schedule, timed.weekly),
                args=[new],
                id=new,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
            )
        self._members[new].add(member)

    def slot_of(self, ref: ChannelRef, kind: str) -> str | None:
        """The job a channel's schedule of one kind runs in, if it is on."""
        return self._slot_of.get((ref, kind))

    def next_run(self, ref: ChannelRef, kind: str) -> datetime | None:
        """When a channel's job of one kind runs next, if it has one."""
        slot = self.slot_of(ref, kind)
        job = self.aps.get_job(slot) if slot else None
        return job.next_run_time if job else None

    async def startup(self) -> None:
        """Schedule every timed post, finish posts left in flight, poll, then post what was
        missed while paperboy was down (a job firing meanwhile posts nothing twice: the
        ledger holds one post per channel and slot)."""
        with self._job("scheduling the timed posts"):
            await self.sync()
        for step in (self.recover, self.poll):
            if _stopping():  # a step was cut short by shutdown: the rest waits for next time
                return
            await step()
        if _stopping():
            return
        with self._job("catch-up"):
            await self.core.catch_up()

    async def compact(self) -> None:
        """Merge the search index's segments, in a thread: each poll adds some."""
        # A full disk, a locked file: search still works, only slower.
        with self._job(
            "merging the search index", "could not merge the search index; it stays as it is"
        ):
            steps = await asyncio.to_thread(self.core.repo.optimize_search)
            log.info("search index merged in %d steps", steps)

    async def tick(self) -> None:
        """Pick up schedule changes, then finish what the ledger has open."""
        with self._job("syncing schedules"):
            await self.sync()
        if not _stopping():
            await self.recover()

    async def recover(self) -> None:
        """Finish posts a crash left in flight and retry failed ones."""
        with self._job("recovering open deliveries"):
            outcomes = await self.core.recover()
            if outcomes:
                log.info("recovered open deliveries: %s", _counts(outcomes))

    async def poll(self) -> None:
        """The periodic job: poll the feed and send alerts. Errors are logged, never fatal."""
        # Shutdown: what was stored stays stored, and marked alerts wait for the next run.
        with self._job("poll") as job:
            report = await self.core.poll()
        if not job.done:
            if job.failed:
                self._count_poll(None)
            return
        self._log_poll(report)
        self._count_poll(report)

    def _count_poll(self, report: PollReport | None) -> None:
        if self.metrics is not None:
            self.metrics.polled(report)

    @staticmethod
    def _log_poll(report: PollReport) -> None:
        log.info(
            "poll: %d papers fetched, %d new, %d updated, alerts %s%s",
            report.fetched,
            len(report.new),
            report.updated,
            _counts(report.alerts),
            f"; could not fetch {'; '.join(report.errors)}" if report.errors else "",
        )

    async def run(self, slot: str) -> None:
        """One time's job: every channel whose schedule runs then, side by side; errors are
        logged, never fatal."""
        members = sorted(self._members.get(slot, ()), key=lambda m: (m[0].key, m[1]))
        slot_kind = slot.partition("@")[0]  # every schedule in a slot has its kind (slot_id)
        with self._job(slot) as job:
            runs = [(ref, kind, None) for ref, kind in members]
            with self.core.deliverer.fan_out(slot_kind, len(runs)):
                outcomes = await self.core.run_side_by_side(runs)
        if not job.done:
            return
        counts = Counter(o.value if o else "nothing due" for _, o in outcomes)
        log.info(
            "%s: %d channel%s, %s",
            slot,
            len(members),
            "" if len(members) == 1 else "s",
            _counts(counts),
        )


def _stopping() -> bool:
    """Whether the running job is being cancelled (paperboy is stopping): a job that caught
    the cancellation of one step skips the next."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _counts(outcomes: Mapping[str, int]) -> str:
    """Outcome counts as `2 sent, 1 failed` (or `none`)."""
    return ", ".join(f"{n} {name}" for name, n in outcomes.items()) or "none"
