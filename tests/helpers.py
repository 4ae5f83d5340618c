"""Test doubles for the core's ports that are not worth a server: a clock, a static feed,
a scriptable publisher, and a paper factory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain import ChannelRef, Paper, PostKey
from bot.domain import Post as DomainPost
from bot.ports import ClaimLost, DeliveryError
from storage.store import Store


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def at(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_paper(
    paper_id: str,
    day: date | str,
    upvotes: int = 0,
    comments: int = 0,
    title: str | None = None,
    summary: str = "An abstract.",
    **extra: object,
) -> Paper:
    """A Paper with sensible defaults."""
    return Paper(
        id=paper_id,
        title=title or f"Paper {paper_id}",
        summary=summary,
        authors=("Ada Lovelace", "Alan Turing"),
        upvotes=upvotes,
        comments=comments,
        day=date.fromisoformat(day) if isinstance(day, str) else day,
        **extra,  # type: ignore[arg-type]
    )


class StaticFeed:
    """A feed whose days are set by the test."""

    def __init__(
        self,
        days: dict[date, list[Paper]] | None = None,
        *,
        weeks: bool = False,
        months: bool = False,
    ) -> None:
        self.days = days or {}
        self.fetched: list[date] = []
        self.weeks = weeks
        self.fetched_weeks: list[str] = []
        self.months = months
        self.fetched_months: list[str] = []

    async def fetch_day(self, day: date) -> list[Paper]:
        self.fetched.append(day)
        return list(self.days.get(day, []))

    async def fetch_week(self, week: str) -> list[Paper] | None:
        """Like HF's `week=`, when `weeks` is on; None (ask day by day) otherwise."""
        if not self.weeks:
            return None
        self.fetched_weeks.append(week)
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        return [
            p for offset in range(7) for p in self.days.get(monday + timedelta(days=offset), [])
        ]

    async def fetch_month(self, month: str) -> list[Paper] | None:
        """Like HF's `month=` (without its fuzzy edge), when `months` is on; None otherwise."""
        if not self.months:
            return None
        self.fetched_months.append(month)
        return [
            p
            for day, papers in sorted(self.days.items())
            if f"{day:%Y-%m}" == month
            for p in papers
        ]


@dataclass
class Post:
    channel: ChannelRef
    kind: str
    item: DomainPost


@dataclass
class ScriptedPublisher:
    """Records posts; `failures` lists errors to raise, in order, before posting succeeds.

    Like a platform with history: `find` answers from what was posted, by token, so a test
    can leave a post half done (`crash_after`) and check that recovery finishes it once.
    """

    platform: str = "test"
    posts: list[Post] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    by_token: dict[str, str] = field(default_factory=dict)
    # Raise this after posting the message (the platform has it; the answer is lost).
    crash_after: BaseException | None = None

    def _maybe_fail(self, channel: ChannelRef) -> None:
        if channel.channel in self.gone:
            raise DeliveryError("channel_not_found", permanent=True)
        if self.failures:
            raise self.failures.pop(0)

    async def publish(self, post: DomainPost, tracker: Any) -> str:
        if tracker.parts_sent >= 1:
            return str(tracker.first_id)
        await tracker.claim(1)
        self._maybe_fail(post.channel)
        self.posts.append(Post(post.channel, tracker.key.kind, post))
        message_id = f"m{len(self.posts)}"
        self.by_token[tracker.key.token(1)] = message_id
        if self.crash_after is not None:
            exc, self.crash_after = self.crash_after, None
            raise exc
        await tracker.sent(1, message_id, thread_id=message_id)
        return message_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        return self.by_token.get(key.token(part))

    def of_kind(self, kind: str) -> list[Post]:
        return [p for p in self.posts if p.kind == kind]


@dataclass
class MemoryTracker:
    """A Tracker (bot.ports) that keeps the ledger's view of one post in memory.

    `events` lists ("claim" | "sent" | "refused", part) in order; `lose_at` makes claiming
    that part raise ClaimLost, as when another process took the post over.
    """

    key: PostKey
    parts_sent: int = 0
    first_id: str | None = None
    thread_id: str | None = None
    events: list[tuple[str, int]] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)
    lose_at: int | None = None

    async def claim(self, part: int) -> None:
        if part == self.lose_at:
            raise ClaimLost(f"part {part} taken over")
        assert part == self.parts_sent + 1, f"claimed part {part} after {self.parts_sent} sent"
        self.events.append(("claim", part))

    async def sent(self, part: int, message_id: str, thread_id: str | None = None) -> None:
        assert ("claim", part) in self.events, f"part {part} sent without a claim"
        self.events.append(("sent", part))
        self.ids[part] = message_id
        self.parts_sent = part
        if part == 1:
            self.first_id = message_id
            self.thread_id = thread_id
        elif thread_id is not None:
            self.thread_id = thread_id

    async def refused(self, part: int) -> None:
        self.events.append(("refused", part))


def tracker_for(
    channel: ChannelRef, kind: str = "digest", ref: str = "2026-11-25", **state: Any
) -> MemoryTracker:
    """A MemoryTracker for one post."""
    return MemoryTracker(PostKey(channel, kind, ref), **state)


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait (bounded) until `check()` is truthy: for work that happens after an ack."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def seed_two_papers(store: Store) -> None:
    """The two papers the adapter tests search, list and count (on 2026-11-25)."""
    store.upsert_papers(
        [
            make_paper(
                "2411.00001",
                "2026-11-25",
                40,
                3,
                title="Video diffusion at scale",
                github_repo="https://github.com/a/b",
                github_stars=5,
            ),
            make_paper("2411.00002", "2026-11-25", 25, 1, title="Agents that plan"),
        ],
        at("2026-11-25 10:00"),
    )


async def alert_on(core: Any, papers: list[Paper]) -> dict[str, int]:
    """Alert on new papers the way production does: a poll finds them on their days (the
    core's feed now answers those days with them), and its fan-out delivers what it marked."""
    days: dict[date, list[Paper]] = {}
    for paper in papers:
        days.setdefault(paper.day, []).append(paper)
    core.feed = StaticFeed(days)
    return dict((await core.poll(sorted(days))).alerts)
