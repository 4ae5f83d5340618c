"""The COMPACT layout on Slack: a ranked list a reader scans in seconds, details in its thread.

Part 1 (the channel message, the one a living digest edits) is the header, one section per
paper (`*1. <url|Title>*  ▲ 123`, the one-line summary, a few tags) with the paper's three
controls as one overflow menu, and the footer. It holds all of a digest's papers (1-25): the
summaries, titles and tags are clipped, a level at a time, until the list fits one message.
Parts 2.. (posted in part 1's thread) are each paper's details: byline, abstract excerpt, links.
"""

from __future__ import annotations

from adapters.cards import HF_DAILY_NAME, HF_DAILY_URL, PaperCard, PostView, papers_count
from adapters.slack.blocks import (
    Block,
    Item,
    SlackMessage,
    context,
    fits,
    header,
    messages,
    paginate,
    section,
)
from adapters.slack.controls import alert_controls, paper_menu
from adapters.slack.limits import HEADER_TEXT_MAX
from adapters.slack.mrkdwn import clip_literal, link
from adapters.slack.sections import SUMMARY_CHARS, TITLE_CHARS, Fit, list_text, paper_section

# The list's budgets, widest first; the first at which every paper fits one message is used.
# The last fits 25 papers with arXiv-style ids (about 260 units each, controls included, of
# the 12,000 budget); a list that still does not fit continues in a second message.
FITS = (
    # 130 characters of summary: one line in a desktop channel, as on Discord (a list read in
    # seconds; the thread's details hold the abstract's excerpt).
    Fit(title=200, summary=130, tags=3),
    Fit(title=160, summary=110, tags=3),
    Fit(title=120, summary=100, tags=2),
    Fit(title=90, summary=70, tags=1),
    Fit(title=60, summary=0, tags=0),
)
# An alert is one paper: it shows as much as a full card's title and summary.
ALERT_FIT = Fit(title=TITLE_CHARS, summary=SUMMARY_CHARS, tags=3)


def list_entry(card: PaperCard, fit: Fit, menu: bool) -> Block:
    """A paper's section in the list, with its controls as an overflow menu."""
    block = section(list_text(card, fit))
    if menu:
        block["accessory"] = paper_menu(card.id)
    return block


def _list(view: PostView) -> tuple[list[Block], list[Item], list[Block]]:
    lead = [header(view.title)]
    footer = [context(f"{view.footer} · via {link(HF_DAILY_URL, HF_DAILY_NAME)}")]
    items: list[Item] = []
    for fit in FITS:
        items = [([list_entry(c, fit, view.buttons)], False) for c in view.cards]
        if fits(lead + [b for group, _ in items for b in group] + footer):
            break
    return lead, items, footer


def compact_digest(view: PostView, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A digest's ranked list (part 1, more only past 25 papers), then its details."""
    about = f"{view.name} for {view.when}"
    lead, items, footer = _list(view)
    pages = paginate(lead, items, footer, view.title)
    texts = [f"{about}: {papers_count(len(view.cards))} — top: {view.cards[0].title}"]
    texts += [
        f"{about} (continued, {k}/{len(pages)}): papers {p.items[0] + 1}–{p.items[-1] + 1}"
        for k, p in enumerate(pages[1:], 2)
    ]
    label = f"Details · {view.title}"
    details: list[Item] = [([paper_section(c, thumbnails, details=True)], True) for c in view.cards]
    title = clip_literal(view.title, HEADER_TEXT_MAX)
    more = paginate([context(f"Details of {title}")], details, [], label)
    texts += [f"{about}: details of papers {p.items[0] + 1}–{p.items[-1] + 1}" for p in more]
    return messages(texts, pages + more)


def compact_alert(
    matched: str, card: PaperCard, buttons: bool, notify: tuple[int, ...] = ()
) -> list[Block]:
    """An alert's one section (what matched, then the paper's list lines), and its buttons
    (with "Notify me too" when `notify` names the matching subscriptions)."""
    block = section(list_text(card, ALERT_FIT, lead=matched))
    return [block, *alert_controls(card.id, buttons, notify)]
