"""Keyword alerts: match newly seen papers against every channel's subscriptions.

A running process keeps every subscription parsed and indexed (`SubscriptionIndex`, a
percolator: a paper is checked only against the subscriptions that can match it), kept in step
with storage by the subscriptions' version (`AlertMatcher`), also when another process (the
CLI) subscribes or unsubscribes. `match_alerts` checks every pair: the reference the index is
tested against, and enough for one channel's few subscriptions.

A subscription alerts on what is news to it: a paper never fanned out only when the
subscription was made no later than the paper was first stored (it may be made while a poll
is between storing the paper and its fan-out, or while marked papers wait out a crash); a
paper fanned out before when it matches now and did not at its earlier upvotes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from operator import itemgetter

from bot.domain import Alert, ChannelRef, Paper, Subscription
from bot.ports import Repository
from bot.query.match import PaperText, matches
from bot.query.parse import Query, QueryError, parse
from bot.query.percolate import Cost, Percolator, frequency_cost, length_cost
from bot.similarity.engine import Engine
from bot.similarity.matcher import LikeIndex, LikeMatch
from bot.similarity.seeds import is_like
from bot.similarity.tfidf import TfidfEngine

log = logging.getLogger(__name__)

ALERT_KIND = "alert"
MAX_SUBSCRIPTIONS_PER_CHANNEL = 50
# Which word of a query to index it on is chosen by how many recent papers have it: the top
# papers of this many recent days, at most this many, are tokenized when the index is built.
SAMPLE_DAYS = 7
SAMPLE_PAPERS = 500


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Query | None:
    if is_like(text):  # a similarity alert: `LikeIndex` matches it
        return None
    try:
        return parse(text)
    except QueryError as exc:  # stored before a grammar change, perhaps: skip, don't crash
        log.warning("skipping subscription with an unreadable query %r: %s", text, exc)
        return None


def match_alerts(
    subscriptions: Iterable[Subscription],
    papers: Iterable[Paper],
    upvotes_before: Mapping[str, int] | None = None,
    first_seen: Mapping[str, datetime] | None = None,
) -> list[Alert]:
    """One Alert per (channel, paper) that matched, naming every matching subscription,
    by checking every pair (for a few subscriptions; a poll uses `SubscriptionIndex`).

    A paper listed in `upvotes_before` was matched before at that many upvotes: only queries
    it matches now and did not match then count (an `upvotes:>=N` alert crossing N). One
    not listed there but in `first_seen` (when it was first stored) was never matched: only
    subscriptions created no later than that count.
    """
    before = upvotes_before or {}
    seen_at = first_seen or {}
    by_channel: dict[ChannelRef, list[tuple[Subscription, Query]]] = {}
    for sub in subscriptions:
        query = _compiled(sub.query)
        if query is not None:
            by_channel.setdefault(sub.channel, []).append((sub, query))
    alerts: list[Alert] = []
    paper_list = list(papers)
    if not by_channel or not paper_list:
        return alerts
    for paper, text in zip(paper_list, PaperText.many(paper_list), strict=True):
        earlier = replace(paper, upvotes=before[paper.id]) if paper.id in before else None
        seen = seen_at.get(paper.id) if earlier is None else None
        for channel, queries in by_channel.items():
            subs = [
                sub
                for sub, q in queries
                if (seen is None or sub.created_at <= seen)
                and matches(q, text, paper)
                and (earlier is None or not matches(q, text, earlier))
            ]
            if subs:
                alerts.append(
                    Alert(
                        channel=channel,
                        paper=paper,
                        matched=tuple(s.query for s in subs),
                        subscriptions=tuple(s.id for s in subs),
                    )
                )
    return alerts


class SubscriptionIndex:
    """Every channel's subscriptions, parsed once and indexed by the words they require.

    `match` gives exactly what `match_alerts` gives for the same subscriptions in id order (the
    order storage lists them): alerts paper by paper, channels in the order of their oldest
    subscription, each naming its matching queries oldest first. Not thread-safe: change it and
    match with it from one thread at a time.
    """

    def __init__(
        self, subscriptions: Iterable[Subscription] = (), cost: Cost = length_cost
    ) -> None:
        # keyed by (channel number, subscription id, query): a match says where it goes
        self.percolator: Percolator[tuple[int, int, str]] = Percolator(cost)
        self._subs: dict[int, Subscription] = {}  # the indexed ones, by id
        self._unreadable: dict[int, Subscription] = {}  # skipped: their query does not parse
        self._numbers: dict[ChannelRef, int] = {}  # each channel's number, while it has some
        self._channels: dict[int, tuple[ChannelRef, set[int]]] = {}  # by number: its ids
        self._first: dict[int, int] | None = None  # by number: the oldest subscription's id
        self._newest: datetime | None = None  # the latest created_at (None: to compute)
        self._next_number = 0
        self.update(subscriptions)

    def __len__(self) -> int:
        """How many subscriptions are indexed (those whose query parses)."""
        return len(self._subs)

    @property
    def unreadable(self) -> list[Subscription]:
        """The subscriptions skipped because their stored query no longer parses."""
        return list(self._unreadable.values())

    def update(self, added: Iterable[Subscription] = (), removed: Iterable[int] = ()) -> None:
        """Forget the `removed` ids, then index the `added` subscriptions (one already held
        as it is stays as it is, so applying a change twice is harmless)."""
        for sub_id in removed:
            self.remove(sub_id)
        parsed: dict[str, Query | None] = {}  # one parse per distinct query of the batch
        with _collector_paused():
            for sub in added:
                held = self._subs.get(sub.id) or self._unreadable.get(sub.id)
                if held is not None:
                    if held == sub:
                        continue
                    self.remove(sub.id)  # the id of a removed subscription, used again
                if is_like(sub.query):  # a similarity alert: `LikeIndex` holds it
                    self.remove(sub.id)
                    continue
                if sub.query not in parsed:
                    parsed[sub.query] = self._parse(sub)
                self._add(sub, parsed[sub.query])

    def add(self, sub: Subscription) -> None:
        """Index one subscription (skipped, with a warning, when its query does not parse)."""
        self.update([sub])

    def _parse(self, sub: Subscription) -> Query | None:
        try:
            return parse(sub.query)
        except QueryError as exc:  # stored before a grammar change, perhaps: skip, don't crash
            log.warning(
                "skipping subscription #%s of %s with an unreadable query %r: %s",
                sub.id,
                sub.channel.key,
                sub.query,
                exc,
            )
            return None

    def _add(self, sub: Subscription, query: Query | None) -> None:
        if query is None:
            self._unreadable[sub.id] = sub
            return
        number = self._numbers.get(sub.channel)
        if number is None:
            number = self._numbers[sub.channel] = self._next_number
            self._next_number += 1
            self._channels[number] = (sub.channel, set())
        self._subs[sub.id] = sub
        self.percolator.add((number, sub.id, sub.query), query)
        self._channels[number][1].add(sub.id)
        self._first = self._newest = None

    def remove(self, sub_id: int) -> None:
        """Forget a subscription (nothing happens when it is not held)."""
        self._unreadable.pop(sub_id, None)
        sub = self._subs.pop(sub_id, None)
        if sub is None:
            return
        number = self._numbers[sub.channel]
        self.percolator.remove((number, sub_id, sub.query))
        ids = self._channels[number][1]
        ids.discard(sub_id)
        if not ids:
            del self._channels[number], self._numbers[sub.channel]
        self._first = self._newest = None

    def _channel_order(self) -> dict[int, int]:
        if self._first is None:
            self._first = {number: min(ids) for number, (_, ids) in self._channels.items()}
        return self._first

    def _newest_created(self) -> datetime:
        if self._newest is None:
            self._newest = max(sub.created_at for sub in self._subs.values())
        return self._newest

    def match(
        self,
        papers: Sequence[Paper],
        upvotes_before: Mapping[str, int] | None = None,
        texts: Sequence[PaperText] | None = None,
        first_seen: Mapping[str, datetime] | None = None,
    ) -> list[Alert]:
        """One Alert per (channel, paper) that matched, naming every matching subscription.

        A paper listed in `upvotes_before` was matched before at that many upvotes: only
        queries it matches now and did not match then count (an `upvotes:>=N` alert crossing
        N). One not listed there but in `first_seen` (when it was first stored) was never
        matched: only subscriptions created no later than that count, checked on the matches
        found alone. `texts`, when given, are `PaperText.many(papers)`.
        """
        if not papers or not self._subs:
            return []
        before = upvotes_before or {}
        seen_at = first_seen or {}
        newest = self._newest_created() if seen_at else None
        indexed = self._subs
        order = self._channel_order().__getitem__
        channels = self._channels
        texts = texts or PaperText.many(papers)
        alerts: list[Alert] = []
        with _collector_paused():
            for paper, text in zip(papers, texts, strict=True):
                earlier = replace(paper, upvotes=before[paper.id]) if paper.id in before else None
                seen = seen_at.get(paper.id) if earlier is None else None
                if seen is not None and newest is not None and newest <= seen:
                    seen = None  # every subscription is as old as the paper: none to drop
                found: defaultdict[int, list[tuple[int, int, str]]] = defaultdict(list)
                for keys in self.percolator.match(text, paper, earlier):
                    for key in keys:
                        if seen is None or indexed[key[1]].created_at <= seen:
                            found[key[0]].append(key)
                for number in sorted(found, key=order):
                    subs = found[number]
                    if len(subs) == 1:
                        matched: tuple[str, ...] = (subs[0][2],)
                        ids: tuple[int, ...] = (subs[0][1],)
                    else:
                        subs.sort()  # by id, within the channel
                        matched = tuple(map(_QUERY, subs))
                        ids = tuple(map(_ID, subs))
                    alerts.append(Alert(channels[number][0], paper, matched, subscriptions=ids))
        return alerts


_QUERY = itemgetter(2)
_ID = itemgetter(1)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the index is built or a match builds alerts.

    Both make many objects that live on: at 100,000 subscriptions the index (parsed, compiled
    queries), and a poll of 200 papers ~800,000 Alerts. Meanwhile the collector would scan the
    whole heap, the index included, again and again: building took 2.7 times as long, a match
    1.7 times. Reference counting frees as usual; the collector resumes after (if it ran
    before: another thread may have paused it too) and finds any cycle then.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


@dataclass(frozen=True)
class _Changes:
    """What the stored subscriptions changed since the index's version (read in a thread)."""

    version: int
    added: list[Subscription]
    removed: list[int]
    sample: list[Paper] | None  # a first build: recent papers to choose index words by


class AlertMatcher:
    """A process's `SubscriptionIndex`, kept in step with the stored subscriptions.

    Built on first use from every stored subscription; before each match it reads only what
    changed since (the subscriptions' version: also another process's subscribe or
    unsubscribe). Reading storage, parsing, indexing and matching all run in a worker thread
    (the store gives it its own connection), one match at a time.
    """

    def __init__(self, similarity: Engine | None = None) -> None:
        self.index: SubscriptionIndex | None = None
        self.likes = LikeIndex(similarity or TfidfEngine())
        self.version = 0  # of the newest subscription change applied
        self._lock = asyncio.Lock()

    async def match(
        self,
        repo: Repository,
        papers: Sequence[Paper],
        upvotes_before: Mapping[str, int] | None = None,
        first_seen: Mapping[str, datetime] | None = None,
    ) -> list[Alert]:
        """`match_alerts(repo.subscriptions(), papers, upvotes_before, first_seen)`, from the
        index."""
        if not papers:
            return []
        batch = list(papers)
        async with self._lock:
            return await asyncio.to_thread(
                lambda: self._match(repo, self._changes(repo), batch, upvotes_before, first_seen)
            )

    async def sync(self, repo: Repository) -> SubscriptionIndex:
        """Bring the index up to date with storage (building it the first time)."""
        async with self._lock:
            return await asyncio.to_thread(lambda: self._apply(self._changes(repo)))

    def _changes(self, repo: Repository) -> _Changes | None:
        # The version first: a change made while the rows are read is read again next time,
        # and applying it twice is harmless.
        version = self._version(repo)
        if self.index is None:  # every subscription: ~0.3 s at 100,000
            sample = repo.papers_on(repo.recent_days(SAMPLE_DAYS), limit=SAMPLE_PAPERS)
            with _collector_paused():
                added, removed = self._read(repo, None)
            return _Changes(version, added, removed, sample)
        if version == self.version:
            return None
        added, removed = self._read(repo, self.version)
        return _Changes(version, added, removed, None)

    def _version(self, repo: Repository) -> int:
        """The version of the newest change to what is matched."""
        return repo.subscriptions_version()

    def _read(self, repo: Repository, since: int | None) -> tuple[list[Subscription], list[int]]:
        """What to index and what to drop: everything (`since` None), or what changed."""
        if since is None:
            return repo.subscriptions(), []
        return repo.subscriptions(since_version=since), repo.subscriptions_removed(since)

    def _apply(self, changes: _Changes | None) -> SubscriptionIndex:
        if changes is not None:
            if changes.sample is not None or self.index is None:
                cost = frequency_cost(PaperText.many(changes.sample or []))
                self.index = SubscriptionIndex(cost=cost)
                self.likes = LikeIndex(self.likes.engine, self.likes.threshold)
            self.index.update(changes.added, changes.removed)
            self.likes.update(changes.added, changes.removed)
            self.version = changes.version
        assert self.index is not None
        return self.index

    def _match(
        self,
        repo: Repository,
        changes: _Changes | None,
        papers: list[Paper],
        upvotes_before: Mapping[str, int] | None,
        first_seen: Mapping[str, datetime] | None,
    ) -> list[Alert]:
        alerts = self._apply(changes).match(papers, upvotes_before, first_seen=first_seen)
        before = upvotes_before or {}
        # Similarity does not move with upvotes: a paper fanned out before had its chance.
        fresh = [p for p in papers if p.id not in before]
        return with_likes(alerts, self.likes.match(repo, fresh, first_seen))


def with_likes(alerts: Sequence[Alert], likes: Sequence[LikeMatch]) -> list[Alert]:
    """The keyword alerts with the similarity matches added: into the alert of the same
    (channel, paper) when there is one, else as a new alert at the end; each alert says why
    its best similarity match matched."""
    merged = list(alerts)
    at = {(a.channel, a.paper.id): i for i, a in enumerate(merged)}
    best: dict[int, float] = {}
    for like in likes:
        sub = like.subscription
        i = at.get((sub.channel, like.paper.id))
        if i is None:
            at[(sub.channel, like.paper.id)] = i = len(merged)
            merged.append(Alert(sub.channel, like.paper, ()))
        alert = merged[i]
        better = like.score > best.get(i, -1.0)
        merged[i] = replace(
            alert,
            matched=(*alert.matched, sub.query),
            subscriptions=(*alert.subscriptions, sub.id),
            why=like.why if better else alert.why,
        )
        if better:
            best[i] = like.score
    return merged
