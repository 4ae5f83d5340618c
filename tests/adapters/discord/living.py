"""The posts of the living digest tests: a compact digest of three papers, its edit (the third
paper climbed to the top) and a late climber, each with its tracker."""

from __future__ import annotations

from adapters.discord.publisher import DiscordPublisher
from bot.domain import ChannelRef, Climber, Digest, DigestEdit, Paper, PostKey
from tests.adapters.discord.publishing import CH, DAY
from tests.helpers import MemoryTracker, make_paper, tracker_for


def ranked(*upvotes: int) -> tuple[Paper, ...]:
    """Papers 0, 1, … with these upvotes."""
    return tuple(
        make_paper(f"2411.0000{i}", DAY, upvotes=u, title=f"Paper {i}")
        for i, u in enumerate(upvotes)
    )


def compact_digest(ref: ChannelRef = CH, listed: tuple[Paper, ...] = ranked(30, 20, 10)) -> Digest:
    """Three papers, compact (the default)."""
    return Digest(ref, (DAY,), listed)


def digest_edit(posted_id: str, ref: ChannelRef = CH, version: int = 1) -> DigestEdit:
    """The edit of the digest posted as `posted_id`: the third paper climbed to the top."""
    moved = compact_digest(ref, ranked(15, 20, 40)[::-1])
    return DigestEdit(ref, moved, PostKey(ref, "digest", DAY.isoformat()), posted_id, version)


def edit_tracker(ref: ChannelRef = CH, version: int = 1) -> MemoryTracker:
    """The tracker of edit `version`."""
    return tracker_for(ref, "edit", f"digest:{DAY.isoformat()}#{version:03d}")


def late_climber(thread: str, ref: ChannelRef = CH) -> Climber:
    """A late climber of the digest whose thread (its first message) is `thread`."""
    paper = make_paper("2411.00009", DAY, upvotes=80, title="Late but loved")
    return Climber(ref, paper, thread, "now #1 in this digest", "Daily Papers", (DAY,))


def climber_tracker(ref: ChannelRef = CH) -> MemoryTracker:
    """The late climber's tracker."""
    return tracker_for(ref, "climber", f"digest:{DAY.isoformat()}:2411.00009")


async def post_digest(publisher: DiscordPublisher, ref: ChannelRef = CH) -> str:
    """Post `compact_digest(ref)`; its first message's id."""
    return await publisher.publish(compact_digest(ref), tracker_for(ref, "digest", DAY.isoformat()))
