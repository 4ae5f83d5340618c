"""A paper's Save / Not relevant / More like this controls, an alert's Notify me too, and a
confirmation's Undo, as Block Kit elements. Every control's `action_id` starts with `pb:` (the
one listener in adapters/slack/interactions.py) and its value is the button id of
adapters/actions.py, so a click carries everything it needs: it works after a restart."""

from __future__ import annotations

from adapters.actions import (
    BUTTONS,
    LABELS,
    LIKE,
    NOTIFY,
    PREFIX,
    UNDO,
    button_id,
    like_id,
    notify_id,
    undo_id,
)
from adapters.slack.blocks import Block
from adapters.slack.limits import ACTION_ID_MAX

# The overflow menu of a paper in a compact list: `pb:menu:<paper id>`.
MENU = "menu"


def _text(label: str) -> Block:
    return {"type": "plain_text", "text": label, "emoji": True}


def button(label: str, value: str) -> Block:
    """A button whose action_id and value are both the button id."""
    return {"type": "button", "text": _text(label), "action_id": value, "value": value}


def paper_buttons(paper_id: str) -> Block:
    """An actions block with the paper's three buttons."""
    elements = [button(LABELS[a.value], button_id(a, paper_id)) for a in BUTTONS]
    return {"type": "actions", "elements": elements}


def alert_controls(paper_id: str, buttons: bool, notify: tuple[int, ...]) -> list[Block]:
    """An alert's actions block: the paper's three buttons (when `buttons`), then "Notify me
    too" following the matching subscriptions (when there are any); none when neither."""
    elements = [button(LABELS[a.value], button_id(a, paper_id)) for a in BUTTONS] if buttons else []
    if notify:
        elements.append(button(LABELS[NOTIFY], notify_id(notify)))
    return [{"type": "actions", "elements": elements}] if elements else []


def paper_menu(paper_id: str) -> Block:
    """The paper's three controls as one overflow menu (a section accessory: one block fewer
    and far less text than three buttons, so 25 papers fit one message)."""
    return {
        "type": "overflow",
        "action_id": f"{PREFIX}:{MENU}:{paper_id}"[:ACTION_ID_MAX],
        "options": [
            {"text": _text(LABELS[a.value]), "value": button_id(a, paper_id)} for a in BUTTONS
        ],
    }


def undo_buttons(click_id: int, like: str | None = None) -> Block:
    """An actions block with a click's Undo button (and, after More like this, the button
    that alerts on papers like it)."""
    elements = [button(LABELS[UNDO], undo_id(click_id))]
    if like is not None:
        elements.append(button(LABELS[LIKE], like_id(like)))
    return {"type": "actions", "elements": elements}
