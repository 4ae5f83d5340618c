"""Pure renderers from domain objects to Discord messages (content plus embeds) that Discord
always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's embeds or its 6000-character embed budget run out, the rest continues in the
next `DiscordMessage`, which the caller posts after the first (or in its thread). Lengths are
measured in UTF-16 code units after markdown escaping, so a limit holds whichever unit Discord
counts in. Text paperboy did not write is escaped with `adapters.discord.markdown.escape`
wherever Discord reads markdown (content, embed titles, descriptions and field values); a
command's reply, paperboy's markdown with user text in code spans, is `defuse`d. Posts also
carry `allowed_mentions` none (the publisher and the command replies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import discord

from adapters.cards import Link, PaperCard, alert_view, digest_view, reply_view
from adapters.discord import markdown
from adapters.discord.limits import (
    CONTENT_MAX,
    EMBED_TITLE_MAX,
    EMBEDS_PER_MESSAGE,
    EMBEDS_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FOOTER_MAX,
    THREAD_NAME_MAX,
)
from adapters.text import char_units, cut, fit, split_pieces, utf16_len
from bot.domain import Alert, Digest, Reply

# Presentation budgets (ours, not Discord's), in escaped UTF-16 units. One paper embed stays
# under about 2,400 units (title + summary + byline + links + footer), so a message always holds
# at least two, and a typical ~1,100-unit paper lets five share a message.
TITLE_CHARS = EMBED_TITLE_MAX
SUMMARY_CHARS = 700
BYLINE_CHARS = 300
LINK_URL_MAX = 2000
REPO_LABEL_CHARS = 80
MATCHED_CHARS = 1000
REPLY_TITLE_CHARS = 256
CONTINUED_LABEL_CHARS = 100
COLOUR = discord.Colour(0xFFD21E)  # Hugging Face yellow

_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Every character `markdown.escape` may put a backslash before.
_ESCAPABLE = frozenset("\\*_~`|[]<>@:#-+.")


@dataclass(frozen=True)
class DiscordMessage:
    """One message to send: `channel.send(content=m.content or None, embeds=m.embeds)`.

    `content` is "" only when `embeds` is not empty."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)


# --- text ------------------------------------------------------------------------------------


discord_len = utf16_len


def escape(text: str) -> str:
    """User text made literal in Discord markdown: no formatting, link or mention survives."""
    return markdown.escape(text)


def clip(text: str, limit: int, escaped: bool = True) -> str:
    """One line of text in at most `limit` units, cut at a word boundary with "…"; markdown-escaped
    unless `escaped` is False (for embed titles and other plain text)."""
    text = " ".join(text.split())
    budget = limit
    while True:
        out = text if fit(text, budget) == len(text) else cut(text, budget) + "…"
        if escaped:
            out = escape(out)
        over = discord_len(out) - limit
        if over <= 0 or budget <= 1:
            return out if over <= 0 else ""
        budget -= over  # escaping added characters: cut the raw text shorter and try again


def _defused_units(ch: str) -> int:
    """At least a character's length once defused: escaping adds one backslash at most."""
    return char_units(ch) + (ch in _ESCAPABLE)


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Pieces of paperboy's markdown `text`, each defused and within `limit` units; nothing is
    cut off. Each piece is defused on its own, so a code span cut in two is escaped, not
    left open."""
    return [markdown.defuse(p) for p in split_pieces(text, limit, _defused_units)]


def snippet_markdown(snippet: str, limit: int = SUMMARY_CHARS) -> str:
    """A search snippet whose matches are marked `**word**` (already Discord bold), with
    everything else escaped, clipped to `limit` units."""
    parts = _BOLD.split(" ".join(snippet.split()))
    out: list[str] = []
    left = limit
    for i, part in enumerate(parts):
        bold = i % 2 == 1 and bool(part.strip())
        text = escape(part.strip() if bold else part)
        cost = discord_len(text) + (4 if bold else 0)
        if cost > left:
            if bold and left > 5:
                out.append(f"**{clip(part, left - 4)}**")
            else:
                space = " " if out and part[:1].isspace() else ""
                out.append(space + clip(part, left - len(space)) if left > len(space) else "")
            break
        out.append(f"**{text}**" if bold else text)
        left -= cost
    return "".join(out).strip()


def _url(url: str | None) -> str | None:
    """A URL safe in an embed and inside `[label](url)`, or None when it is not http(s) or too
    long to show."""
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        return None
    safe = quote(url, safe="!#$%&'*+,/:;=?@~-._")
    return safe if discord_len(safe) <= LINK_URL_MAX else None


def _link(url: str | None, label: str) -> str | None:
    safe = _url(url)
    return f"[{label}]({safe})" if safe else None


# --- embeds ----------------------------------------------------------------------------------


def embed_cost(embed: discord.Embed) -> int:
    """Units an embed spends of the message's 6000: title, description, field names and values,
    footer text and author name (what `len(embed)` counts, in UTF-16 units)."""
    texts = [embed.title, embed.description, embed.footer.text, embed.author.name]
    texts += [s for f in embed.fields for s in (f.name, f.value)]
    return sum(discord_len(t or "") for t in texts)


def _link_text(card: PaperCard, item: Link) -> str | None:
    name = item.label.replace("[", "(").replace("]", ")")  # `]` ends the label
    shown = _link(item.url, clip(name, REPO_LABEL_CHARS if item.code else TITLE_CHARS))
    if shown and item.code and card.stars is not None:
        shown += f" ★{card.stars:,}"
    return shown


def _links(card: PaperCard) -> str:
    """The card's links (code with ★stars) as markdown links, as many as fit a field."""
    shown = ""
    for link in (link for item in card.links if (link := _link_text(card, item))):
        joined = f"{shown} · {link}" if shown else link
        if discord_len(joined) <= FIELD_VALUE_MAX:
            shown = joined
    return shown


def paper_embed(card: PaperCard) -> discord.Embed:
    """One paper as an embed: linked title, summary or snippet, ▲ 💬 authors, links, thumbnail
    and the Daily Papers day."""
    number = f"{card.rank}. " if card.rank is not None else ""
    title = number + clip(card.title, TITLE_CHARS - len(number))
    body = snippet_markdown(card.snippet) if card.snippet else clip(card.summary, SUMMARY_CHARS)
    embed = discord.Embed(title=title, url=_url(card.url), description=body or None, colour=COLOUR)
    embed.add_field(name="▲ Upvotes", value=f"{card.upvotes:,}")
    embed.add_field(name="💬 Comments", value=f"{card.comments:,}")
    byline = clip(card.byline, BYLINE_CHARS)
    if byline.strip():
        embed.add_field(name="Authors", value=byline)
    links = _links(card)
    if links:
        embed.add_field(name="Links", value=links, inline=False)
    image = _url(card.thumbnail)
    if image:
        embed.set_thumbnail(url=image)
    embed.set_footer(text=clip(card.footer, FOOTER_MAX, False))
    return embed


# --- paging ----------------------------------------------------------------------------------


@dataclass
class _Page:
    lines: list[str]
    embeds: list[discord.Embed] = field(default_factory=list)


def _continued(k: int, n: int, label: str) -> str:
    suffix = f" · {clip(label, CONTINUED_LABEL_CHARS)}" if label.strip() else ""
    return f"(continued, {k}/{n}){suffix}"


def _paginate(lead: str, text: str, embeds: list[discord.Embed], label: str) -> list[_Page]:
    """Fill messages in order: `lead` opens the first, a "(continued, k/n)" line opens the others;
    `text` is split at line breaks across contents, then the embeds follow, at most 10 and 6000
    units a message."""
    reserve = _continued(9999, 9999, label)
    room = CONTENT_MAX - max(discord_len(lead), discord_len(reserve)) - 1
    pages = [
        _Page([lead if not k else reserve, piece]) for k, piece in enumerate(split_text(text, room))
    ]
    pages = pages or [_Page([lead])]
    for embed in embeds:
        page = pages[-1]
        cost = sum(embed_cost(e) for e in page.embeds) + embed_cost(embed)
        if page.embeds and (len(page.embeds) >= EMBEDS_PER_MESSAGE or cost > EMBEDS_TOTAL_MAX):
            page = _Page([reserve])
            pages.append(page)
        page.embeds.append(embed)
    for k, page in enumerate(pages[1:], 2):
        page.lines[0] = _continued(k, len(pages), label)
    return pages


def _messages(pages: list[_Page]) -> list[DiscordMessage]:
    return [DiscordMessage("\n".join(line for line in p.lines if line), p.embeds) for p in pages]


# --- renderers -------------------------------------------------------------------------------


def thread_name(digest: Digest) -> str:
    """A name for the digest's thread or forum post, within Discord's 100 characters."""
    return clip(digest_view(digest).title, THREAD_NAME_MAX, False)


def render_digest(digest: Digest) -> list[DiscordMessage]:
    """A digest: [0] is the first post, the rest continue it (following messages or a thread)."""
    view = digest_view(digest)
    if not view.cards:
        return _messages(_paginate(f"**{view.title}**", view.intro, [], view.title))
    embeds = [paper_embed(c) for c in view.cards]
    return _messages(_paginate(f"**{view.title}** — {view.footer}", "", embeds, view.title))


def render_alert(alert: Alert) -> list[DiscordMessage]:
    """An alert: which subscriptions matched, then the paper."""
    view = alert_view(alert)
    lead = f"{view.name} · matched: {clip(view.matched, MATCHED_CHARS)}"
    return _messages(_paginate(lead, "", [paper_embed(c) for c in view.cards], view.name))


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """A command's answer: bold title, markdown text split at line boundaries across messages,
    then the hits as embeds. Errors start with "⚠️ "."""
    view = reply_view(reply)
    title, text = clip(view.title, REPLY_TITLE_CHARS), view.intro
    lead = f"**{title}**" if title else ""
    if not view.ok:
        lead, text = (f"⚠️ {lead}", text) if lead else ("", f"⚠️ {text}")
    return _messages(_paginate(lead, text, [paper_embed(c) for c in view.cards], view.title))
