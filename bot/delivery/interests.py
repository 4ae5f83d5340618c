"""Match new papers against people's own interests: `InterestMatcher`, the alert matcher
over interests, each filed as a subscription of the person's direct-message channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.delivery.alerts import AlertMatcher
from bot.domain import (
    ChannelRef,
    DirectMessage,
    Interest,
    Paper,
    Subscription,
    direct_channel,
    direct_user,
)
from bot.ports import Repository
from bot.similarity.engine import Engine

# A person's own alerts, in one workspace (Notify me too and `mine subscribe` together).
MAX_INTERESTS_PER_PERSON = 50


def as_subscription(interest: Interest) -> Subscription:
    """An interest as the matcher files it: a subscription of the person's DM channel."""
    ref = interest.channel
    return Subscription(
        id=interest.id,
        channel=direct_channel(ref.platform, ref.workspace, interest.user),
        query=interest.query,
        created_by=interest.user,
        created_at=interest.created_at,
    )


class InterestMatcher(AlertMatcher):
    """The alert matcher (percolator and similarity) over unmuted interests, kept in step
    with storage by the interests' version; a muted interest is dropped until unmuted."""

    def __init__(self, similarity: Engine | None = None) -> None:
        super().__init__(similarity)
        self.origins: dict[int, ChannelRef] = {}  # by interest id: where it was made

    def _version(self, repo: Repository) -> int:
        return repo.interests_version()

    def _read(self, repo: Repository, since: int | None) -> tuple[list[Subscription], list[int]]:
        changed = repo.interests(since_version=since or 0)
        removed = [] if since is None else repo.interests_removed(since)
        for interest in changed:
            self.origins[interest.id] = interest.channel
        for gone in removed:
            self.origins.pop(gone, None)
        live = [as_subscription(i) for i in changed if not i.muted]
        return live, removed + [i.id for i in changed if i.muted]

    async def direct(
        self,
        repo: Repository,
        papers: Sequence[Paper],
        upvotes_before: Mapping[str, int] | None = None,
        first_seen: Mapping[str, datetime] | None = None,
    ) -> list[DirectMessage]:
        """One DirectMessage per (person, paper) their unmuted interests match."""
        found = []
        for alert in await self.match(repo, papers, upvotes_before, first_seen):
            user = direct_user(alert.channel)
            origin = next((self.origins[i] for i in alert.subscriptions if i in self.origins), None)
            if user is None or origin is None:
                continue
            found.append(
                DirectMessage(alert.channel, user, alert.paper, alert.matched, origin, alert.why)
            )
        return found
