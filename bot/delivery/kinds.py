"""Post kinds: what each kind of post stores in the ledger and how it is rebuilt from there (a
post resumed after a crash, or held while its channel was paused, is the same post); timed
kinds also say when they run and what is due."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from bot.delivery.alerts import ALERT_KIND, match_alerts
from bot.delivery.calendar import next_run, previous_run
from bot.delivery.digests import DIGEST_KIND
from bot.domain import (
    Alert,
    ChannelRef,
    Digest,
    Layout,
    LedgerEntry,
    Paper,
    Post,
    Schedule,
)
from bot.ports import Repository

# A posted digest's new version (its part 1 edited in place; ref `digest:2026-05-13#001`) and a
# paper that climbed into it later (a reply in its thread; ref `digest:2026-05-13:2405.01234`).
EDIT_KIND = "edit"
CLIMBER_KIND = "climber"


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

    def payload(self, post: Post, schedule: Schedule | None = None) -> str:
        """The post as JSON, with what `schedule` (the settings it was built with) says a
        later version must be built with."""
        ...

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


def _papers(repo: Repository, ids: list[str], upvotes: list[int] | None = None) -> list[Paper]:
    """The stored papers of `ids`, in order; with `upvotes`, each shown with its count as
    posted (a post resumed or edited again shows what it showed)."""
    counts = dict(zip(ids, upvotes, strict=False)) if upvotes else {}
    found = [p for p in (repo.get_paper(i) for i in ids) if p is not None]
    return [replace(p, upvotes=counts[p.id]) if p.id in counts else p for p in found]


def digest_data(digest: Digest, schedule: Schedule | None = None) -> dict[str, Any]:
    """A digest as a JSON-ready dict: its days, papers in order with their upvotes as posted,
    notice, title, period and layout; with `schedule`, also the size, minimum upvotes and
    filter it was built with (what a later version is built with again)."""
    data: dict[str, Any] = {
        "days": [d.isoformat() for d in digest.days],
        "papers": [p.id for p in digest.papers],
        "upvotes": [p.upvotes for p in digest.papers],
        "notice": digest.notice,
        "title": digest.title,
        "period": digest.period,
        "layout": digest.layout.value,
    }
    if schedule is not None:
        data.update(size=schedule.size, min_upvotes=schedule.min_upvotes, filter=schedule.filter)
    return data


def digest_from(repo: Repository, channel: ChannelRef, data: dict[str, Any]) -> Digest:
    """The digest `digest_data` stored (a payload from before layouts reads as FULL: it was
    posted with every paper's card)."""
    return Digest(
        channel=channel,
        days=tuple(date.fromisoformat(d) for d in data["days"]),
        papers=tuple(_papers(repo, list(data["papers"]), data.get("upvotes"))),
        notice=data.get("notice"),
        title=data.get("title") or "Daily Papers",
        period=data.get("period"),
        layout=Layout(data.get("layout") or Layout.FULL.value),
    )


def built_with(data: dict[str, Any], channel: ChannelRef, kind: str) -> Schedule:
    """The settings a stored digest was built with, as a schedule to build it again (one
    stored without them: its own size, no minimum, no filter)."""
    return Schedule(
        channel,
        kind,
        enabled=True,
        size=int(data.get("size") or len(data["papers"]) or 1),
        min_upvotes=int(data.get("min_upvotes") or 0),
        filter=data.get("filter"),
        layout=Layout(data.get("layout") or Layout.FULL.value),
    )


class DigestPayload:
    """Stores a digest as `digest_data`: days, paper ids and upvotes, notice, title, period,
    layout, and the settings it was built with."""

    name: str

    def payload(self, post: Post, schedule: Schedule | None = None) -> str:
        """The digest as JSON (with the settings of `schedule`, for a later version)."""
        assert isinstance(post, Digest)
        return json.dumps(digest_data(post, schedule))

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored digest; None once a later one of its kind reached the channel (that one
        covered these days as a catch-up), or for an old row without a payload."""
        channel = entry.key.channel
        if any(ref > entry.key.ref for ref in repo.delivered(channel, self.name)):
            return None
        if entry.payload is None:
            return None
        return digest_from(repo, channel, json.loads(entry.payload))


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
        """The paper's id, the queries it matched (and their ids), its layout, and why."""
        assert isinstance(post, Alert)
        data: dict[str, Any] = {
            "paper": post.paper.id,
            "matched": list(post.matched),
            "layout": post.layout.value,
            "subscriptions": list(post.subscriptions),
        }
        if post.why is not None:
            data["why"] = post.why
        return json.dumps(data)

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored alert, with the paper as it is now (laid out as the channel's digest
        is, when stored before alerts had a layout)."""
        paper = repo.get_paper(entry.key.ref)
        if paper is None:
            return None
        if entry.payload is None:  # written before payloads were stored: match again
            found = match_alerts(repo.subscriptions(entry.key.channel), [paper])
            return (
                replace(found[0], layout=channel_layout(repo, entry.key.channel)) if found else None
            )
        data = json.loads(entry.payload)
        layout = data.get("layout")
        return Alert(
            channel=entry.key.channel,
            paper=paper,
            matched=tuple(data["matched"]),
            layout=Layout(layout) if layout else channel_layout(repo, entry.key.channel),
            subscriptions=tuple(int(i) for i in data.get("subscriptions") or ()),
            why=data.get("why"),
        )


def channel_layout(repo: Repository, channel: ChannelRef) -> Layout:
    """The channel's layout, set on its daily digest's schedule (compact when never set)."""
    daily = repo.schedule(channel, DIGEST_KIND)
    return daily.layout if daily is not None else Layout.COMPACT
