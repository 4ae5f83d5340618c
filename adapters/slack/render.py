"""Pure renderers from domain objects to Slack Block Kit messages that Slack always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's blocks or its cumulative text budget run out, the rest continues in the next
`SlackMessage`, which the caller posts in the thread of the first. Lengths are measured in UTF-16
code units after mrkdwn escaping, so a limit holds whichever unit Slack counts in. Text
paperboy did not write is made `literal` (escaped, formatting characters as look-alikes): it
can carry no link, mention or formatting of its own.

A digest or roll-up is laid out COMPACT (adapters/slack/compact.py: a ranked list in the
channel, details in its thread) or FULL (every paper's card, with its buttons, in the channel).
A person's own match (a direct message, or a mention of them in the channel when their direct
messages are closed) is always one FULL card, without buttons.
"""

from __future__ import annotations

import re
from dataclasses import replace

from adapters.cards import (
    HF_DAILY_NAME,
    HF_DAILY_URL,
    PaperCard,
    PostView,
    alert_view,
    climber_view,
    digest_view,
    direct_view,
    mention_view,
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
from adapters.slack.controls import alert_controls, paper_buttons, undo_buttons
from adapters.slack.limits import FALLBACK_TEXT_MAX
from adapters.slack.mrkdwn import clip, clip_literal, link, slack_len, split_text
from adapters.slack.sections import SUMMARY_CHARS, paper_section
from bot.domain import Alert, Climber, Digest, DigestEdit, DirectMessage, Layout, Mention, Reply

__all__ = [
    "SUMMARY_CHARS",
    "SlackMessage",
    "paper_section",
    "render_alert",
    "render_climber",
    "render_digest",
    "render_direct",
    "render_edit",
    "render_mention",
    "render_reply",
]

MATCHED_CHARS = 1000
REASON_CHARS = 200
# A Slack user id (`U0123ABCD`, `W…` on Enterprise Grid): only such an id is ever written as a
# mention, `<@U0123ABCD>`; anything else is not mentioned at all.
USER_ID = re.compile(r"[UW][A-Z0-9]{1,40}")


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


def _matched(view: PostView) -> str:
    """`*New paper* · matched: mamba, …` (the queries made literal)."""
    return f"*{view.name}* · matched: {clip_literal(view.matched, MATCHED_CHARS)}"


def _one_paper(view: PostView, lead: list[Item], cards: list[Item]) -> list[SlackMessage]:
    """A one-paper post (an alert, a person's match) paged, with its notification texts."""
    [card] = view.cards
    pages = paginate([], lead + cards, [], view.name)
    texts = [f"{view.name} matching {view.matched}: {card.title}"]
    texts += [f"{view.name} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)]
    return messages(texts, pages)


def render_alert(alert: Alert, *, thumbnails: bool = False) -> list[SlackMessage]:
    """An alert: which subscriptions matched, then the paper and its buttons, and "Notify me
    too" (following the matching subscriptions) in both layouts."""
    view = alert_view(alert)
    [card] = view.cards
    matched = _matched(view)
    if view.layout is Layout.COMPACT:
        return _one_paper(
            view, [], [(compact_alert(matched, card, view.buttons, view.notify), False)]
        )
    block = paper_section(card, thumbnails)
    controls = alert_controls(card.id, view.buttons, view.notify)
    return _one_paper(view, [([section(matched)], False)], [([block, *controls], False)])


def render_direct(dm: DirectMessage, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A match of a person's interests, in their direct messages: what matched, then the
    paper's full card (no buttons)."""
    view = direct_view(dm)
    [card] = view.cards
    return _one_paper(
        view, [([section(_matched(view))], False)], [(_card(card, thumbnails, view.buttons), False)]
    )


def mention_of(user: str | None) -> str | None:
    """`<@U0123ABCD>` for a Slack user id (what makes Slack notify them), else None."""
    return f"<@{user}>" if user is not None and USER_ID.fullmatch(user) else None


def render_mention(mention: Mention, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A refused direct message, in the channel (in its alert's thread) instead: the person
    mentioned first (in the notification text too, so Slack notifies them), why, what
    matched, then the paper's full card."""
    view = mention_view(mention)
    [card] = view.cards
    tag = mention_of(view.mention)
    intro = split_text(view.intro) or [""]
    if tag is not None:
        intro[0] = f"{tag} {intro[0]}".rstrip()
    lead: list[Item] = [([section(p)], False) for p in intro if p.strip()]
    lead.append(([section(_matched(view))], False))
    out = _one_paper(view, lead, [(_card(card, thumbnails, view.buttons), False)])
    if tag is None:
        return out
    # `messages` escapes the notification text: the mention goes in front of it as is.
    about = f"{view.name} matching {view.matched}: {card.title}"
    text = f"{tag} {clip(about, FALLBACK_TEXT_MAX - slack_len(tag) - 1)}"
    return [replace(out[0], text=text), *out[1:]]


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
    footer = [undo_buttons(view.undo, view.like)] if view.undo is not None else []
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
