"""Pure renderers from domain objects to Slack Block Kit messages that Slack always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's blocks or its cumulative text budget run out, the rest continues in the next
`SlackMessage`, which the caller posts in the thread of the first. Lengths are measured in UTF-16
code units after mrkdwn escaping, so a limit holds whichever unit Slack counts in. Text
paperboy did not write is made `literal` (escaped, formatting characters as look-alikes): it
can carry no link, mention or formatting of its own.

A digest or roll-up is laid out COMPACT (adapters/slack/compact.py: a ranked list in the
channel, details in its thread) or FULL (every paper's card, with its buttons, in the channel).
"""

from __future__ import annotations

from dataclasses import replace

from adapters.cards import (
    HF_DAILY_NAME,
    HF_DAILY_URL,
    PaperCard,
    alert_view,
    climber_view,
    digest_view,
    papers_count,
    reply_view,
)
from adapters.slack.blocks import (
    Block,
    Item,
    SlackMessage,
    context,
    header,
    messages,
    paginate,
    section,
)
from adapters.slack.compact import compact_alert, compact_digest
from adapters.slack.controls import paper_buttons, undo_buttons
from adapters.slack.mrkdwn import clip_literal, link, split_text
from adapters.slack.sections import SUMMARY_CHARS, paper_section
from bot.domain import Alert, Climber, Digest, DigestEdit, Layout, Reply

__all__ = [
    "SUMMARY_CHARS",
    "SlackMessage",
    "paper_section",
    "render_alert",
    "render_climber",
    "render_digest",
    "render_edit",
    "render_reply",
]

MATCHED_CHARS = 1000
REASON_CHARS = 200


def _card(card: PaperCard, thumbnail: bool, buttons: bool) -> list[Block]:
    """A paper's section, then its buttons."""
    block = paper_section(card, thumbnail)
    return [block, paper_buttons(card.id)] if buttons else [block]


# --- renderers -------------------------------------------------------------------------------


def render_digest(digest: Digest, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A digest: [0] is the channel post, the rest continue in its thread.

    Thumbnails are opt-in: Slack fetches `image_url` and rejects the whole message
    (`invalid_blocks`) when the image cannot be downloaded."""
    view = digest_view(digest)
    about = f"{view.name} for {view.when}"
    if not view.cards:
        items: list[Item] = [([section(p)], False) for p in split_text(view.intro)]
        pages = paginate([header(view.title)], items, [], view.title)
        return messages([f"{about}: {view.intro}"] * len(pages), pages)
    if view.layout is Layout.COMPACT:
        return compact_digest(view, thumbnails=thumbnails)
    items = [(_card(c, thumbnails, view.buttons), True) for c in view.cards]
    footer = [context(f"{view.footer} · via {link(HF_DAILY_URL, HF_DAILY_NAME)}")]
    pages = paginate([header(view.title)], items, footer, view.title)
    top = view.cards[0].title
    texts = [f"{about}: {papers_count(len(view.cards))} — top: {top}"]
    texts += [
        f"{about} (continued, {k}/{len(pages)}): papers {p.items[0] + 1}–{p.items[-1] + 1}"
        for k, p in enumerate(pages[1:], 2)
    ]
    return messages(texts, pages)


def render_edit(edit: DigestEdit) -> SlackMessage:
    """A posted digest's new version: part 1 of its compact rendering (what chat.update shows),
    whatever the layout it was posted in."""
    return render_digest(replace(edit.digest, layout=Layout.COMPACT))[0]


def render_alert(alert: Alert, *, thumbnails: bool = False) -> list[SlackMessage]:
    """An alert: which subscriptions matched, then the paper and its buttons."""
    view = alert_view(alert)
    [card] = view.cards
    matched = f"*{view.name}* · matched: {clip_literal(view.matched, MATCHED_CHARS)}"
    if view.layout is Layout.COMPACT:
        items: list[Item] = [(compact_alert(matched, card, view.buttons), False)]
    else:
        items = [([section(matched)], False), (_card(card, thumbnails, view.buttons), False)]
    pages = paginate([], items, [], view.name)
    texts = [f"{view.name} matching {view.matched}: {card.title}"]
    texts += [f"{view.name} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)]
    return messages(texts, pages)


def render_climber(climber: Climber, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A late climber (a reply in its digest's thread): why, then the paper and its buttons."""
    view = climber_view(climber)
    [card] = view.cards
    why = clip_literal(view.intro, REASON_CHARS)
    lead = section(f"📈 *{view.name}* · {why}" if why else f"📈 *{view.name}*")
    pages = paginate([lead], [(_card(card, thumbnails, view.buttons), False)], [], view.name)
    texts = [f"{view.name} in {view.when}: {card.title}" if view.when else card.title]
    texts += [f"{view.name} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)]
    return messages(texts, pages)


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command's answer: title, mrkdwn text split at line boundaries, then the hits, and a
    click's Undo button. Errors start with ":warning:"."""
    view = reply_view(reply)
    title, text = view.title, view.intro
    lead: list[Block] = []
    if not view.ok:
        text = f":warning: {f'*{title}* ' if title else ''}{text}"
    elif title:
        lead = [header(title)]
    items: list[Item] = [([section(p)], False) for p in split_text(text)]
    items += [([paper_section(c)], True) for c in view.cards]
    footer = [undo_buttons(view.undo)] if view.undo is not None else []
    pages = paginate(lead, items, footer, title)
    first = next((line for line in text.splitlines() if line.strip()), "")
    texts = [
        f"{title}: {first}"
        if title and view.ok
        else first or title or papers_count(len(view.cards))
    ]
    texts += [
        f"{title or 'paperboy'} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)
    ]
    return messages(texts, pages)
