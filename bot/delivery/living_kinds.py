"""The living digest's post kinds: an edit of a posted digest and a late climber in its
thread, each rebuilt from the ledger only while its digest lives."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND, digest_data, digest_from
from bot.domain import Climber, DigestEdit, LedgerEntry, Post, PostKey
from bot.ports import Repository

# Slack chat.update (slack.md §12), Slack thread reply (§5), Discord 10008's text (discord.md §10)
GONE_ERRORS = (
    "message_not_found",
    "thread_not_found",
    "unknown message",
    # Discord: the digest's own thread (its forum post, its details' thread) deleted, locked or
    # archived for good (discord.md §14, adapters/discord/errors.py THREAD_GONE_CODES)
    "digest's thread is gone",
    # Slack replies the thread refuses for good: an admin locked it, or its parent cannot have
    # replies (slack.md §5)
    "restricted_action_thread_locked",
    "cannot_reply_to_message",
    "restricted_action_non_threadable_channel",
)
# The ledger state of a post given up for good.
GIVEN_UP = "abandoned"


def under(of: PostKey) -> dict[str, str]:
    """The ref prefix of a digest's edits (`digest:2026-05-13#`) and of its climbers
    (`digest:2026-05-13:`), by kind."""
    return {EDIT_KIND: f"{of.kind}:{of.ref}#", CLIMBER_KIND: f"{of.kind}:{of.ref}:"}


def message_gone(entry: LedgerEntry) -> bool:
    """Whether a digest's edit or climber was given up because the digest's message is gone
    (then nothing more is edited or replied there)."""
    error = (entry.error or "").lower()
    return entry.state == GIVEN_UP and any(code in error for code in GONE_ERRORS)


class ForLiveDigest:
    """What edits and climbers share: rebuilt only while their digest lives (sent less than
    `live_for` ago, its message not gone)."""

    def __init__(self, clock: Callable[[], datetime], live_for: timedelta) -> None:
        self.clock = clock
        self.live_for = live_for

    def alive(self, repo: Repository, of: PostKey) -> bool:
        """Whether the digest `of` is sent, younger than `live_for`, and still there."""
        channel = of.channel
        posted = next((e for e in repo.posts_under(channel, of.kind, of.ref) if e.key == of), None)
        if posted is None or posted.sent_at is None:
            return False
        if self.clock() >= posted.sent_at + self.live_for:
            return False
        return not any(
            message_gone(e)
            for kind, prefix in under(of).items()
            for e in repo.posts_under(channel, kind, prefix)
        )


class EditKind(ForLiveDigest):
    """A posted digest's new version: its key, its part 1's id, the version and the digest as
    it reads now. Rebuilt only while the digest is live."""

    name = EDIT_KIND

    def payload(self, post: Post) -> str:
        """The edit as JSON."""
        assert isinstance(post, DigestEdit)
        return json.dumps(
            {
                "of": {"kind": post.of.kind, "ref": post.of.ref},
                "message_id": post.message_id,
                "version": post.version,
                "digest": digest_data(post.digest),
            }
        )

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored edit; None once its digest is no longer live (too old, or gone)."""
        if entry.payload is None:
            return None
        data = json.loads(entry.payload)
        channel = entry.key.channel
        of = PostKey(channel, data["of"]["kind"], data["of"]["ref"])
        if not self.alive(repo, of):
            return None
        return DigestEdit(
            channel=channel,
            digest=digest_from(repo, channel, data["digest"]),
            of=of,
            message_id=str(data["message_id"]),
            version=int(data["version"]),
        )


def climbed_in(entry: LedgerEntry, paper_id: str) -> PostKey | None:
    """The digest a climber's ledger entry (ref `digest:2026-05-13:2405.01234`) replies to."""
    kind, _, rest = entry.key.ref.partition(":")
    ref = rest.removesuffix(f":{paper_id}")
    return PostKey(entry.key.channel, kind, ref) if ref and ref != rest else None


class ClimberKind(ForLiveDigest):
    """A late climber: the paper, the digest's thread, why, and the digest it climbed in.
    Rebuilt only while that digest is live: one held or retried later is not sent."""

    name = CLIMBER_KIND

    def payload(self, post: Post) -> str:
        """The climber as JSON."""
        assert isinstance(post, Climber)
        return json.dumps(
            {
                "paper": post.paper.id,
                "thread": post.thread,
                "reason": post.reason,
                "title": post.digest_title,
                "days": [d.isoformat() for d in post.digest_days],
                "period": post.digest_period,
            }
        )

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored climber, with the paper as it is now; None once its digest is no longer
        live (72 h old, or its message gone)."""
        if entry.payload is None:
            return None
        data = json.loads(entry.payload)
        of = climbed_in(entry, str(data["paper"]))
        if of is None or not self.alive(repo, of):
            return None
        paper = repo.get_paper(data["paper"])
        if paper is None:
            return None
        return Climber(
            channel=entry.key.channel,
            paper=paper,
            thread=str(data["thread"]),
            reason=data["reason"],
            digest_title=data.get("title") or "Daily Papers",
            digest_days=tuple(date.fromisoformat(d) for d in data.get("days") or ()),
            digest_period=data.get("period"),
        )
