"""The Tracker a publisher reports to while it sends one post: each call is a ledger write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain import LedgerEntry, PostKey
from bot.ports import ClaimLost, Repository


class LedgerTracker:
    """Records a post's progress part by part under its owner's claim (bot.ports.Tracker)."""

    def __init__(
        self,
        repo: Repository,
        entry: LedgerEntry,
        owner: str,
        clock: Callable[[], datetime],
        lease: timedelta,
    ) -> None:
        self.repo = repo
        self.key: PostKey = entry.key
        self.parts_sent = entry.parts_sent
        self.first_id = entry.first_id
        self.thread_id = entry.thread_id
        self.owner = owner
        self.clock = clock
        self.lease = lease

    def _lost(self, what: str) -> ClaimLost:
        return ClaimLost(f"{self.key.kind} {self.key.ref} for {self.key.channel.key}: {what}")

    async def claim(self, part: int) -> None:
        """Mark `part` as in flight, right before its request."""
        if part != self.parts_sent + 1:
            raise ValueError(f"part {part} claimed after {self.parts_sent} sent")
        if not self.repo.mark_in_flight(self.key, self.owner, self.clock(), self.lease):
            raise self._lost(f"claim on part {part} lost")

    async def sent(self, part: int, message_id: str, thread_id: str | None = None) -> None:
        """Record that `part` is out."""
        if not self.repo.mark_part_sent(self.key, self.owner, part, message_id, thread_id):
            raise self._lost(f"part {part} sent after the claim was lost")
        self.parts_sent = max(self.parts_sent, part)
        if part == 1:
            self.first_id = message_id
        if thread_id is not None:
            self.thread_id = thread_id

    async def found(self, part: int, message_id: str) -> None:
        """Record a part that the platform says was posted before a crash (part 1 of a
        post is also where its thread hangs, as on Slack)."""
        await self.sent(part, message_id, thread_id=message_id if part == 1 else None)

    async def refused(self, part: int) -> None:
        """Record that the request for `part` posted nothing (a 429, a refusal)."""
        self.repo.mark_refused(self.key, self.owner)
