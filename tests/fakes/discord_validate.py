"""Discord's message, embed, component, application-command and callback checks, as the fake
applies them.

Limits: docs/reference/discord.md §1/§2/§11 (Discord docs: message.mdx "Embed Limits", "Create
Message"; application-commands.mdx; components/reference.mdx, checked in
discord_component_checks.py). Violations answer 400 `{"code": 50035, "errors":
{…"_errors"…}, "message": "Invalid Form Body"}`; an empty message answers 400
`{"code": 50006, …}`.
Leading/trailing whitespace is trimmed before counting (the docs say Discord trims it).
Lengths are counted in UTF-16 code units by default (Discord does not document the unit and
UTF-16 is never fewer than code points, so this errs strict); pass `unit="codepoints"` to count
like `len()`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.discord_component_checks import component_errors
from tests.fakes.discord_form import (
    Errors,
    Unit,
    add_error,
    invalid_form_body,
    max_len,
)

CONTENT_MAX, EMBEDS_MAX, EMBED_TOTAL_MAX = 2000, 10, 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELDS_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 25, 256, 1024
FOOTER_MAX, AUTHOR_NAME_MAX = 2048, 256
COMMAND_NAME = re.compile(r"[-_'\w]{1,32}")
OPTIONS_MAX, CHOICES_MAX, COMMAND_SIZE_MAX = 25, 25, 4000
CHAT_INPUT_MAX, CONTEXT_MENU_MAX = 100, 15
EMPTY_MESSAGE: dict[str, Any] = {"message": "Cannot send an empty message", "code": 50006}


def _url(errors: Errors, path: Sequence[str | int], value: Any, *, attachment: bool) -> None:
    schemes = ("http", "https", "attachment") if attachment else ("http", "https")
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in schemes or not parts.netloc:
        add_error(errors, path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def check_embed(errors: Errors, path: list[str | int], embed: Any, unit: Unit) -> int:
    """Check one embed object; add errors under `path`; return its counted size."""
    if not isinstance(embed, Mapping):
        add_error(errors, path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return 0
    size = 0
    for key, limit in EMBED_LIMITS.items():
        size += max_len(errors, [*path, key], embed.get(key), limit, unit)
    if embed.get("url") is not None:
        _url(errors, [*path, "url"], embed["url"], attachment=False)
    for key in ("image", "thumbnail"):
        sub = embed.get(key)
        if isinstance(sub, Mapping) and sub.get("url") is not None:
            _url(errors, [*path, key, "url"], sub["url"], attachment=True)
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        add_error(
            errors,
            [*path, "color"],
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 16777215.",
        )
    stamp = embed.get("timestamp")
    if stamp is not None:
        try:
            datetime.datetime.fromisoformat(str(stamp))
        except ValueError:
            add_error(
                errors,
                [*path, "timestamp"],
                "DATE_TYPE_PARSE",
                f"Could not parse {stamp}. Should be ISO8601.",
            )
    footer = embed.get("footer")
    if isinstance(footer, Mapping):
        size += _required_text(
            errors, [*path, "footer", "text"], footer.get("text"), FOOTER_MAX, unit
        )
    author = embed.get("author")
    if isinstance(author, Mapping):
        size += _required_text(
            errors, [*path, "author", "name"], author.get("name"), AUTHOR_NAME_MAX, unit
        )
        if author.get("url") is not None:
            _url(errors, [*path, "author", "url"], author["url"], attachment=False)
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_MAX:
        add_error(
            errors,
            [*path, "fields"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {FIELDS_MAX} or fewer in length.",
        )
    for i, fld in enumerate(fields):
        fld = fld if isinstance(fld, Mapping) else {}
        size += _required_text(
            errors, [*path, "fields", i, "name"], fld.get("name"), FIELD_NAME_MAX, unit
        )
        size += _required_text(
            errors, [*path, "fields", i, "value"], fld.get("value"), FIELD_VALUE_MAX, unit
        )
    return size


def _required_text(
    errors: Errors, path: list[str | int], value: Any, limit: int, unit: Unit
) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        add_error(errors, path, "BASE_TYPE_REQUIRED", "This field is required")
        return 0
    return max_len(errors, path, value, limit, unit)


def message_errors(payload: Mapping[str, Any], unit: Unit = "utf16") -> Errors:
    """The nested 50035 errors of a message payload (empty dict when it is well-formed)."""
    errors: Errors = {}
    max_len(errors, ["content"], payload.get("content"), CONTENT_MAX, unit)
    component_errors(errors, payload.get("components"), unit)
    embeds = payload.get("embeds") or []
    if not isinstance(embeds, list):
        add_error(errors, ["embeds"], "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if len(embeds) > EMBEDS_MAX:
        add_error(
            errors, ["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."
        )
    total = sum(check_embed(errors, ["embeds", i], e, unit) for i, e in enumerate(embeds))
    if total > EMBED_TOTAL_MAX:
        add_error(
            errors,
            ["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )
    return errors


def is_empty_message(payload: Mapping[str, Any]) -> bool:
    """True when a message has nothing Discord would show (→ 50006)."""
    content = payload.get("content")
    has_content = isinstance(content, str) and bool(content.strip())
    extras = ("embeds", "attachments", "sticker_ids", "components", "poll", "files")
    return not has_content and not any(payload.get(k) for k in extras)


def validate_message(
    payload: Mapping[str, Any], *, unit: Unit = "utf16", prefix: Sequence[str] = ()
) -> dict[str, Any] | None:
    """The 400 error body Discord would answer for this message payload, or None if accepted.

    `prefix` nests the errors (e.g. `("data",)` for an interaction callback, `("message",)`
    for a forum post), as Discord reports them relative to the request body.
    """
    errors = message_errors(payload, unit)
    if errors:
        for part in reversed(prefix):
            errors = {part: errors}
        return invalid_form_body(errors)
    if is_empty_message(payload):
        return dict(EMPTY_MESSAGE)
    return None


def validate_choices(choices: Any, path: list[str | int], errors: Errors | None = None) -> Errors:
    """Check autocomplete/option choices (≤25, name 1-100, string value ≤100) into `errors`."""
    errors = {} if errors is None else errors
    if not isinstance(choices, list):
        add_error(errors, path, "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if len(choices) > CHOICES_MAX:
        add_error(
            errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer in length."
        )
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, Mapping) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            add_error(
                errors,
                [*path, i, "name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        value = choice.get("value") if isinstance(choice, Mapping) else None
        if isinstance(value, str) and len(value) > 100:
            add_error(
                errors,
                [*path, i, "value"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            )
        elif value is None or isinstance(value, bool):
            add_error(errors, [*path, i, "value"], "BASE_TYPE_REQUIRED", "This field is required")
    return errors


CALLBACK_TYPES = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7}}


def validate_callback(payload: Any, interaction_type: int) -> dict[str, Any] | None:
    """The 400 body for an interaction callback payload, or None if Discord would accept it."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("type"), int):
        return invalid_form_body(
            {
                "type": {
                    "_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]
                }
            }
        )
    ctype = payload["type"]
    if ctype not in CALLBACK_TYPES.get(interaction_type, set()):
        return invalid_form_body(
            {
                "type": {
                    "_errors": [
                        {
                            "code": "INTERACTION_CALLBACK_TYPE_INVALID",
                            "message": f"Callback type {ctype} is invalid for interaction type "
                            f"{interaction_type}",
                        }
                    ]
                }
            }
        )
    data = payload.get("data") or {}
    if ctype in (4, 7):
        return validate_message(data, prefix=("data",))
    if ctype == 8:
        errors = validate_choices(data.get("choices", []), ["data", "choices"])
        return invalid_form_body(errors) if errors else None
    return None
