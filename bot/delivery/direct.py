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
# What a mention in the channel says matched, for a person's own (private) query.
PRIVATE_QUERY = "one of your own alerts"
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
        ref = entry.key.channel
        live = {i.query for i in repo.interests(user, (ref.platform, ref.workspace)) if not i.muted}
        matched = tuple(q for q in data["matched"] if q in live)
        if not matched:  # removed or muted since: a retry sends nothing
            return None
        return DirectMessage(
            channel=ref,
            user=user,
            paper=paper,
            matched=matched,
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
    seen: set[tuple[str, str, str]] = set()
    for dm in messages:
        # One person, one paper, once: also with interests in two workspaces (a Discord user
        # has one DM channel whatever the server).
        once = (dm.channel.platform, dm.user, dm.paper.id)
        if once in seen:
            continue
        seen.add(once)
        where = (dm.channel.platform, dm.channel.workspace)
        if where not in closed:
            closed[where] = repo.dms_closed(*where)
        (instead if dm.user in closed[where] else direct).append(dm)
    kind = DirectKind()
    with deliverer.fan_out(DM_KIND, len(direct)):
        outcomes = await deliver_all([(dm_key(d), d, kind.payload(d)) for d in direct])
    if instead:
        outcomes.update(await _mention(repo, deliverer, deliver_all, instead))
    outcomes.update(await mention_refused(repo, deliverer, deliver_all, clock, direct))
    return outcomes


async def mention_refused(
    repo: Repository,
    deliverer: Deliverer,
    deliver_all: DeliverAll,
    clock: Callable[[], datetime],
    messages: Sequence[DirectMessage],
) -> Counter[str]:
    """Of DMs just delivered (a fan-out, or a retry's), those the platform refused for good:
    their people take none from now on, and each goes once as a mention instead."""
    refusals = [dm for dm in messages if refused(repo, dm_key(dm))]
    for dm in refusals:
        ref = dm.channel
        if repo.close_dms(ref.platform, ref.workspace, dm.user, clock()):
            log.info("%s takes no direct messages: mentions instead", ref.key)
    if not refusals:
        return Counter()
    return await _mention(repo, deliverer, deliver_all, refusals)


def _entry(repo: Repository, key: PostKey) -> LedgerEntry | None:
    """The ledger's entry of exactly this post, if it has one."""
    return next(
        (e for e in repo.posts_under(key.channel, key.kind, key.ref) if e.key.ref == key.ref),
        None,
    )


def _sent(repo: Repository, key: PostKey) -> LedgerEntry | None:
    """This post's entry when it was wholly sent."""
    entry = _entry(repo, key)
    return entry if entry is not None and entry.state == "sent" else None


def refused(repo: Repository, key: PostKey) -> bool:
    """True when the platform refused this direct message for good (its recipient takes
    none)."""
    entry = _entry(repo, key)
    return (
        entry is not None
        and entry.state == "abandoned"
        and (entry.error or "").startswith(RECIPIENT_CLOSED)
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
        if _sent(repo, dm_key(dm)):
            continue  # they have this paper by DM already (from before their DMs closed)
        alert = _sent(repo, PostKey(dm.origin, ALERT_KIND, dm.paper.id))
        thread = alert.first_id if alert is not None else None
        # In public, a person's own query is not shown: only the channel's alerts' are.
        public = {s.query for s in repo.subscriptions(dm.origin)}
        shown = tuple(dict.fromkeys(q if q in public else PRIVATE_QUERY for q in dm.matched))
        why = dm.why if PRIVATE_QUERY not in shown else None  # its seeds are private too
        mention = Mention(dm.origin, dm.user, dm.paper, shown, thread, why)
        posts.append((mention_key(mention), mention, kind.payload(mention)))
    with deliverer.fan_out(MENTION_KIND, len(posts)):
        return await deliver_all(posts)
