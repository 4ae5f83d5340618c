"""A channel's feed items as RSS 2.0 and Atom (feedgen) and JSON Feed 1.1."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from bot.syndication.items import FeedItem

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "paperboy"
# XML 1.0 forbids these characters even escaped; lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Items dated before any delivery (no items): a fixed, old date keeps the feed stable.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _summary(item: FeedItem) -> str:
    paper = item.paper
    return paper.ai_summary or paper.summary or paper.title


def _updated(items: Sequence[FeedItem]) -> datetime:
    return max((i.first_sent for i in items), default=EPOCH)


def _generator(title: str, home: str, self_url: str, items: Sequence[FeedItem]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(_xml(title))
    fg.link(href=home, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.description(_xml(f"{title}: the papers this channel received from paperboy"))
    fg.generator(GENERATOR)
    fg.updated(_updated(items))
    for item in items:
        paper = item.paper
        entry = fg.add_entry(order="append")
        entry.id(item.id)
        entry.guid(item.id, permalink=True)
        entry.title(_xml(paper.title))
        entry.link(href=paper.url)
        entry.published(item.first_sent)
        entry.updated(item.first_sent)  # an edited digest never re-dates an item
        entry.description(_xml(_summary(item)))
        for name in paper.authors[:20]:
            entry.author({"name": _xml(name)})
        for keyword in paper.ai_keywords[:10]:
            entry.category(term=_xml(keyword))
    return fg


def rss(title: str, home: str, self_url: str, items: Sequence[FeedItem]) -> bytes:
    """The items as RSS 2.0."""
    return bytes(_generator(title, home, self_url, items).rss_str(pretty=True))


def atom(title: str, home: str, self_url: str, items: Sequence[FeedItem]) -> bytes:
    """The items as Atom 1.0."""
    return bytes(_generator(title, home, self_url, items).atom_str(pretty=True))


def json_feed(title: str, home: str, self_url: str, items: Sequence[FeedItem]) -> bytes:
    """The items as JSON Feed 1.1."""
    body = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": home,
        "feed_url": self_url,
        "items": [
            {
                "id": item.id,
                "url": item.paper.url,
                "external_url": item.paper.arxiv_url,
                "title": item.paper.title,
                "content_text": _summary(item),
                "date_published": item.first_sent.astimezone(UTC).isoformat(),
                "authors": [{"name": name} for name in item.paper.authors[:20]],
                "tags": list(item.paper.ai_keywords[:10]),
                "_paperboy": {"upvotes": item.paper.upvotes, "day": item.paper.day.isoformat()},
            }
            for item in items
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode()
