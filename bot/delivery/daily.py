"""The daily digest: the top papers of the day, at the channel's time and time zone."""

from __future__ import annotations

from datetime import date, datetime

from bot.delivery.digests import DIGEST_KIND, build_digest, due_days
from bot.delivery.kinds import Due, ScheduledDigest
from bot.domain import ChannelRef, Digest, Schedule
from bot.ports import Repository


class DailyDigest(ScheduledDigest):
    """The daily digest kind (ledger ref: the newest day it covers)."""

    name = DIGEST_KIND
    label = "daily digest"

    def defaults(self, channel: ChannelRef) -> Schedule:
        """Off, at the configured default time and zone."""
        return Schedule(channel, self.name, time=self.time, timezone=self.timezone)

    def due(self, repo: Repository, schedule: Schedule, now: datetime) -> Due | None:
        """The target day, plus days missed while paperboy was down (at most a week)."""
        days = due_days(repo, schedule, now)
        return Due(days[-1].isoformat(), tuple(days)) if days else None

    def covering(self, day: date) -> Due:
        """That one day."""
        return Due(day.isoformat(), (day,))

    def build(
        self,
        repo: Repository,
        schedule: Schedule,
        due: Due,
        *,
        top: int | None = None,
        settled: set[date] | None = None,
    ) -> Digest | None:
        """The top papers of the due days."""
        return build_digest(repo, schedule, due.days, top=top, settled=settled)
