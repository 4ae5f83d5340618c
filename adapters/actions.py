"""The one vocabulary of paperboy's buttons, for every platform: `pb:<action>:<arXiv id>` on a
paper, `pb:undo:<click id>` on a confirmation. A click runs the command of the same name
(`save 2401.12345`, `undo 17`), so a button and a typed command are one code path."""

from __future__ import annotations

import re

from bot.domain import Action

PREFIX = "pb"
UNDO = "undo"
# An alert's "Notify me too": `pb:notify:12-13` follows subscriptions 12 and 13
# (`mine follow 12 13`): their future matches reach the clicker by direct message.
NOTIFY = "notify"
FOLLOW_COMMAND = "mine follow"
# A More like this confirmation's "Alert on papers like this": `pb:like:2401.12345` runs
# `subscribe like 2401.12345`, a similarity alert seeded by the paper.
LIKE = "like"
LIKE_COMMAND = "subscribe like"
# The buttons under each paper, in order, with their labels.
BUTTONS: tuple[Action, ...] = (Action.SAVE, Action.NOT_RELEVANT, Action.MORE_LIKE)
LABELS: dict[str, str] = {
    Action.SAVE.value: "🔖 Save",
    Action.NOT_RELEVANT.value: "🙅 Not relevant",
    Action.MORE_LIKE.value: "➕ More like this",
    UNDO: "↩ Undo",
    NOTIFY: "🔔 Notify me too",
    LIKE: "🔔 Alert on papers like this",
}
# What a button's id may carry: an action, then an arXiv id, a click number or subscription
# ids, of at most this many characters.
ARG_CHARS = 80
_ID = re.compile(
    rf"{PREFIX}:(?P<verb>{'|'.join(re.escape(a.value) for a in BUTTONS)}|{UNDO}|{NOTIFY}|{LIKE})"
    rf":(?P<arg>[0-9A-Za-z][0-9A-Za-z._/-]{{0,{ARG_CHARS - 1}}})"
)


def button_id(action: Action, paper_id: str) -> str:
    """The id of one paper's button (`pb:save:2401.12345`): at most 100 characters."""
    return f"{PREFIX}:{action.value}:{paper_id}"[:100]


def undo_id(click_id: int) -> str:
    """The id of a confirmation's Undo button."""
    return f"{PREFIX}:{UNDO}:{click_id}"


def like_id(paper_id: str) -> str:
    """The id of a More like this confirmation's "Alert on papers like this" button."""
    return f"{PREFIX}:{LIKE}:{paper_id}"[:100]


def notify_id(subscriptions: tuple[int, ...]) -> str:
    """The id of an alert's "Notify me too" button, following its subscriptions (the first
    ones that fit in ARG_CHARS)."""
    ids = ""
    for sub in subscriptions:
        more = f"{ids}-{sub}" if ids else str(sub)
        if len(more) > ARG_CHARS:
            break
        ids = more
    return f"{PREFIX}:{NOTIFY}:{ids}"


def command_text(button: str) -> str | None:
    """The command a button id stands for (`save 2401.12345`, `mine follow 12 13`,
    `subscribe like 2401.12345`), or None when it is not one of paperboy's buttons (another
    app's, or a forged id)."""
    match = _ID.fullmatch(button.strip())
    if match is None:
        return None
    if match["verb"] == NOTIFY:
        ids = match["arg"].split("-")
        if not all(i.isdigit() for i in ids):
            return None
        return f"{FOLLOW_COMMAND} {' '.join(ids)}"
    if match["verb"] == LIKE:
        return f"{LIKE_COMMAND} {match['arg']}"
    return f"{match['verb']} {match['arg']}"
