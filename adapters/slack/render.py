"""Pure renderers from domain objects to Slack Block Kit messages that Slack always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's blocks or its cumulative text budget run out, the rest continues in the next
`SlackMessage`, which the caller posts in the thread of the first. Lengths are measured in UTF-16
code units after mrkdwn escaping, so a limit holds whichever unit Slack counts in. Text
paperboy did not write is made `literal` (escaped, formatting characters as look-alikes): it
can carry no link, mention or formatting of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.cards import (
    HF_DAILY_NAME,
    HF_DAILY_URL,
    Link,
    PaperCard,
    alert_view,
    digest_view,
    papers_count,
    reply_view,
)
from adapters.slack.limits import (
    ALT_TEXT_MAX,
    BLOCKS_TEXT_BUDGET,
    FALLBACK_TEXT_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS,
    URL_MAX,
)
from adapters.slack.mrkdwn import (
    clip,
    clip_literal,
    label,
    link,
    slack_len,
    snippet_mrkdwn,
    split_text,
)
from bot.domain import Alert, Digest, Reply

Block = dict[str, Any]

# Presentation budgets (ours, not Slack's), in escaped UTF-16 units. With links capped at
# mrkdwn.LINK_URL_MAX, one paper section stays under about 2,600 units, inside the 3,000 limit.
TITLE_CHARS = 250
BYLINE_CHARS = 300
SUMMARY_CHARS = 500
REPO_LABEL_CHARS = 80
MATCHED_CHARS = 1000
CONTINUED_LABEL_CHARS = 100


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage payload: the notification fallback `text` and the Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


# --- blocks ----------------------------------------------------------------------------------


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, HEADER_TEXT_MAX, False), "emoji": True},
    }


def block_cost(value: Any) -> int:
    """Units a block spends of the cumulative budget: every string in it but the `type` names."""
    if isinstance(value, dict):
        return sum(block_cost(v) for k, v in value.items() if k != "type")
    if isinstance(value, list):
        return sum(block_cost(v) for v in value)
    return slack_len(value) if isinstance(value, str) else 0


def _link_text(card: PaperCard, item: Link) -> str | None:
    shown = link(item.url, label(item.label, REPO_LABEL_CHARS if item.code else TITLE_CHARS))
    if shown and item.code and card.stars is not None:
        shown += f" ★{card.stars:,}"
    return shown


def paper_section(card: PaperCard, thumbnail: bool = False) -> Block:
    """One paper as a section: title link, ▲ 💬 (and its Daily Papers day on a dated card),
    byline, summary or snippet, and links."""
    title = label(card.title, TITLE_CHARS) or "(untitled)"
    head = link(card.url, title) or title
    day = f"  · {card.day}" if card.dated else ""
    rank = f"{card.rank}. " if card.rank is not None else ""
    lines = [f"*{rank}{head}*  ▲ {card.upvotes:,}  💬 {card.comments:,}{day}"]
    lines.append(clip_literal(card.byline, BYLINE_CHARS))
    lines.append(
        snippet_mrkdwn(card.snippet, SUMMARY_CHARS)
        if card.snippet
        else clip_literal(card.summary, SUMMARY_CHARS)
    )
    lines.append(" · ".join(shown for item in card.links if (shown := _link_text(card, item))))
    block = _section("\n".join(line for line in lines if line))
    if thumbnail and card.thumbnail and slack_len(card.thumbnail) <= URL_MAX:
        block["accessory"] = {
            "type": "image",
            "image_url": card.thumbnail,
            "alt_text": clip(card.title, min(TITLE_CHARS, ALT_TEXT_MAX), False),
        }
    return block


# --- paging ----------------------------------------------------------------------------------


@dataclass
class _Page:
    blocks: list[Block]
    items: list[int] = field(default_factory=list)  # indices of the items on this page


def _continued(k: int, n: int, label: str) -> Block:
    suffix = f" · {clip_literal(label, CONTINUED_LABEL_CHARS)}" if label.strip() else ""
    return _context(f"(continued, {k}/{n}){suffix}")


def _paginate(
    lead: list[Block], items: list[tuple[Block, bool]], footer: list[Block], label: str
) -> list[_Page]:
    """Fill messages in order: `lead` opens the first, a "(continued, k/n)" context opens the
    others, `footer` closes the last. Items flagged True get a divider when not first on a page."""
    reserve = _continued(9999, 9999, label)
    pages = [_Page(list(lead))]
    for i, (block, divided) in enumerate(items):
        page = pages[-1]
        extra = ([{"type": "divider"}] if divided and page.items else []) + [block]
        blocks = page.blocks + extra + footer
        if page.items and (len(blocks) > MAX_BLOCKS or block_cost(blocks) > BLOCKS_TEXT_BUDGET):
            page = _Page([reserve])
            pages.append(page)
            extra = [block]
        page.blocks += extra
        page.items.append(i)
    pages[-1].blocks += footer
    for k, page in enumerate(pages[1:], 2):
        page.blocks[0] = _continued(k, len(pages), label)
    return pages


def _fallback(text: str) -> str:
    return clip(text, FALLBACK_TEXT_MAX) or "paperboy"


# --- renderers -------------------------------------------------------------------------------


def render_digest(digest: Digest, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A digest: [0] is the channel post, the rest continue in its thread.

    Thumbnails are opt-in: Slack fetches `image_url` and rejects the whole message
    (`invalid_blocks`) when the image cannot be downloaded."""
    view = digest_view(digest)
    about = f"{view.name} for {view.when}"
    if not view.cards:
        items = [(_section(p), False) for p in split_text(view.intro)]
        pages = _paginate([_header(view.title)], items, [], view.title)
        return [SlackMessage(_fallback(f"{about}: {view.intro}"), p.blocks) for p in pages]
    items = [(paper_section(c, thumbnails), True) for c in view.cards]
    footer = [_context(f"{view.footer} · via {link(HF_DAILY_URL, HF_DAILY_NAME)}")]
    pages = _paginate([_header(view.title)], items, footer, view.title)
    top = view.cards[0].title
    texts = [f"{about}: {papers_count(len(view.cards))} — top: {top}"]
    texts += [
        f"{about} (continued, {k}/{len(pages)}): papers {p.items[0] + 1}–{p.items[-1] + 1}"
        for k, p in enumerate(pages[1:], 2)
    ]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]


def render_alert(alert: Alert, *, thumbnails: bool = False) -> list[SlackMessage]:
    """An alert: which subscriptions matched, then the paper."""
    view = alert_view(alert)
    [card] = view.cards
    items = [
        (_section(f"*{view.name}* · matched: {clip_literal(view.matched, MATCHED_CHARS)}"), False),
        (paper_section(card, thumbnails), False),
    ]
    pages = _paginate([], items, [], view.name)
    texts = [f"{view.name} matching {view.matched}: {card.title}"]
    texts += [f"{view.name} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command's answer: title, mrkdwn text split at line boundaries, then the hits.
    Errors start with ":warning:"."""
    view = reply_view(reply)
    title, text = view.title, view.intro
    lead: list[Block] = []
    if not view.ok:
        text = f":warning: {f'*{title}* ' if title else ''}{text}"
    elif title:
        lead = [_header(title)]
    items = [(_section(p), False) for p in split_text(text)]
    items += [(paper_section(c), True) for c in view.cards]
    pages = _paginate(lead, items, [], title)
    first = next((line for line in text.splitlines() if line.strip()), "")
    texts = [
        f"{title}: {first}"
        if title and view.ok
        else first or title or papers_count(len(view.cards))
    ]
    texts += [
        f"{title or 'paperboy'} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)
    ]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]
