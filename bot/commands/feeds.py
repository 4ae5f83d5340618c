"""`feed`, `feed rotate`, `feed off`: a channel's private feed URLs."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, cast

from bot.domain import Invocation, Reply
from bot.syndication.items import FeedRepository

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

TOKEN_BYTES = 24
FEEDS_PATH = "/feeds"
EXTENSIONS = (("RSS", "rss"), ("Atom", "atom"), ("JSON Feed", "json"), ("BibTeX", "bib"))
WHAT = (
    "They list every paper this channel received (digests, roll-ups, alerts, late climbers), "
    "newest first, each dated by when it first arrived here. Anyone with a URL can read the "
    "feed: `/papers feed rotate` replaces them, `/papers feed off` stops them."
)
NO_SERVER = (
    "paperboy serves no HTTP here yet, so these URLs answer nothing: its operator must set "
    "PAPERBOY_HTTP_PORT (and PAPERBOY_PUBLIC_URL, the address readers reach it at)."
)


def _repo(handlers: Handlers) -> FeedRepository:
    # The wiring's repository is the Store, which keeps feed tokens.
    return cast(FeedRepository, handlers.repo)


def _urls(handlers: Handlers, token: str) -> str:
    base = handlers.feed_base or "http://127.0.0.1:8080"
    lines = [f"{name}: {base}{FEEDS_PATH}/{token}.{ext}" for name, ext in EXTENSIONS]
    if handlers.feed_base is None:
        lines.append(NO_SERVER)
    return "\n".join(lines)


def _new_token(handlers: Handlers, inv: Invocation) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    handlers.repo.save_channel(handlers.core.settings(inv.channel))
    _repo(handlers).set_feed_token(inv.channel, token, handlers.core.clock())
    return token


def feed(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Show the channel's feed URLs (making them on first use); only the caller sees them."""
    token = _repo(handlers).feed_token(inv.channel)
    made = token is None
    if token is None:
        token = _new_token(handlers, inv)
    intro = "This channel's feeds are on. " if made else ""
    return Reply(text=f"{intro}{WHAT}\n{_urls(handlers, token)}", title="This channel's feeds")


def feed_rotate(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Replace the channel's feed URLs: the old ones stop working at once."""
    had = _repo(handlers).feed_token(inv.channel) is not None
    token = _new_token(handlers, inv)
    said = "The old URLs no longer work. " if had else ""
    return Reply(text=f"New feed URLs. {said}\n{_urls(handlers, token)}", title="Feeds rotated")


def feed_off(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Turn the channel's feeds off: their URLs stop working."""
    repo = _repo(handlers)
    if repo.feed_token(inv.channel) is None:
        return Reply(text="This channel's feeds are already off.")
    repo.set_feed_token(inv.channel, None, handlers.core.clock())
    return Reply(text="This channel's feeds are off; their URLs no longer work.")
