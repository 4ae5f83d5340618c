"""A paper as Discord embeds: its full card, the compact card of an alert or a late climber,
its details under a compact digest, and a compact digest's ranked list.

Every text is clipped to its own limit (docs/reference/discord.md §2); text paperboy did not
write is escaped (`adapters.discord.fit`).
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from adapters.cards import Link, PaperCard
from adapters.discord.fit import (
    SUMMARY_CHARS,
    clip,
    discord_len,
    link,
    safe_url,
    snippet_markdown,
)
from adapters.discord.limits import (
    EMBED_DESCRIPTION_MAX,
    EMBED_TITLE_MAX,
    FIELD_VALUE_MAX,
    FOOTER_MAX,
)

# Presentation budgets (ours, not Discord's), in escaped UTF-16 units. One full paper embed
# stays under about 2,400 units (title + summary + byline + links + footer), so a message
# always holds at least two, and a typical ~1,100-unit paper lets five share a message.
TITLE_CHARS = EMBED_TITLE_MAX
BYLINE_CHARS = 300
REPO_LABEL_CHARS = 80
TAG_CHARS = 40
EXCERPT_CHARS = 500  # a card's excerpt is up to 400 characters of abstract, then escaped
COMPACT_SUMMARY_CHARS = 300  # an alert's or a climber's one-line summary
COLOUR = discord.Colour(0xFFD21E)  # Hugging Face yellow

# The ranked list's caps (title, summary, tags a paper), loosest first: the first that lets
# every paper fit the list's 4096 units is used for all, so the list reads evenly.
LIST_CAPS: tuple[tuple[int, int, int], ...] = (
    (150, 130, 3),
    (120, 120, 3),
    (100, 100, 2),
    (90, 80, 2),
    (80, 60, 1),
    (70, 40, 1),
    (60, 30, 0),
    (50, 0, 0),
    (40, 0, 0),
    (30, 0, 0),
    (20, 0, 0),
)


def _link_text(card: PaperCard, item: Link) -> str | None:
    name = item.label.replace("[", "(").replace("]", ")")  # `]` ends the label
    shown = link(item.url, clip(name, REPO_LABEL_CHARS if item.code else TITLE_CHARS))
    if shown and item.code and card.stars is not None:
        shown += f" ★{card.stars:,}"
    return shown


def links(card: PaperCard) -> str:
    """The card's links (code with ★stars) as markdown links, as many as fit a field."""
    shown = ""
    for text in (text for item in card.links if (text := _link_text(card, item))):
        joined = f"{shown} · {text}" if shown else text
        if discord_len(joined) <= FIELD_VALUE_MAX:
            shown = joined
    return shown


def tags(card: PaperCard, most: int) -> str:
    """Up to `most` of the card's tags, `*diffusion · video generation*`, or ""."""
    shown = [t for t in (clip(tag, TAG_CHARS) for tag in card.tags[:most]) if t]
    return f"*{' · '.join(shown)}*" if shown else ""


def _headline(card: PaperCard) -> str:
    number = f"{card.rank}. " if card.rank is not None else ""
    return number + clip(card.title, TITLE_CHARS - len(number))


def paper_embed(card: PaperCard) -> discord.Embed:
    """One paper as an embed (the full layout): linked title, summary or snippet, ▲ 💬
    authors, links, thumbnail and the Daily Papers day."""
    body = snippet_markdown(card.snippet) if card.snippet else clip(card.summary, SUMMARY_CHARS)
    embed = discord.Embed(
        title=_headline(card), url=safe_url(card.url), description=body or None, colour=COLOUR
    )
    embed.add_field(name="▲ Upvotes", value=f"{card.upvotes:,}")
    embed.add_field(name="💬 Comments", value=f"{card.comments:,}")
    byline = clip(card.byline, BYLINE_CHARS)
    if byline.strip():
        embed.add_field(name="Authors", value=byline)
    shown = links(card)
    if shown:
        embed.add_field(name="Links", value=shown, inline=False)
    image = safe_url(card.thumbnail)
    if image:
        embed.set_thumbnail(url=image)
    embed.set_footer(text=clip(card.footer, FOOTER_MAX, False))
    return embed


def compact_embed(card: PaperCard) -> discord.Embed:
    """One paper in a few lines (a compact alert, a late climber): linked title; ▲ 💬 and the
    day; the one-line summary; tags; links."""
    lines = [
        f"▲ {card.upvotes:,} · 💬 {card.comments:,} · {card.day}",
        clip(card.summary, COMPACT_SUMMARY_CHARS),
        tags(card, len(card.tags)),
        links(card),
    ]
    return discord.Embed(
        title=_headline(card),
        url=safe_url(card.url),
        description="\n".join(line for line in lines if line.strip()),
        colour=COLOUR,
    )


def detail_embed(card: PaperCard) -> discord.Embed:
    """A paper's details under a compact digest: linked title, authors, the abstract's first
    sentences and the links (code with ★stars), with the thumbnail."""
    byline = clip(card.byline, BYLINE_CHARS)
    lines = [
        f"*{byline}*" if byline.strip() else "",
        clip(card.excerpt, EXCERPT_CHARS),
        links(card),
    ]
    embed = discord.Embed(
        title=_headline(card),
        url=safe_url(card.url),
        description="\n".join(line for line in lines if line.strip()) or None,
        colour=COLOUR,
    )
    image = safe_url(card.thumbnail)
    if image:
        embed.set_thumbnail(url=image)
    return embed


# --- the ranked list ---------------------------------------------------------------------------


def _entry(card: PaperCard, caps: tuple[int, int, int], linked: bool = True) -> str:
    """`**1. [Title](url)** ▲ 123`, then the summary and tags on a line of their own."""
    title_cap, summary_cap, most = caps
    number = f"{card.rank}. " if card.rank is not None else ""
    title = clip(card.title, title_cap)
    url = safe_url(card.url) if linked else None
    head = f"**{number}[{title}]({url})**" if url else f"**{number}{title}**"
    head += f" ▲ {card.upvotes:,}"
    second = [s for s in (clip(card.summary, summary_cap), tags(card, most)) if s]
    return "\n".join([head, " · ".join(second)]) if second else head


def ranked_list(cards: Sequence[PaperCard], limit: int = EMBED_DESCRIPTION_MAX) -> str:
    """The papers as a ranked list within `limit` units: per paper its rank, linked title and
    ▲ upvotes, then its one-line summary and tags, clipped evenly until all fit."""
    for caps in LIST_CAPS:
        text = "\n".join(_entry(c, caps) for c in cards)
        if discord_len(text) <= limit:
            return text
    # Long URLs or many papers: each paper gets an equal share, and what fits in it.
    share = (limit - max(len(cards) - 1, 0)) // max(len(cards), 1)
    return "\n".join(_fair_entry(c, share) for c in cards)


def _fair_entry(card: PaperCard, share: int) -> str:
    for linked in (True, False):
        for caps in LIST_CAPS:
            entry = _entry(card, caps, linked)
            if discord_len(entry) <= share:
                return entry
    return clip(f"{card.rank or ''}. {card.title}", share)
