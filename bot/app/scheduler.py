"""APScheduler wiring: the feed poll, one digest job per enabled channel, catch-up on start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.calendar import parse_hhmm, parse_timezone
from bot.domain import ChannelRef, ChannelSettings
from bot.service import Paperboy, PollReport

log = logging.getLogger(__name__)

POLL_JOB = "poll"
RECOVER_JOB = "recover"
# How often the ledger is checked for posts a crash left in flight, or failed posts whose retry
# is due: with claims leased for 30 s, a crash costs well under a minute's delay.
RECOVER_SECONDS = 15
# A digest job that fires late (a busy loop, a suspended laptop) still runs within this window;
# a longer outage is caught up from the deliveries ledger on the next start.
DIGEST_MISFIRE_GRACE_SECONDS = 3600


DIGEST_JOB_PREFIX = "digest:"


def digest_job_id(ref: ChannelRef) -> str:
    """The scheduler job id of a channel's digest."""
    return f"{DIGEST_JOB_PREFIX}{ref.key}"


class Scheduler:
    """Runs the core's jobs on time; holds no logic of its own."""

    def __init__(self, core: Paperboy, poll_minutes: int) -> None:
        self.core = core
        self.poll_minutes = poll_minutes
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._when: dict[str, tuple[str, str]] = {}  # job id -> (HH:MM, zone) it runs at
        core.on_settings_changed = self.sync_channel

    def start(self) -> None:
        """Schedule the startup poll and catch-up, the periodic poll and every digest."""
        # No misfire grace limit: a start that is busy adding thousands of jobs must not skip
        # the first poll and catch-up.
        self.aps.add_job(self.startup, id="startup", next_run_time=datetime.now(UTC),
                         misfire_grace_time=None)
        self.aps.add_job(
            self.recover,
            IntervalTrigger(seconds=RECOVER_SECONDS, timezone=UTC),
            id=RECOVER_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self.aps.add_job(
            self.poll,
            IntervalTrigger(minutes=self.poll_minutes, timezone=UTC),
            id=POLL_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.poll_minutes * 60,
        )
        self.sync_all()
        self.aps.start()

    def sync_all(self) -> None:
        """Match the digest jobs to the stored settings (another process may have changed
        them: `paperboy command 'digest off'` while `paperboy run` is up)."""
        wanted = {digest_job_id(s.channel) for s in self.core.repo.channels(digest_enabled=True)}
        for job in self.aps.get_jobs():
            if job.id.startswith(DIGEST_JOB_PREFIX) and job.id not in wanted:
                job.remove()
                self._when.pop(job.id, None)
        for settings in self.core.repo.channels(digest_enabled=True):
            self.sync_channel(settings)

    def shutdown(self) -> None:
        """Stop scheduling; running jobs are abandoned (the ledger makes that safe)."""
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def sync_channel(self, settings: ChannelSettings) -> None:
        """Add, move or remove a channel's digest job after its settings changed."""
        job_id = digest_job_id(settings.channel)
        if not settings.digest_enabled:
            if self.aps.get_job(job_id):
                self.aps.remove_job(job_id)
            self._when.pop(job_id, None)
            return
        when = (settings.digest_time, settings.timezone)
        if self._when.get(job_id) == when and self.aps.get_job(job_id):
            return  # unchanged: replacing it would recompute, and could skip, its next run
        self._when[job_id] = when
        at = parse_hhmm(settings.digest_time)
        self.aps.add_job(
            self.digest,
            CronTrigger(hour=at.hour, minute=at.minute,
                        timezone=parse_timezone(settings.timezone)),
            args=[settings.channel],
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=DIGEST_MISFIRE_GRACE_SECONDS,
        )

    def next_digest(self, ref: ChannelRef) -> datetime | None:
        """When a channel's digest job runs next, if it has one."""
        job = self.aps.get_job(digest_job_id(ref))
        return job.next_run_time if job else None

    async def startup(self) -> None:
        """Finish posts left in flight, poll, then post digests whose time passed while
        paperboy was down."""
        await self.recover()
        await self.poll()
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # the poll was cut short by shutdown
            return
        try:
            await self.core.catch_up()
        except asyncio.CancelledError:
            log.info("digest catch-up interrupted by shutdown")
        except Exception:
            log.exception("digest catch-up failed")

    async def recover(self) -> None:
        """The ledger job: finish posts a crash left in flight and retry failed ones."""
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
        """The periodic job: poll the feed, send alerts, and pick up settings changed
        elsewhere. Errors are logged, never fatal."""
        try:
            try:
                self._log_poll(await self.core.poll())
            except Exception:
                log.exception("poll failed")
        except asyncio.CancelledError:
            # Shutdown: what was stored stays stored, and marked alerts wait for the next run.
            log.info("poll interrupted by shutdown")
            return
        self.sync_all()

    @staticmethod
    def _log_poll(report: PollReport) -> None:
        log.info("poll: %d papers fetched, %d new, %d updated, alerts %s%s",
                 report.fetched, len(report.new), report.updated, _counts(report.alerts),
                 f", errors: {report.errors}" if report.errors else "")

    async def digest(self, ref: ChannelRef) -> None:
        """One channel's digest job; errors are logged, never fatal."""
        try:
            outcome = await self.core.run_digest(ref)
        except asyncio.CancelledError:
            log.info("digest for %s interrupted by shutdown", ref.key)
            return
        except Exception:
            log.exception("digest for %s failed", ref.key)
            return
        log.info("digest for %s: %s", ref.key, outcome.value if outcome else "nothing due")


def _counts(outcomes: Mapping[str, int]) -> str:
    """Outcome counts as `2 sent, 1 failed` (or `none`)."""
    return ", ".join(f"{n} {name}" for name, n in outcomes.items()) or "none"
