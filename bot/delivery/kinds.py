"""Post kinds: what each kind of post stores in the ledger and how it is rebuilt from there (a
post resumed after a crash, or held while its channel was paused, is the same post); timed
kinds also say when they run and what is due."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.delivery.alerts import ALERT_KIND, match_alerts
from bot.delivery.calendar import next_run, previous_run
from bot.domain import Alert, ChannelRef, Digest, LedgerEntry, Paper, Post, Schedule
from bot.ports import Repository


class PostKind(Protocol):
    """One kind of post in the ledger."""

    name: str

    def payload(self, post: Post) -> str:
        """The post's content as JSON, to rebuild it later."""
        ...

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The post an open ledger entry stands for; None when it should not be sent."""
        ...


@dataclass(frozen=True)
class Due:
    """What a timed post covers: its ledger ref and the Daily Papers days it lists."""

    ref: str
    days: tuple[date, ...]


class TimedKind(PostKind, Protocol):
    """A kind of post that a channel gets on a schedule, in its time zone."""

    label: str  # "daily digest"
    weekly: bool  # its schedule has a weekday

    def defaults(self, channel: ChannelRef) -> Schedule:
        """The schedule a channel starts with."""
        ...

    def next_run(self, schedule: Schedule, now: datetime) -> datetime:
        """When the post runs next after `now`."""
        ...

    def previous_run(self, schedule: Schedule, now: datetime) -> datetime:
        """When the post last ran (or should have) at or before `now`."""
        ...

    def due(self, repo: Repository, schedule: Schedule, now: datetime) -> Due | None:
        """What a run at `now` posts (catch-up included); None when it is all out."""
        ...

    def covering(self, day: date) -> Due:
        """The post that covers one day (for a post asked for by hand)."""
        ...

    def build(
        self,
        repo: Repository,
        schedule: Schedule,
        due: Due,
        *,
        top: int | None = None,
        settled: set[date] | None = None,
    ) -> Digest | None:
        """The post for `due`; None when there is nothing to post."""
        ...


def _papers(repo: Repository, ids: list[str]) -> list[Paper]:
    return [p for p in (repo.get_paper(i) for i in ids) if p is not None]


class DigestPayload:
    """Stores a digest as its days, paper ids in their order, notice, title and period."""

    name: str

    def payload(self, post: Post) -> str:
        """The digest as JSON."""
        assert isinstance(post, Digest)
        return json.dumps(
            {
                "days": [d.isoformat() for d in post.days],
                "papers": [p.id for p in post.papers],
                "notice": post.notice,
                "title": post.title,
                "period": post.period,
            }
        )

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored digest; None once a later one of its kind reached the channel (that one
        covered these days as a catch-up), or for an old row without a payload."""
        channel = entry.key.channel
        if any(ref > entry.key.ref for ref in repo.delivered(channel, self.name)):
            return None
        if entry.payload is None:
            return None
        data = json.loads(entry.payload)
        return Digest(
            channel=channel,
            days=tuple(date.fromisoformat(d) for d in data["days"]),
            papers=tuple(_papers(repo, data["papers"])),
            notice=data.get("notice"),
            title=data.get("title") or "Daily Papers",
            period=data.get("period"),
        )


class ScheduledDigest(DigestPayload):
    """What the timed digest kinds share: a default time and zone, and runs at the channel's
    time (on its weekday, for a weekly kind)."""

    weekly = False

    def __init__(self, time: str = "09:00", timezone: str = "UTC") -> None:
        self.time = time
        self.timezone = timezone

    def _weekday(self, schedule: Schedule) -> int | None:
        return schedule.weekday if self.weekly else None

    def next_run(self, schedule: Schedule, now: datetime) -> datetime:
        """The next occurrence of the channel's time (and weekday)."""
        return next_run(schedule.time, schedule.timezone, now, self._weekday(schedule))

    def previous_run(self, schedule: Schedule, now: datetime) -> datetime:
        """The last occurrence of the channel's time (and weekday)."""
        return previous_run(schedule.time, schedule.timezone, now, self._weekday(schedule))


class AlertKind:
    """A keyword alert: one paper that matched some of a channel's subscriptions."""

    name = ALERT_KIND

    def payload(self, post: Post) -> str:
        """The paper's id and the queries it matched."""
        assert isinstance(post, Alert)
        return json.dumps({"paper": post.paper.id, "matched": list(post.matched)})

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored alert, with the paper as it is now."""
        paper = repo.get_paper(entry.key.ref)
        if paper is None:
            return None
        if entry.payload is None:  # written before payloads were stored: match again
            found = match_alerts(repo.subscriptions(entry.key.channel), [paper])
            return found[0] if found else None
        matched = tuple(json.loads(entry.payload)["matched"])
        return Alert(channel=entry.key.channel, paper=paper, matched=matched)
