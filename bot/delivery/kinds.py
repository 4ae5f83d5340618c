"""Post kinds: what each kind of post stores in the ledger, and how it is rebuilt from there
(so a post resumed after a crash, or held while its channel was paused, is the same post)."""

from __future__ import annotations

import json
from datetime import date
from typing import Protocol

from bot.delivery.alerts import ALERT_KIND, match_alerts
from bot.delivery.digests import DIGEST_KIND
from bot.domain import Alert, Digest, LedgerEntry, Paper, Post
from bot.ports import Repository


class PostKind(Protocol):
    """One kind of post in the ledger."""

    name: str

    def payload(self, post: Post) -> str:
        """The post's content as JSON, to rebuild it later."""
        ...

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The post an open ledger entry stands for; None when it should not be sent."""
        ...


def _papers(repo: Repository, ids: list[str]) -> list[Paper]:
    return [p for p in (repo.get_paper(i) for i in ids) if p is not None]


class DigestKind:
    """A digest of the top papers of one or more days (the daily digest, the weekly roll-up)."""

    def __init__(self, name: str = DIGEST_KIND) -> None:
        self.name = name

    def payload(self, post: Post) -> str:
        """Days, paper ids in their order, notice and title."""
        assert isinstance(post, Digest)
        return json.dumps({
            "days": [d.isoformat() for d in post.days],
            "papers": [p.id for p in post.papers],
            "notice": post.notice,
            "title": post.title,
        })

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored digest; None once a later one reached the channel (it covered these
        days as a catch-up) or when the ledger row predates payloads and its day is empty."""
        channel = entry.key.channel
        if any(ref > entry.key.ref for ref in repo.delivered(channel, self.name)):
            return None
        if entry.payload is None:  # written before payloads were stored: rebuild by day
            day = date.fromisoformat(entry.key.ref)
            papers = repo.papers_on([day], limit=10)
            return Digest(channel=channel, days=(day,), papers=tuple(papers)) if papers else None
        data = json.loads(entry.payload)
        return Digest(
            channel=channel,
            days=tuple(date.fromisoformat(d) for d in data["days"]),
            papers=tuple(_papers(repo, data["papers"])),
            notice=data.get("notice"),
            title=data.get("title") or Digest.title,
        )


class AlertKind:
    """A keyword alert: one paper that matched some of a channel's subscriptions."""

    name = ALERT_KIND

    def payload(self, post: Post) -> str:
        """The paper's id and the queries it matched."""
        assert isinstance(post, Alert)
        return json.dumps({"paper": post.paper.id, "matched": list(post.matched)})

    def rebuild(self, repo: Repository, entry: LedgerEntry) -> Post | None:
        """The stored alert, with the paper as it is now."""
        paper = repo.get_paper(entry.key.ref)
        if paper is None:
            return None
        if entry.payload is None:
            found = match_alerts(repo.subscriptions(entry.key.channel), [paper])
            return found[0] if found else None
        matched = tuple(json.loads(entry.payload)["matched"])
        return Alert(channel=entry.key.channel, paper=paper, matched=matched)
