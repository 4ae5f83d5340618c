"""APScheduler wiring: the feed poll, the ledger's recovery, one job per enabled schedule (built
from the timed post kinds), catch-up on start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.calendar import parse_hhmm, parse_timezone
from bot.domain import WEEKDAYS, ChannelRef, Schedule
from bot.service import Paperboy, PollReport

log = logging.getLogger(__name__)

POLL_JOB = "poll"
TICK_JOB = "tick"
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


def job_id(ref: ChannelRef, kind: str) -> str:
    """The scheduler job id of a channel's timed post of one kind."""
    return f"{kind}:{ref.key}"


def trigger_for(schedule: Schedule, weekly: bool) -> CronTrigger:
    """The cron trigger of a schedule, in the channel's time zone."""
    at = parse_hhmm(schedule.time)
    return CronTrigger(hour=at.hour, minute=at.minute,
                       day_of_week=WEEKDAYS[schedule.weekday][:3] if weekly else None,
                       timezone=parse_timezone(schedule.timezone))


class Scheduler:
    """Runs the core's jobs on time; holds no logic of its own."""

    def __init__(self, core: Paperboy, poll_minutes: int) -> None:
        self.core = core
        self.poll_minutes = poll_minutes
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._when: dict[str, tuple[str, str, int]] = {}  # job id -> when it runs
        self._version = 0  # the newest schedule change applied

    def start(self) -> None:
        """Schedule the startup job, the periodic poll and tick; the timed posts' jobs are
        added by the startup job, in batches, without holding up the loop."""
        # No misfire grace limit: a busy start must never skip the first poll and catch-up.
        self.aps.add_job(self.startup, id="startup", next_run_time=datetime.now(UTC),
                         misfire_grace_time=None)
        self.aps.add_job(
            self.poll,
            IntervalTrigger(minutes=self.poll_minutes, timezone=UTC),
            id=POLL_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.poll_minutes * 60,
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
            for schedule in changed[start:start + SYNC_BATCH]:
                self.sync_schedule(schedule)
            await asyncio.sleep(0)
        self._version = version
        return len(changed)

    def sync_schedule(self, schedule: Schedule) -> None:
        """Add, move or remove the job of one schedule."""
        jid = job_id(schedule.channel, schedule.kind)
        timed = self.core.timed_kinds.get(schedule.kind)
        if timed is None or not schedule.enabled:
            if self.aps.get_job(jid):
                self.aps.remove_job(jid)
            self._when.pop(jid, None)
            return
        when = (schedule.time, schedule.timezone, schedule.weekday if timed.weekly else -1)
        if self._when.get(jid) == when:
            return  # unchanged: replacing it would recompute, and could skip, its next run
        self._when[jid] = when
        self.aps.add_job(
            self.run,
            trigger_for(schedule, timed.weekly),
            args=[schedule.channel, schedule.kind],
            id=jid,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )

    def next_run(self, ref: ChannelRef, kind: str) -> datetime | None:
        """When a channel's job of one kind runs next, if it has one."""
        job = self.aps.get_job(job_id(ref, kind))
        return job.next_run_time if job else None

    async def startup(self) -> None:
        """Schedule every timed post, finish posts left in flight, poll, then post what was
        missed while paperboy was down (a job firing meanwhile posts nothing twice: the
        ledger holds one post per channel and slot)."""
        try:
            await self.sync()
        except Exception:
            log.exception("scheduling the timed posts failed")
        await self.recover()
        await self.poll()
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # the poll was cut short by shutdown
            return
        try:
            await self.core.catch_up()
        except asyncio.CancelledError:
            log.info("catch-up interrupted by shutdown")
            return
        except Exception:
            log.exception("catch-up failed")

    async def tick(self) -> None:
        """Pick up schedule changes, then finish what the ledger has open."""
        try:
            await self.sync()
        except Exception:
            log.exception("syncing schedules failed")
        await self.recover()

    async def recover(self) -> None:
        """Finish posts a crash left in flight and retry failed ones."""
        try:
            outcomes = await self.core.recover()
        except asyncio.CancelledError:
            log.info("recovery interrupted by shutdown")
            return
        except Exception:
            log.exception("recovering open deliveries failed")
            return
        if outcomes:
            log.info("recovered open deliveries: %s", _counts(outcomes))

    async def poll(self) -> None:
        """The periodic job: poll the feed and send alerts. Errors are logged, never fatal."""
        try:
            self._log_poll(await self.core.poll())
        except asyncio.CancelledError:
            # Shutdown: what was stored stays stored, and marked alerts wait for the next run.
            log.info("poll interrupted by shutdown")
        except Exception:
            log.exception("poll failed")

    @staticmethod
    def _log_poll(report: PollReport) -> None:
        log.info("poll: %d papers fetched, %d new, %d updated, alerts %s%s",
                 report.fetched, len(report.new), report.updated, _counts(report.alerts),
                 f", errors: {report.errors}" if report.errors else "")

    async def run(self, ref: ChannelRef, kind: str) -> None:
        """One channel's job of a timed kind; errors are logged, never fatal."""
        try:
            outcome = await self.core.run_scheduled(ref, kind)
        except asyncio.CancelledError:
            log.info("%s for %s interrupted by shutdown", kind, ref.key)
            return
        except Exception:
            log.exception("%s for %s failed", kind, ref.key)
            return
        log.info("%s for %s: %s", kind, ref.key, outcome.value if outcome else "nothing due")


def _counts(outcomes: Mapping[str, int]) -> str:
    """Outcome counts as `2 sent, 1 failed` (or `none`)."""
    return ", ".join(f"{n} {name}" for name, n in outcomes.items()) or "none"
