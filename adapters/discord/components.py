"""The controls under paperboy's posts, as Discord message components (plain JSON dicts).

A paper of a digest is acted on through three string selects, one per action (`pb:save`,
`pb:not-relevant`, `pb:more-like`), whose options are the message's papers (the chosen value
is the arXiv id): ten or twenty-five papers take three rows, where buttons would need three a
paper. One paper (an alert, a late climber) gets a row of three buttons
(`adapters.actions.button_id`), an alert a fourth, "Notify me too" (`pb:notify:12-13`, following
the subscriptions it matched), a click's confirmation an Undo button. Limits:
`adapters.discord.limits` (docs/reference/discord.md §11).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
from adapters.cards import PaperCard
from adapters.discord.fit import clip
from adapters.discord.limits import (
    BUTTON_LABEL_MAX,
    OPTION_LABEL_MAX,
    OPTION_VALUE_MAX,
    PLACEHOLDER_MAX,
    SELECT_OPTIONS_MAX,
)
from bot.domain import Action

Component = dict[str, Any]

ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
PRIMARY, SECONDARY = 1, 2
# What each select says before a paper is picked.
PLACEHOLDERS: dict[Action, str] = {
    Action.SAVE: "🔖 Save a paper…",
    Action.NOT_RELEVANT: "🙅 Not relevant…",
    Action.MORE_LIKE: "➕ More like this…",
}
STYLES: dict[str, int] = {Action.SAVE.value: PRIMARY}  # one primary button a row; others grey


def select_id(action: Action) -> str:
    """A select's custom_id names only the action (`pb:save`); the chosen option is the paper."""
    return f"{PREFIX}:{action.value}"


def select_choice(custom_id: str, values: Sequence[str]) -> str | None:
    """The button id one choice in a select stands for (`pb:save` and `2401.12345` are
    `pb:save:2401.12345`); None when the select is not one of paperboy's or the choice is not
    one paper."""
    action = next((a for a in BUTTONS if select_id(a) == custom_id), None)
    if action is None or len(values) != 1:
        return None
    return button_id(action, values[0])


def option_label(card: PaperCard) -> str:
    """`1. Title`, plain text within the option's 100 characters (no bidi controls; the arXiv
    id when nothing of the title is left)."""
    number = f"{card.rank}. " if card.rank is not None else ""
    label = number + clip(card.title, OPTION_LABEL_MAX - len(number), escaped=False)
    return label if label.strip() else card.id


def paper_selects(cards: Sequence[PaperCard]) -> list[Component]:
    """Three action rows, a select each (save, not relevant, more like this), whose options
    are `cards` (at most 25, each id at most 100 characters); none when there is no card."""
    options: list[Component] = []
    for card in cards:  # values are unique in a select: a paper listed twice is offered once
        if 0 < len(card.id) <= OPTION_VALUE_MAX and all(o["value"] != card.id for o in options):
            options.append({"label": option_label(card), "value": card.id})
    options = options[:SELECT_OPTIONS_MAX]
    if not options:
        return []
    return [
        _row(
            {
                "type": STRING_SELECT,
                "custom_id": select_id(action),
                "placeholder": PLACEHOLDERS[action][:PLACEHOLDER_MAX],
                "min_values": 1,
                "max_values": 1,
                "options": options,
            }
        )
        for action in BUTTONS
    ]


def paper_buttons(card: PaperCard, notify: Sequence[int] = ()) -> list[Component]:
    """One action row: Save, Not relevant, More like this for one paper, then (an alert that
    names its subscriptions, `notify`) "Notify me too": four buttons of the row's five."""
    buttons = [_button(a.value, button_id(a, card.id)) for a in BUTTONS]
    if notify:
        buttons.append(_button(NOTIFY, notify_id(tuple(notify))))
    return [_row(*buttons)]


def undo_button(click: int, like: str | None = None) -> list[Component]:
    """One action row with the Undo button of a click's confirmation (and, after More like
    this, the button that alerts on papers like it)."""
    buttons = [_button(UNDO, undo_id(click))]
    if like is not None:
        buttons.append(_button(LIKE, like_id(like)))
    return [_row(*buttons)]


def _button(verb: str, custom_id: str) -> Component:
    return {
        "type": BUTTON,
        "style": STYLES.get(verb, SECONDARY),
        "label": LABELS[verb][:BUTTON_LABEL_MAX],
        "custom_id": custom_id,
    }


def _row(*items: Component) -> Component:
    return {"type": ACTION_ROW, "components": list(items)}
