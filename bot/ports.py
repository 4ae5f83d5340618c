"""What the core needs from the outside: a repository, a feed and publishers (structural types)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.domain import (
    Action,
    ChannelRef,
    ChannelSettings,
    Click,
    Interest,
    LedgerEntry,
    Paper,
    Post,
    PostKey,
    Schedule,
    SearchHit,
    Subscription,
    UpsertResult,
)

if TYPE_CHECKING:
    from bot.domain.query import Query


class DeliveryError(Exception):
    """A post could not be delivered.

    `permanent`: the channel is gone or forbids us (pause it now). `message_fault`: the
    platform refused this message itself (too long, invalid blocks): the channel is fine, and
    retrying the same message will not help, so it counts against neither.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        message_fault: bool = False,
        uncertain: bool = False,
        workspace_fault: bool = False,
        whole_platform: bool = False,
        stopping: bool = False,
        recipient_closed: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.message_fault = message_fault
        # The request may have reached the platform (a timeout, a 5xx, a dropped connection):
        # the next attempt asks the platform (`Publisher.find`) before sending again.
        self.uncertain = uncertain
        # The whole workspace is refused (a revoked token): pause it as a whole; with
        # `whole_platform`, the one token serves every workspace (a Discord bot): pause them all.
        self.workspace_fault = workspace_fault or whole_platform
        self.whole_platform = whole_platform
        # paperboy itself is shutting down: nobody's fault, counted against nothing.
        self.stopping = stopping
        # A direct message the person does not take from paperboy (Discord 50007: DMs closed):
        # given up like a message fault, and the core falls back to a mention in the channel.
        self.recipient_closed = recipient_closed


@dataclass(frozen=True)
class Health:
    """Whether a part of paperboy is up (a platform connected), and in a few words how it is."""

    ok: bool
    detail: str  # "connected", "connecting (last error: …)", "token refused", …


class DeliveryObserver(Protocol):
    """Told what delivery did, for metrics (the core knows no metrics library)."""

    def posted(self, key: PostKey, outcome: str) -> None:
        """One post's outcome (the deliverer's `Outcome` value)."""
        ...

    def fanned_out(self, kind: str, posts: int, seconds: float) -> None:
        """A fan-out of `posts` posts of one kind took `seconds`."""
        ...


class ClaimLost(Exception):
    """Another process owns this post now (our lease ran out): stop sending it."""


class Tracker(Protocol):
    """The ledger's side of one post being sent, handed to a publisher by the deliverer.

    A post is one or more messages ("parts"; the first in the channel, the rest in its thread).
    The publisher calls `claim(part)` right before the request that sends a part (after any
    pacing or retry wait, never before one), `sent(...)` once the platform accepted it, and
    `refused(part)` when the platform answered in a way that proves nothing was posted (a 429,
    a 4xx), so a crash during the following wait needs no look-up.
    """

    key: PostKey
    parts_sent: int  # parts already out (a post resumed after a crash starts after them)
    first_id: str | None  # the platform id of part 1, once it is out
    thread_id: str | None  # where the later parts go (Slack: thread ts; Discord: channel id)

    async def claim(self, part: int) -> None:
        """Mark `part` as in flight; raise ClaimLost if another process owns the post."""
        ...

    async def sent(self, part: int, message_id: str, thread_id: str | None = None) -> None:
        """Record that `part` is out, with its platform id (and, for part 1, its thread)."""
        ...

    async def refused(self, part: int) -> None:
        """Record that the request for `part` was answered and posted nothing."""
        ...


class Publisher(Protocol):
    """An adapter's outbound side: posts to one platform, exactly once with the ledger's help."""

    platform: str

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Send the post's parts after `tracker.parts_sent`, claiming each right before its
        request; return part 1's platform id. Raise DeliveryError on failure."""
        ...

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """After a crash: the platform id of `part` of this post if it was posted (at or
        after `since`; in the thread `thread_id` when given: a later part, or a reply such as
        a `Climber`), else None. Raise ResolveUnsupported when the platform cannot tell.

        A `DigestEdit` is never looked for: the deliverer sends it again (an edit to the same
        content changes nothing), so `find` answers None for the `edit` kind."""
        ...


class ResolveUnsupported(Exception):
    """The platform cannot say whether a post went out (a scope is missing): the deliverer
    falls back to sending again (at least once)."""


class Feed(Protocol):
    """The Daily Papers source."""

    async def fetch_day(self, day: date) -> list[Paper]:
        """Every paper of one Daily Papers day."""
        ...

    async def fetch_week(self, week: str) -> list[Paper] | None:
        """Every paper of an ISO week (`2026-W48`), each with its day; None when the answer
        does not say every paper's day (then ask day by day)."""
        ...


@runtime_checkable
class MonthFeed(Feed, Protocol):
    """A feed that can also answer a whole month (HF's `month=`); a feed without it is asked
    by weeks and days."""

    async def fetch_month(self, month: str) -> list[Paper] | None:
        """Every paper of a month (`2025-10`), each with its day, plus any the source lists from
        the few days just before the month (on their own days; not those days' whole lists);
        None when the answer does not say every paper's day (then ask in smaller spans)."""
        ...


class Repository(Protocol):
    """Persistent state: papers, channels, subscriptions, the deliveries ledger, polls."""

    def upsert_papers(
        self,
        papers: Iterable[Paper],
        now: datetime | None = None,
        *,
        alert_from: date | None = None,
    ) -> UpsertResult:
        """Store papers; mark new (and, from `alert_from`, moved) ones for alerts."""
        ...

    def get_paper(self, paper_id: str) -> Paper | None:
        """One paper by id."""
        ...

    def papers_on(
        self, days: Iterable[date], min_upvotes: int = 0, limit: int = 100
    ) -> list[Paper]:
        """Top papers of some days."""
        ...

    def recent_days(self, count: int) -> list[date]:
        """The newest `count` Daily Papers days that have stored papers, newest first."""
        ...

    def count_papers(self) -> int:
        """How many papers are stored."""
        ...

    def search(
        self,
        query: Query,
        limit: int = 10,
        offset: int = 0,
        *,
        days: Iterable[date] | None = None,
    ) -> list[SearchHit]:
        """Ranked search over stored papers (those first listed on `days`, when given)."""
        ...

    def count_matches(self, query: Query, *, days: Iterable[date] | None = None) -> int:
        """How many stored papers (first listed on `days`, when given) match the query."""
        ...

    def optimize_search(self) -> int:
        """Merge the search index's segments, a short write at a time; return the steps."""
        ...

    def channel(self, ref: ChannelRef) -> ChannelSettings | None:
        """A channel's settings, or None when paperboy has never seen it."""
        ...

    def save_channel(self, settings: ChannelSettings) -> None:
        """Create or update a channel's settings."""
        ...

    def channels(self, *, paused: bool | None = None) -> list[ChannelSettings]:
        """All known channels, or only the paused (or unpaused) ones."""
        ...

    def schedule(self, ref: ChannelRef, kind: str) -> Schedule | None:
        """A channel's schedule of one kind, or None when it was never set."""
        ...

    def save_schedule(self, schedule: Schedule, now: datetime) -> int:
        """Create or update a schedule; return the schedules' new version."""
        ...

    def schedules(
        self, kind: str | None = None, *, enabled: bool | None = None, since_version: int = 0
    ) -> list[Schedule]:
        """Schedules, optionally of one kind, on or off, or changed after a version."""
        ...

    def schedules_version(self) -> int:
        """The version of the newest schedule change."""
        ...

    def add_subscription(
        self,
        ref: ChannelRef,
        query: str,
        created_by: str,
        now: datetime,
        most: int | None = None,
    ) -> Subscription | None:
        """Add a subscription; None when the channel already has this exact query, or `most`
        subscriptions (checked in the same transaction)."""
        ...

    def remove_subscription(self, ref: ChannelRef, id_or_query: str) -> Subscription | None:
        """Remove a channel's subscription by id or exact query; None when not found."""
        ...

    def subscriptions(
        self, ref: ChannelRef | None = None, *, since_version: int = 0
    ) -> list[Subscription]:
        """Subscriptions of one channel, or of all channels, oldest (lowest id) first; only
        those added after `since_version`, when given."""
        ...

    def subscriptions_removed(self, since_version: int = 0) -> list[int]:
        """Ids of the subscriptions removed after `since_version`."""
        ...

    def subscriptions_version(self) -> int:
        """The version of the newest subscribe or unsubscribe (bumped with each)."""
        ...

    def take_delivery(
        self,
        key: PostKey,
        owner: str,
        now: datetime,
        lease: timedelta,
        payload: str | None = None,
        *,
        dead: Collection[str] = (),
    ) -> LedgerEntry | None:
        """Own a post to send it; None when it is sent, given up, or another owner has it."""
        ...

    def mark_in_flight(self, key: PostKey, owner: str, now: datetime, lease: timedelta) -> bool:
        """Record that a request for the next part is about to go out."""
        ...

    def mark_part_sent(
        self,
        key: PostKey,
        owner: str,
        part: int,
        message_id: str,
        thread_id: str | None,
    ) -> bool:
        """Record that a part is out."""
        ...

    def mark_refused(self, key: PostKey, owner: str) -> bool:
        """Record that the last request posted nothing."""
        ...

    def finish_delivery(self, key: PostKey, owner: str, now: datetime) -> bool:
        """Mark an owned post as wholly sent."""
        ...

    def fail_delivery(
        self,
        key: PostKey,
        owner: str,
        error: str,
        *,
        give_up: bool = False,
        uncertain: bool = False,
        counts: bool = True,
    ) -> None:
        """Release an owned post after a failure (for a retry, unless `give_up`)."""
        ...

    def abandon_delivery(self, key: PostKey, reason: str) -> None:
        """Give up an open post that no owner holds."""
        ...

    def hold_delivery(self, key: PostKey, now: datetime, payload: str | None) -> bool:
        """Keep a post that fell due while its channel was paused."""
        ...

    def defer_delivery(self, key: PostKey, now: datetime, payload: str | None, reason: str) -> bool:
        """Leave a post for the process that runs its platform."""
        ...

    def renew_leases(self, owner: str, now: datetime, lease: timedelta) -> int:
        """Extend every claim an owner holds."""
        ...

    def open_deliveries(
        self,
        now: datetime,
        *,
        kind: str | None = None,
        held: bool = False,
        dead: Collection[str] = (),
    ) -> list[LedgerEntry]:
        """Posts to finish: failed, abandoned by a dead owner (and, with `held`, held)."""
        ...

    def claim_owners(self, now: datetime) -> set[str]:
        """The owners of claims whose lease is still running."""
        ...

    def held_deliveries(self, ref: ChannelRef) -> list[LedgerEntry]:
        """Posts kept for a paused channel."""
        ...

    def drop_held(self, key: PostKey) -> None:
        """Forget a held post."""
        ...

    def delivered(self, ref: ChannelRef, kind: str) -> Sequence[str]:
        """Keys of the posts of a kind that reached a channel."""
        ...

    def record_failure(self, ref: ChannelRef, now: datetime) -> tuple[int, datetime]:
        """Count a failed post; return consecutive failures and when failing began."""
        ...

    def reset_failures(self, ref: ChannelRef) -> None:
        """Forget a channel's failures after a successful post."""
        ...

    def pause_channel(self, ref: ChannelRef, reason: str, now: datetime) -> None:
        """Stop deliveries to a channel until someone resumes it."""
        ...

    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> bool:
        """Pause every channel of a workspace; False if it already was."""
        ...

    def resume_workspace(self, platform: str, workspace: str) -> bool:
        """Resume a paused workspace; False if it was not paused."""
        ...

    def paused_workspaces(self) -> dict[tuple[str, str], str]:
        """(platform, workspace) -> why, for every paused workspace."""
        ...

    def set_fact(self, key: str, value: str, now: datetime) -> None:
        """Remember something learned about a platform."""
        ...

    def facts(self, prefix: str) -> dict[str, str]:
        """Facts whose key starts with `prefix`."""
        ...

    def forget_fact(self, key: str) -> None:
        """Forget a fact that no longer holds."""
        ...

    # --- clicks and the reading list -----------------------------------------------------

    def record_click(
        self, ref: ChannelRef, user: str, paper_id: str, action: Action, now: datetime
    ) -> tuple[Click, bool]:
        """Store a click once per (channel, user, paper, action); return it and whether it is
        new (False: a double click or a redelivery, the first one returned). A not-relevant
        click replaces the same user's more-like one for the paper, and the other way round."""
        ...

    def undo_click(self, ref: ChannelRef, user: str, click_id: int | None) -> Click | None:
        """Forget one of a user's clicks in a channel (their latest when `click_id` is None);
        None when there is no such click."""
        ...

    def clicks(self, ref: ChannelRef, since: datetime | None = None) -> list[Click]:
        """A channel's clicks (those at or after `since`), oldest first."""
        ...

    def reading_list(self, ref: ChannelRef) -> list[tuple[Paper, datetime]]:
        """The papers saved in a channel (by anyone), with when each was first saved, oldest
        first."""
        ...

    def remove_saved(self, ref: ChannelRef, paper_id: str) -> int:
        """Take a paper off a channel's reading list (every save of it); return how many."""
        ...

    # --- posted digests (the living digest) ------------------------------------------------

    def sent_posts(self, kinds: Collection[str], since: datetime) -> list[LedgerEntry]:
        """Posts of these kinds wholly sent at or after `since` (every channel), oldest first."""
        ...

    def posts_under(self, ref: ChannelRef, kind: str, prefix: str) -> list[LedgerEntry]:
        """A channel's ledger entries of one kind whose ref starts with `prefix` (a digest's
        edits `digest:2026-05-13#`, its climbers), in ref order, whatever their state."""
        ...

    def posts_under_each(
        self, wanted: Sequence[tuple[ChannelRef, str, str]]
    ) -> list[list[LedgerEntry]]:
        """`posts_under` of each (channel, kind, prefix), a list per item, in one read."""
        ...

    # --- people's own alerts (interests) and direct messages ----------------------------

    def interests_version(self) -> int:
        """The version of the newest change to any interest (0: none ever)."""
        ...

    def add_interest(
        self,
        ref: ChannelRef,
        user: str,
        query: str,
        now: datetime,
        subscription: int | None = None,
        most: int | None = None,
    ) -> tuple[Interest, bool] | None:
        """Add a person's interest made in a channel: (it, True); (the one they had, False,
        unmuted again) when they have it there already; None when they have `most`."""
        ...

    def interests(
        self,
        user: str | None = None,
        workspace: tuple[str, str] | None = None,
        *,
        since_version: int = 0,
    ) -> list[Interest]:
        """Interests (of one person in one workspace), oldest first; those changed after
        `since_version` when given, muted ones included."""
        ...

    def interests_removed(self, since_version: int = 0) -> list[int]:
        """Ids of interests removed after `since_version`."""
        ...

    def mute_interest(self, interest_id: int, muted: bool) -> bool:
        """Mute or unmute an interest; False when it is already so (or gone)."""
        ...

    def remove_interest(self, interest_id: int) -> bool:
        """Remove an interest; False when it was gone already."""
        ...

    def close_dms(self, platform: str, workspace: str, user: str, now: datetime) -> bool:
        """Record that the platform refused this person a DM; False when recorded already."""
        ...

    def dms_closed(self, platform: str, workspace: str) -> set[str]:
        """The people of a workspace who take no direct messages from paperboy."""
        ...

    def reopen_dms(self, platform: str, workspace: str, user: str) -> bool:
        """Try direct messages again for this person; False when they were not closed."""
        ...

    def untold_closed_dms(self, platform: str, workspace: str, user: str) -> bool:
        """True once for a person whose DMs closed and who was not told yet (marks told)."""
        ...

    # --- similarity (papers like these) ----------------------------------------------------

    def stored_vectors(self, engine: str, ids: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """A similarity engine's stored features of these papers, by id, each with the digest
        of the texts they came from (missing: absent)."""
        ...

    def save_vectors(self, engine: str, vectors: Mapping[str, tuple[str, bytes]]) -> None:
        """Store papers' features for an engine with their texts' digests (replacing)."""
        ...

    def term_counts(self, terms: Collection[str]) -> dict[str, int]:
        """How many stored papers have each search-index term (absent: none)."""
        ...

    def papers_pending_alerts(self) -> list[tuple[Paper, int | None, datetime]]:
        """Papers whose alert fan-out has not run, with their upvotes at the last one (None:
        never fanned out) and when each was first stored (by the core's clock)."""
        ...

    def clear_pending_alerts(self, snapshot: Iterable[Paper]) -> None:
        """Unmark papers whose fan-out ran on this snapshot (unless they moved again)."""
        ...

    def record_poll(self, day: date, papers: int, now: datetime) -> None:
        """Remember a successful fetch of a day."""
        ...

    def last_poll(self) -> datetime | None:
        """When the feed was last fetched successfully."""
        ...

    def polled_days(self) -> set[date]:
        """Days that have been fetched successfully at least once."""
        ...

    def settled_days(self) -> set[date]:
        """Days last fetched after they ended: their list is complete."""
        ...

    def first_poll(self) -> datetime | None:
        """When the feed was first fetched successfully."""
        ...
