"""The living digest's test world: a chat platform with history (messages edited in place,
replies in threads, a lookup by token), a day of papers whose upvotes tests set, and a core
that posts a compact digest of it and polls as the scheduler does."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.delivery.deliverer import Outcome
from bot.delivery.kinds import EDIT_KIND
from bot.delivery.living_reads import LIVE_FOR
from bot.domain import ChannelRef, Climber, Digest, DigestEdit, Paper, Post, PostKey
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, StaticFeed, at, make_paper

CH = ChannelRef("test", "W1", "C1")
DAY = date(2026, 11, 24)
POSTED = at("2026-11-25 09:00")
DIGEST = PostKey(CH, "digest", DAY.isoformat())

World = tuple[Paperboy, StaticFeed, Clock]


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in paperboy catches it)."""


@dataclass
class Platform:
    """A chat platform with history: messages by id, edits applied in place, replies in
    threads; `find` answers by the post's token (never asked about an edit)."""

    platform: str = "test"
    messages: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    posted: list[tuple[str, Post]] = field(default_factory=list)
    edits: list[tuple[str, int, list[tuple[str, int]]]] = field(default_factory=list)
    replies: list[tuple[str, str, str]] = field(default_factory=list)  # thread, paper, reason
    by_token: dict[str, str] = field(default_factory=dict)
    finds: list[tuple[str, str | None]] = field(default_factory=list)
    # Raised at the next edit: before the request (`before`) or after it was applied.
    crash: tuple[BaseException, bool] | None = None
    refuse_edits: DeliveryError | None = None
    refuse_replies: DeliveryError | None = None

    async def publish(self, post: Post, tracker: Any) -> str:
        if tracker.parts_sent >= 1:
            return str(tracker.first_id)
        await tracker.claim(1)
        if isinstance(post, DigestEdit):
            return await self._edit(post, tracker)
        if isinstance(post, Climber) and self.refuse_replies is not None:
            raise self.refuse_replies
        message_id = f"m{len(self.posted) + 1}"
        self.posted.append((message_id, post))
        self.by_token[tracker.key.token(1)] = message_id
        if isinstance(post, Digest):
            self.messages[message_id] = [(p.id, p.upvotes) for p in post.papers]
        if isinstance(post, Climber):
            self.replies.append((post.thread, post.paper.id, post.reason))
        await tracker.sent(1, message_id, thread_id=message_id)
        return message_id

    async def _edit(self, edit: DigestEdit, tracker: Any) -> str:
        if self.refuse_edits is not None:
            raise self.refuse_edits
        crash, self.crash = self.crash, None
        if crash is not None and crash[1]:
            raise crash[0]
        shown = [(p.id, p.upvotes) for p in edit.digest.papers]
        self.messages[edit.message_id] = shown
        self.edits.append((edit.message_id, edit.version, shown))
        if crash is not None:
            raise crash[0]
        await tracker.sent(1, edit.message_id)
        return edit.message_id

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        assert key.kind != EDIT_KIND, "an edit is never looked for"
        self.finds.append((key.kind, thread_id))
        return self.by_token.get(key.token(part))


def day(*upvotes: int, ids: str = "ABCDEFGH") -> list[Paper]:
    """The feed's list of DAY: paper A with the first count, B the second, …"""
    named = zip(ids[: len(upvotes)], upvotes, strict=True)
    return [make_paper(f"2411.0000{i}", DAY, n, title=f"Paper {i}") for i, n in named]


def pid(letter: str) -> str:
    return f"2411.0000{letter}"


async def post_digest(core: Paperboy, clock: Clock) -> None:
    await core.poll([DAY])
    clock.now = POSTED
    assert await core.send_scheduled(CH, "digest", day=DAY) is Outcome.SENT


async def poll_at(
    core: Paperboy, clock: Clock, after: timedelta, feed: StaticFeed, *up: int
) -> None:
    """Move to POSTED + after, let the feed answer DAY with these counts, and poll as the
    scheduler does (the default days)."""
    clock.now = POSTED + after
    feed.days[DAY] = day(*up)
    feed.fetched.clear()
    await core.poll()
    assert DAY in feed.fetched or after >= LIVE_FOR  # a live digest's day is read again


def versions(platform: Platform) -> list[int]:
    return [version for _, version, _ in platform.edits]


def edit_refs(store: Store) -> list[tuple[str, str]]:
    return [(e.key.ref, e.state) for e in store.posts_under(CH, EDIT_KIND, "digest:")]


def with_threshold(world: World, threshold: int) -> None:
    """The channel's `digest climbers` threshold."""
    core, _, _ = world
    core.save_schedule(replace(core.schedule(CH), climbers=threshold))


def unharmed(store: Store) -> bool:
    """Whether the channel is neither paused nor counting failures (a refusal for good of an
    edit or a reply is that message's fault, not the channel's)."""
    settings = store.channel(CH)
    return settings is not None and not settings.paused and settings.failures == 0
