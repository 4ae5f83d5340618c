"""/feeds/<token>.<rss|atom|json|bib>: a channel's feeds, served beside /healthz.

The token is the secret: an unknown, rotated or removed one is the same bare 404 as a bad
path, so a guess learns nothing. Bodies carry a strong ETag (a hash of the body) and
`If-None-Match` gets a 304; the database is read in a worker thread."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from bot.commands.exports import bibtex
from bot.domain import DatabaseDamaged
from bot.syndication.formats import EPOCH, atom, json_feed, rss
from bot.syndication.items import FeedItem, FeedRepository, feed_items

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

FEEDS_PATH = "/feeds"
HF_HOME = "https://huggingface.co/papers"
CACHE_CONTROL = "private, max-age=300"
Render = Callable[[str, str, str, list[FeedItem]], bytes]


def _bib(title: str, home: str, self_url: str, items: list[FeedItem]) -> bytes:
    return bibtex([item.paper for item in items]).encode()


# Per extension: its content type and how the items are written.
FORMATS: dict[str, tuple[str, Render]] = {
    "rss": ("application/rss+xml; charset=utf-8", rss),
    "atom": ("application/atom+xml; charset=utf-8", atom),
    "json": ("application/feed+json; charset=utf-8", json_feed),
    "bib": ("application/x-bibtex; charset=utf-8", _bib),
}


class FeedRoutes:
    """Serves every channel's feeds from the store."""

    def __init__(self, repo: FeedRepository) -> None:
        self.repo = repo

    def add_routes(self, app: web.Application) -> None:
        """Serve /feeds/<token>.<ext> (GET and HEAD) from `app`."""
        app.router.add_get(FEEDS_PATH + "/{name}", self.serve)

    def _body(self, token: str, ext: str, self_url: str) -> tuple[bytes, datetime] | None:
        channel = self.repo.feed_channel(token)
        if channel is None:
            return None
        items = feed_items(self.repo, channel)
        title = f"paperboy · {channel.channel}"
        newest = max((i.first_sent for i in items), default=EPOCH)
        return FORMATS[ext][1](title, HF_HOME, self_url, items), newest

    async def serve(self, request: web.Request) -> web.Response:
        """One feed, 304 when the reader has it, or a 404 that says nothing."""
        from aiohttp import web

        token, dot, ext = request.match_info["name"].rpartition(".")
        if not dot or not token or ext not in FORMATS:
            return web.Response(status=404, text="not found\n")
        try:
            found = await asyncio.to_thread(self._body, token, ext, str(request.url))
        except DatabaseDamaged as exc:
            log.error("feed request: %s", exc)
            return web.Response(status=503, text="paperboy's database is damaged\n")
        if found is None:
            return web.Response(status=404, text="not found\n")
        body, newest = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        tags = _tags(request.headers.get("If-None-Match", ""))
        if etag in tags or "*" in tags:
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = FORMATS[ext][0]
        headers["Last-Modified"] = format_datetime(newest, usegmt=True)
        return web.Response(body=body, headers=headers)


def _tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (`*` matches any)."""
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
