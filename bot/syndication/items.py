"""What a channel received, as feed items: one per paper, dated by its first delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.delivery.alerts import ALERT_KIND
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, Paper
from bot.ports import Repository

# The posts a feed is made of: what the channel read (an edit can add a paper to a digest).
FEED_KINDS = (DIGEST_KIND, WEEKLY_KIND, EDIT_KIND, CLIMBER_KIND, ALERT_KIND)
MAX_ITEMS = 100
# How many of the channel's newest posts are read to find each paper's first delivery.
POSTS_READ = 2000


class FeedRepository(Repository, Protocol):
    """The Repository, with the channels' feed tokens and what each channel received."""

    def feed_token(self, ref: ChannelRef) -> str | None:
        """The channel's feed token, or None when its feeds are off."""
        ...

    def set_feed_token(self, ref: ChannelRef, token: str | None, now: datetime) -> None:
        """Give the channel this token (replacing its old one), or none (feeds off)."""
        ...

    def feed_channel(self, token: str) -> ChannelRef | None:
        """The channel whose feed token this is, or None."""
        ...

    def received(
        self, ref: ChannelRef, kinds: tuple[str, ...], limit: int
    ) -> list[tuple[str, str, str | None, datetime]]:
        """A channel's wholly sent posts of these kinds, newest first: (kind, ref, payload,
        sent_at)."""
        ...


@dataclass(frozen=True)
class FeedItem:
    """One paper a channel received, and when it first did."""

    paper: Paper
    first_sent: datetime

    @property
    def id(self) -> str:
        """The item's stable id: the paper's arXiv abstract URL."""
        return self.paper.arxiv_url


def paper_ids(kind: str, ref: str, payload: str | None) -> Iterator[str]:
    """The papers one sent post showed, from its ledger payload."""
    if payload is None:
        if kind == ALERT_KIND:  # an alert stored before payloads: its ref is the paper
            yield ref
        return
    try:
        data: Any = json.loads(payload)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    if kind == EDIT_KIND:
        data = data.get("digest") or {}
    if isinstance(data.get("papers"), list):
        yield from (p for p in data["papers"] if isinstance(p, str))
    elif isinstance(data.get("paper"), str):
        yield data["paper"]


def feed_items(repo: FeedRepository, ref: ChannelRef, most: int = MAX_ITEMS) -> list[FeedItem]:
    """The papers the channel received, newest first delivery first, each dated by the first
    post that showed it (a later edit or alert never re-dates it)."""
    first: dict[str, tuple[datetime, int]] = {}  # when, and its rank in that post
    for kind, post_ref, payload, sent_at in repo.received(ref, FEED_KINDS, POSTS_READ):
        for rank, paper_id in enumerate(paper_ids(kind, post_ref, payload)):
            if paper_id not in first or sent_at <= first[paper_id][0]:
                first[paper_id] = (sent_at, rank)
    # newest first; the papers of one post in its order
    newest = sorted(first.items(), key=lambda item: (-item[1][0].timestamp(), item[1][1]))
    items = []
    for paper_id, (sent_at, _) in newest:
        paper = repo.get_paper(paper_id)
        if paper is not None:
            items.append(FeedItem(paper, sent_at))
        if len(items) >= most:
            break
    return items
