"""Keyword alerts: match newly seen papers against every channel's subscriptions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache

from bot.domain import Alert, ChannelRef, Paper, Subscription
from bot.query.match import PaperText, matches
from bot.query.parse import Query, QueryError, parse

log = logging.getLogger(__name__)

ALERT_KIND = "alert"
MAX_SUBSCRIPTIONS_PER_CHANNEL = 50


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Query | None:
    try:
        return parse(text)
    except QueryError as exc:  # stored before a grammar change, perhaps: skip, don't crash
        log.warning("skipping subscription with an unreadable query %r: %s", text, exc)
        return None


def match_alerts(
    subscriptions: Iterable[Subscription],
    papers: Iterable[Paper],
    upvotes_before: Mapping[str, int] | None = None,
) -> list[Alert]:
    """One Alert per (channel, paper) that matched, naming every matching subscription.

    A paper listed in `upvotes_before` was matched before at that many upvotes: only queries
    it matches now and did not match then count (an `upvotes:>=N` alert crossing N).
    """
    before = upvotes_before or {}
    by_channel: dict[ChannelRef, list[tuple[str, Query]]] = {}
    for sub in subscriptions:
        query = _compiled(sub.query)
        if query is not None:
            by_channel.setdefault(sub.channel, []).append((sub.query, query))
    alerts: list[Alert] = []
    paper_list = list(papers)
    if not by_channel or not paper_list:
        return alerts
    for paper, text in zip(paper_list, PaperText.many(paper_list), strict=True):
        earlier = (replace(paper, upvotes=before[paper.id]) if paper.id in before else None)
        for channel, queries in by_channel.items():
            matched = tuple(raw for raw, q in queries if matches(q, text, paper)
                            and (earlier is None or not matches(q, text, earlier)))
            if matched:
                alerts.append(Alert(channel=channel, paper=paper, matched=matched))
    return alerts
