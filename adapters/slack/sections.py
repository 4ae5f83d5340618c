"""A paper as a Block Kit section: its full card, or its entry in a compact ranked list."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.cards import Link, PaperCard
from adapters.slack.blocks import Block, section
from adapters.slack.limits import ALT_TEXT_MAX, URL_MAX
from adapters.slack.mrkdwn import clip, clip_literal, label, link, slack_len, snippet_mrkdwn

# Presentation budgets (ours, not Slack's), in escaped UTF-16 units. With links capped at
# mrkdwn.LINK_URL_MAX, one paper section stays under about 2,600 units, inside the 3,000 limit.
TITLE_CHARS = 250
BYLINE_CHARS = 300
SUMMARY_CHARS = 500
REPO_LABEL_CHARS = 80
TAG_CHARS = 40
TAGS_SEPARATOR = " · "


@dataclass(frozen=True)
class Fit:
    """How much of a paper a compact list shows: title, summary and tags budgets (units)."""

    title: int
    summary: int
    tags: int  # how many tags


def _link_text(card: PaperCard, item: Link) -> str | None:
    shown = link(item.url, label(item.label, REPO_LABEL_CHARS if item.code else TITLE_CHARS))
    if shown and item.code and card.stars is not None:
        shown += f" ★{card.stars:,}"
    return shown


def _head(card: PaperCard, title_chars: int) -> str:
    """`1. <url|Title>` (the title alone when its URL cannot be linked)."""
    title = label(card.title, title_chars) or "(untitled)"
    rank = f"{card.rank}. " if card.rank is not None else ""
    return f"{rank}{link(card.url, title) or title}"


def tags_line(card: PaperCard, most: int) -> str:
    """`_diffusion · video generation_` in italics (literal text, each tag clipped), or ""."""
    shown = [clip_literal(tag, TAG_CHARS) for tag in card.tags[:most]]
    shown = [tag for tag in shown if tag]
    return f"_{TAGS_SEPARATOR.join(shown)}_" if shown else ""


def paper_section(card: PaperCard, thumbnail: bool = False, *, details: bool = False) -> Block:
    """One paper as a section: title link, ▲ 💬 (and its Daily Papers day on a dated card),
    byline, summary or snippet (with `details`: the abstract's excerpt), and links."""
    day = f"  · {card.day}" if card.dated else ""
    lines = [f"*{_head(card, TITLE_CHARS)}*  ▲ {card.upvotes:,}  💬 {card.comments:,}{day}"]
    lines.append(clip_literal(card.byline, BYLINE_CHARS))
    if card.snippet:
        lines.append(snippet_mrkdwn(card.snippet, SUMMARY_CHARS))
    else:
        body = (card.excerpt or card.summary) if details else card.summary
        lines.append(clip_literal(body, SUMMARY_CHARS))
    lines.append(" · ".join(shown for item in card.links if (shown := _link_text(card, item))))
    block = section("\n".join(line for line in lines if line))
    if thumbnail and card.thumbnail and slack_len(card.thumbnail) <= URL_MAX:
        block["accessory"] = {
            "type": "image",
            "image_url": card.thumbnail,
            "alt_text": clip(card.title, min(TITLE_CHARS, ALT_TEXT_MAX), False),
        }
    return block


def list_text(card: PaperCard, fit: Fit, lead: str = "") -> str:
    """A paper's lines in a compact list: `*1. <url|Title>*  ▲ 123`, its one-line summary
    and its tags, within `fit` (a `lead` line first: an alert's "New paper · matched")."""
    lines = [lead, f"*{_head(card, fit.title)}*  ▲ {card.upvotes:,}"]
    if fit.summary > 0:
        lines.append(clip_literal(card.summary, fit.summary))
    lines.append(tags_line(card, fit.tags))
    return "\n".join(line for line in lines if line)
