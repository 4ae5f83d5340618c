"""A person's own alerts: the `dm` kind (a match of their interests, in their direct
messages) and the `mention` kind (a DM the platform refused, posted in the channel instead).

A DM's ledger channel is `direct_channel(platform, workspace, user)` (`slack:T1:@U2`) and its
ref the paper's id: a person gets a paper once, whichever of their interests matched. A
mention's channel is where the interest was made and its ref `<paper>:<user>`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.delivery.alerts import ALERT_KIND
from bot.delivery.deliverer import RECIPIENT_CLOSED, Deliverer
from bot.domain import (
    ChannelRef,
    DirectMessage,
    LedgerEntry,
    Mention,
    Post,
    PostKey,
    direct_user,
)
from bot.ports import Repository

log = logging.getLogger(__name__)

# Deliver posts in order per channel, channels side by side (`Paperboy._deliver_all`).
DeliverAll = Callable[[Sequence[tuple[PostKey, Post, str | None]]], Awaitable[Counter[str]]]
DM_KIND = "dm"
MENTION_KIND = "mention"


def dm_key(dm: DirectMessage) -> PostKey:
    """A direct message's ledger key."""
    return PostKey(dm.channel, DM_KIND, dm.paper.id)


def mention_key(mention: Mention) -> PostKey:
    """A mention's ledger key."""
    return PostKey(mention.channel, MENTION_KIND, f"{mention.paper.id}:{mention.user}")


class DirectKind:
    """A match of a person's interests, by direct message."""

    name = DM_KIND

    def payload(self, post: Post) -> str:
        """The paper's id, the interests' queries, where they were made, and why."""
        assert isinstance(post, DirectMessage)
        return json.dumps(
            {
                "paper": post.paper.id,
                "matched": list(post.matched),
                "origin": post.origin.key,
                "why": post.why,
            }
        )

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored DM, with the paper as it is now."""
        user = direct_user(entry.key.channel)
        paper = repo.get_paper(entry.key.ref)
        if entry.payload is None or user is None or paper is None:
            return None
        data = json.loads(entry.payload)
        return DirectMessage(
            channel=entry.key.channel,
            user=user,
            paper=paper,
            matched=tuple(data["matched"]),
            origin=ChannelRef.parse(data["origin"]),
            why=data.get("why"),
        )


class MentionKind:
    """A refused DM, as a mention of the person in the channel's alert thread."""

    name = MENTION_KIND

    def payload(self, post: Post) -> str:
        """The paper's id, the person, the interests' queries, the thread, and why."""
        assert isinstance(post, Mention)
        return json.dumps(
            {
                "paper": post.paper.id,
                "user": post.user,
                "matched": list(post.matched),
                "thread": post.thread,
                "why": post.why,
            }
        )

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored mention, with the paper as it is now."""
        if entry.payload is None:
            return None
        data = json.loads(entry.payload)
        paper = repo.get_paper(data["paper"])
        if paper is None:
            return None
        return Mention(
            channel=entry.key.channel,
            user=str(data["user"]),
            paper=paper,
            matched=tuple(data["matched"]),
            thread=data.get("thread"),
            why=data.get("why"),
        )


async def send_direct(
    repo: Repository,
    deliverer: Deliverer,
    deliver_all: DeliverAll,
    clock: Callable[[], datetime],
    messages: Sequence[DirectMessage],
) -> Counter[str]:
    """Deliver people's matches by direct message. One the platform refuses (now, or before
    a crash cut the fan-out short) goes once as a mention in the channel, and so does every
    later match of that person until they ask for DMs again (`mine retry`)."""
    closed: dict[tuple[str, str], set[str]] = {}
    direct: list[DirectMessage] = []
    instead: list[DirectMessage] = []
    for dm in messages:
        where = (dm.channel.platform, dm.channel.workspace)
        if where not in closed:
            closed[where] = repo.dms_closed(*where)
        (instead if dm.user in closed[where] else direct).append(dm)
    kind = DirectKind()
    with deliverer.fan_out(DM_KIND, len(direct)):
        outcomes = await deliver_all([(dm_key(d), d, kind.payload(d)) for d in direct])
    for dm in direct:
        if refused(repo, dm_key(dm)):
            ref = dm.channel
            if repo.close_dms(ref.platform, ref.workspace, dm.user, clock()):
                log.info("%s takes no direct messages: mentions instead", ref.key)
            instead.append(dm)
    if instead:
        outcomes.update(await _mention(repo, deliverer, deliver_all, instead))
    return outcomes


def refused(repo: Repository, key: PostKey) -> bool:
    """True when the platform refused this direct message for good (its recipient takes
    none)."""
    return any(
        e.key.ref == key.ref
        and e.state == "abandoned"
        and (e.error or "").startswith(RECIPIENT_CLOSED)
        for e in repo.posts_under(key.channel, key.kind, key.ref)
    )


async def _mention(
    repo: Repository,
    deliverer: Deliverer,
    deliver_all: DeliverAll,
    messages: Sequence[DirectMessage],
) -> Counter[str]:
    """Each refused DM as a mention of its person where their interest was made: in the
    thread of that channel's alert for the paper, when it got one."""
    kind = MentionKind()
    posts: list[tuple[PostKey, Post, str | None]] = []
    for dm in messages:
        alert = next(
            (
                e
                for e in repo.posts_under(dm.origin, ALERT_KIND, dm.paper.id)
                if e.key.ref == dm.paper.id and e.state == "sent"
            ),
            None,
        )
        thread = alert.first_id if alert is not None else None
        mention = Mention(dm.origin, dm.user, dm.paper, dm.matched, thread, dm.why)
        posts.append((mention_key(mention), mention, kind.payload(mention)))
    with deliverer.fan_out(MENTION_KIND, len(posts)):
        return await deliver_all(posts)
