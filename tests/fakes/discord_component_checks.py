"""Discord's checks of message components outside Components V2, as the fake applies them
(docs/reference/discord.md §11; developers/components/reference.mdx "Action Row", "Button",
"String Select", "Legacy Message Component Behavior"): at most 5 action rows; a row holds 1-5
buttons or one string select; every custom_id 1-100 characters and unique in its message; a
button's label at most 80 characters; a select 1-25 options with distinct values, each label
and value 1-100 characters, a placeholder at most 150, `min_values` 0-25 and `max_values` 1-25
(at most its options). The error codes are Discord's style,
their names inferred [inf].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.discord_form import Errors, Unit, add_error, max_len

ACTION_ROWS_MAX, BUTTONS_PER_ROW, CUSTOM_ID_MAX = 5, 5, 100
BUTTON_LABEL_MAX, OPTIONS_MAX, OPTION_TEXT_MAX, PLACEHOLDER_MAX = 80, 25, 100, 150
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
BUTTON_STYLES, LINK_STYLE = (1, 2, 3, 4, 5), 5


def component_errors(errors: Errors, components: Any, unit: Unit = "utf16") -> None:
    """Check a message's `components` (action rows of buttons or one string select) into
    `errors`: the limits of docs/reference/discord.md §11."""
    if components is None:
        return
    if not isinstance(components, list):
        add_error(errors, ["components"], "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(components) > ACTION_ROWS_MAX:
        add_error(
            errors,
            ["components"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {ACTION_ROWS_MAX} or fewer in length.",
        )
    seen: set[str] = set()
    for r, row in enumerate(components):
        path: list[str | int] = ["components", r]
        items = row.get("components") if isinstance(row, Mapping) else None
        if not isinstance(row, Mapping) or row.get("type") != ACTION_ROW:
            add_error(errors, [*path, "type"], "COMPONENT_TYPE_INVALID", "Must be an action row.")
            continue
        if not isinstance(items, list) or not items:
            add_error(errors, [*path, "components"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more.")
            continue
        kinds = [i.get("type") if isinstance(i, Mapping) else None for i in items]
        if STRING_SELECT in kinds and len(items) > 1:
            add_error(
                errors,
                [*path, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "A select takes a whole action row.",
            )
        elif len(items) > BUTTONS_PER_ROW:
            add_error(
                errors,
                [*path, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                f"An action row holds at most {BUTTONS_PER_ROW} buttons.",
            )
        for i, item in enumerate(items):
            _component(errors, [*path, "components", i], item, seen, unit)


def _component(
    errors: Errors, path: list[str | int], item: Any, seen: set[str], unit: Unit
) -> None:
    """One button or string select of an action row; `seen` collects the message's ids."""
    kind = item.get("type") if isinstance(item, Mapping) else None
    if kind not in (BUTTON, STRING_SELECT):
        add_error(errors, [*path, "type"], "COMPONENT_TYPE_INVALID", "Invalid component type.")
        return
    link = kind == BUTTON and item.get("style") == LINK_STYLE
    custom_id = item.get("custom_id")
    if link:
        if custom_id is not None or not item.get("url"):
            add_error(errors, path, "BUTTON_COMPONENT_INVALID", "A link button has a url only.")
    elif not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
        add_error(
            errors,
            [*path, "custom_id"],
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {CUSTOM_ID_MAX} in length.",
        )
    elif custom_id in seen:
        add_error(
            errors,
            [*path, "custom_id"],
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    else:
        seen.add(custom_id)
    if kind == BUTTON:
        if item.get("style") not in BUTTON_STYLES:
            add_error(errors, [*path, "style"], "BASE_TYPE_CHOICES", "Value must be a style.")
        if item.get("label") is None and item.get("emoji") is None:
            add_error(errors, [*path, "label"], "BASE_TYPE_REQUIRED", "This field is required")
        max_len(errors, [*path, "label"], item.get("label"), BUTTON_LABEL_MAX, unit)
        return
    _select(errors, path, item, unit)


def _select(errors: Errors, path: list[str | int], item: Mapping[str, Any], unit: Unit) -> None:
    max_len(errors, [*path, "placeholder"], item.get("placeholder"), PLACEHOLDER_MAX, unit)
    options = item.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= OPTIONS_MAX:
        add_error(
            errors,
            [*path, "options"],
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {OPTIONS_MAX} in length.",
        )
        return
    # min_values 0-25, max_values 1-25 ("String Select"), and no more than there are options.
    low, high = item.get("min_values", 1), item.get("max_values", 1)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= len(options)):
        add_error(errors, [*path, "max_values"], "BASE_TYPE_BAD_INT", "min ≤ max ≤ options.")
    elif high < 1:
        add_error(errors, [*path, "max_values"], "BASE_TYPE_BAD_INT", "Must be 1 or more.")
    values: set[str] = set()
    for k, option in enumerate(options):
        where: list[str | int] = [*path, "options", k]
        option = option if isinstance(option, Mapping) else {}
        for key in ("label", "value"):
            text = option.get(key)
            if not isinstance(text, str) or not text.strip():
                add_error(errors, [*where, key], "BASE_TYPE_REQUIRED", "This field is required")
            else:
                max_len(errors, [*where, key], text, OPTION_TEXT_MAX, unit)
        max_len(errors, [*where, "description"], option.get("description"), OPTION_TEXT_MAX, unit)
        value = option.get("value")
        if isinstance(value, str) and value in values:
            add_error(
                errors,
                [*where, "value"],
                "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                "Select component option values cannot be duplicated",
            )
        values.add(str(value))
