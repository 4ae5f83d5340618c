"""Pure renderers from domain objects to Discord messages (content, embeds and components)
that Discord always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's embeds or its 6000-character embed budget run out, the rest continues in the
next `DiscordMessage`, which the caller posts after the first (or in its thread). Lengths are
measured in UTF-16 code units after markdown escaping (`adapters.discord.fit`). Posts also carry
`allowed_mentions` none (the publisher and the command replies).

A compact digest's first message is its whole ranked list in one embed with three selects
(save, not relevant, more like this) over its papers; the papers' details follow in the next
messages, marked `in_thread`: the publisher posts them in a thread started from the first. A
full digest is a card per paper, each message with the selects of its own papers.
An alert and a late climber carry their paper's three buttons (an alert a fourth, "Notify me
too"); a click's confirmation, Undo. A direct message (a match of a person's own alerts) is the
paper's full card without buttons; a refused one, posted in the channel instead, mentions the
person first (`DiscordMessage.mention`: the one user its `allowed_mentions` lets it notify).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import discord

from adapters.cards import (
    PaperCard,
    PostView,
    alert_view,
    climber_view,
    digest_view,
    direct_view,
    mention_view,
    reply_view,
)
from adapters.discord.components import paper_buttons, paper_selects, undo_button
from adapters.discord.embeds import (
    COLOUR,
    compact_embed,
    detail_embed,
    paper_embed,
    ranked_list,
)
from adapters.discord.fit import (
    SUMMARY_CHARS,
    clip,
    discord_len,
    embed_cost,
    escape,
    snippet_markdown,
    split_text,
)
from adapters.discord.limits import (
    CONTENT_MAX,
    EMBEDS_PER_MESSAGE,
    EMBEDS_TOTAL_MAX,
    SELECT_OPTIONS_MAX,
    THREAD_NAME_MAX,
)
from bot.domain import Alert, Climber, Digest, DigestEdit, DirectMessage, Layout, Mention, Reply

__all__ = [
    "SUMMARY_CHARS",
    "DiscordMessage",
    "clip",
    "discord_len",
    "escape",
    "paper_embed",
    "render_alert",
    "render_climber",
    "render_digest",
    "render_direct",
    "render_edit",
    "render_mention",
    "render_reply",
    "snippet_markdown",
    "split_text",
    "thread_name",
]

MATCHED_CHARS = 1000
REASON_CHARS = 200
REPLY_TITLE_CHARS = 256
CONTINUED_LABEL_CHARS = 100


@dataclass(frozen=True)
class DiscordMessage:
    """One message to send: its `content`, `embeds` and `components` (action rows as JSON);
    `in_thread`: it belongs in the thread of the post's first message (a compact digest's
    details), not in the channel after it.

    `content` is "" only when `embeds` is not empty. `mention`: the user id the content
    mentions (`<@id>`), the only one it may notify; None: it notifies nobody."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    in_thread: bool = False
    mention: str | None = None


# --- paging ----------------------------------------------------------------------------------


@dataclass
class _Page:
    lines: list[str]
    embeds: list[discord.Embed] = field(default_factory=list)
    cards: list[PaperCard] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False  # takes no more embeds (a compact digest's list)
    in_thread: bool = False  # goes in the first message's thread (a compact digest's details)


def _continued(k: int, n: int, label: str) -> str:
    suffix = f" · {clip(label, CONTINUED_LABEL_CHARS)}" if label.strip() else ""
    return f"(continued, {k}/{n}){suffix}"


def _reserve(label: str) -> str:
    return _continued(9999, 9999, label)


def _text_pages(lead: str, text: str, label: str) -> list[_Page]:
    """`lead` opens the first page, `text` split at line breaks across the pages' contents."""
    reserve = _reserve(label)
    room = CONTENT_MAX - max(discord_len(lead), discord_len(reserve)) - 1
    pieces = split_text(text, room)
    return [_Page([lead if not k else reserve, piece]) for k, piece in enumerate(pieces)] or [
        _Page([lead])
    ]


def _paginate(
    pages: list[_Page],
    items: Sequence[tuple[discord.Embed, PaperCard | None]],
    label: str,
    in_thread: bool = False,
) -> list[_Page]:
    """Add the embeds after `pages`, at most 10 and 6000 units a message (new pages marked
    `in_thread`); a "(continued, k/n)" line opens every page after the first."""
    for embed, card in items:
        page = pages[-1]
        cost = sum(embed_cost(e) for e in page.embeds) + embed_cost(embed)
        full = len(page.embeds) >= EMBEDS_PER_MESSAGE or cost > EMBEDS_TOTAL_MAX
        if page.closed or (page.embeds and full):
            page = _Page([_reserve(label)], in_thread=in_thread)
            pages.append(page)
        page.embeds.append(embed)
        if card is not None:
            page.cards.append(card)
    for k, page in enumerate(pages[1:], 2):
        page.lines[0] = _continued(k, len(pages), label)
    return pages


def _messages(pages: list[_Page]) -> list[DiscordMessage]:
    return [
        DiscordMessage(
            "\n".join(line for line in p.lines if line), p.embeds, p.components, p.in_thread
        )
        for p in pages
    ]


# --- renderers -------------------------------------------------------------------------------


def thread_name(digest: Digest) -> str:
    """A name for the digest's thread or forum post, within Discord's 100 characters."""
    return clip(digest_view(digest).title, THREAD_NAME_MAX, False)


def render_digest(digest: Digest) -> list[DiscordMessage]:
    """A digest: [0] is the first post, the rest continue it (following messages or a thread)."""
    view = digest_view(digest)
    if not view.cards:
        return _messages(_text_pages(f"**{view.title}**", view.intro, view.title))
    lead = f"**{view.title}** — {view.footer}"
    if view.layout is Layout.COMPACT:
        return _messages(_compact_digest(view, lead))
    pages = _paginate([_Page([lead])], [(paper_embed(c), c) for c in view.cards], view.title)
    for page in pages:
        page.components = paper_selects(page.cards)
    return _messages(pages)


def _compact_digest(view: PostView, lead: str) -> list[_Page]:
    """The ranked list with its selects (one message for up to 25 papers), then the details
    for its thread."""
    pages: list[_Page] = []
    for start in range(0, len(view.cards), SELECT_OPTIONS_MAX):
        chunk = view.cards[start : start + SELECT_OPTIONS_MAX]
        embed = discord.Embed(description=ranked_list(chunk), colour=COLOUR)
        line = lead if not pages else _reserve(view.title)
        pages.append(_Page([line], [embed], components=paper_selects(chunk), closed=True))
    details = [(detail_embed(c), None) for c in view.cards]
    return _paginate(pages, details, view.title, in_thread=True)


def render_edit(edit: DigestEdit) -> DiscordMessage:
    """A posted digest's new version: exactly the first message of its compact rendering."""
    return render_digest(replace(edit.digest, layout=Layout.COMPACT))[0]


def render_alert(alert: Alert) -> list[DiscordMessage]:
    """An alert: which subscriptions matched, then the paper with its three buttons."""
    view = alert_view(alert)
    lead = f"{view.name} · matched: {clip(view.matched, MATCHED_CHARS)}"
    [card] = view.cards
    buttons = paper_buttons(card, view.notify)
    if view.layout is Layout.COMPACT:
        return [DiscordMessage(lead, [compact_embed(card)], buttons)]
    pages = _paginate([_Page([lead])], [(paper_embed(card), card)], view.name)
    pages[-1].components = buttons
    return _messages(pages)


def render_direct(dm: DirectMessage) -> list[DiscordMessage]:
    """A match of a person's own alerts, in their DMs: what matched, then the paper's full
    card (no buttons: clicks count in a channel)."""
    view = direct_view(dm)
    lead = f"**{view.name}** · matched: {clip(view.matched, MATCHED_CHARS)}"
    [card] = view.cards
    return _messages(_paginate([_Page([lead])], [(paper_embed(card), card)], view.name))


def render_mention(mention: Mention) -> list[DiscordMessage]:
    """A refused DM, in the channel instead: the person mentioned first (notified, and nobody
    else), why they are, what matched, then the paper's full card."""
    view = mention_view(mention)
    user = view.mention if view.mention is not None and view.mention.isdigit() else None
    intro = view.intro  # paperboy's own markdown (MENTION_INTRO), no user text
    matched = f"**{view.name}** · matched: {clip(view.matched, MATCHED_CHARS)}"
    lead = " ".join(s for s in (f"<@{user}>" if user else "", intro) if s) + "\n" + matched
    [card] = view.cards
    messages = _messages(_paginate([_Page([lead])], [(paper_embed(card), card)], view.name))
    return [replace(messages[0], mention=user), *messages[1:]]


def render_climber(climber: Climber) -> DiscordMessage:
    """A late climber, replying to its digest: why, then the paper with its three buttons."""
    view = climber_view(climber)
    [card] = view.cards
    lead = f"📈 **{view.name}** · {clip(view.intro, REASON_CHARS)}"
    return DiscordMessage(lead, [compact_embed(card)], paper_buttons(card))


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """A command's answer: bold title, markdown text split at line boundaries across messages,
    then the hits as embeds; a click's confirmation ends with its Undo button. Errors start
    with "⚠️ "."""
    view = reply_view(reply)
    title, text = clip(view.title, REPLY_TITLE_CHARS), view.intro
    lead = f"**{title}**" if title else ""
    if not view.ok:
        lead, text = (f"⚠️ {lead}", text) if lead else ("", f"⚠️ {text}")
    hits = [(paper_embed(c), None) for c in view.cards]
    pages = _paginate(_text_pages(lead, text, view.title), hits, view.title)
    if view.undo is not None:
        pages[-1].components = undo_button(view.undo, view.like)
    return _messages(pages)
