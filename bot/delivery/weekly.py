"""The weekly roll-up: the top papers of an ISO week, on the channel's weekday and time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.delivery.calendar import iso_week, target_week, week_days
from bot.delivery.digests import DIGEST_KIND, build_digest
from bot.delivery.kinds import Due, ScheduledDigest
from bot.domain import ChannelRef, Digest, Schedule
from bot.ports import Repository

WEEKLY_KIND = "weekly"
WEEKLY_TITLE = "Weekly top papers"
DEFAULT_WEEKDAY = 0  # Monday: last week's roll-up to start the week


class WeeklyRollup(ScheduledDigest):
    """The weekly roll-up kind (ledger ref: the ISO week, `2026-W48`)."""

    name = WEEKLY_KIND
    label = "weekly roll-up"
    weekly = True

    def defaults(self, channel: ChannelRef) -> Schedule:
        """Off; Mondays at the configured default time and zone."""
        return Schedule(
            channel, self.name, time=self.time, timezone=self.timezone, weekday=DEFAULT_WEEKDAY
        )

    def due(self, repo: Repository, schedule: Schedule, now: datetime) -> Due | None:
        """The week a run at `now` covers, unless it is out already (missed older weeks are
        not posted: a roll-up is about the latest week)."""
        week = target_week(now)
        if week in repo.delivered(schedule.channel, self.name):
            return None
        return Due(week, tuple(week_days(week)))

    def covering(self, day: date) -> Due:
        """The ISO week of that day."""
        week = iso_week(day)
        return Due(week, tuple(week_days(week)))

    def build(
        self,
        repo: Repository,
        schedule: Schedule,
        due: Due,
        *,
        top: int | None = None,
        settled: set[date] | None = None,
    ) -> Digest | None:
        """The top papers of the week by upvotes, nudged by the channel's clicks (of those the
        channel's digest filter matches, when it has one; a week without a match then follows
        `digest weekends`), in the channel's layout (both kept with the daily digest's
        settings)."""
        daily = repo.schedule(schedule.channel, DIGEST_KIND)
        if daily is not None:
            schedule = replace(schedule, layout=daily.layout)
            if daily.filter:
                schedule = replace(schedule, filter=daily.filter, weekends=daily.weekends)
        return build_digest(
            repo,
            schedule,
            due.days,
            top=top,
            settled=settled,
            title=WEEKLY_TITLE,
            period=f"week {due.ref}",
        )
