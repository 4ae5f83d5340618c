"""Strict validation of a Slack message payload (chat.postMessage or a response_url post).

Mirrors what Slack rejects (docs/reference/slack.md §5-§6): slack_sdk's own Block Kit model
checks plus the gaps it misses (empty or over-long field text, header type, duplicate
`block_id`, an `action_id` used twice in a message, overflow menus of fewer than 2 or more than
5 options, option text over 75 or value over 150 characters, unknown block types, the
cumulative text cap). Errors read like Slack's:
`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.

`validate_message(payload)` returns just the error code (or None); `check_message(payload)`
also returns the detailed messages. Lengths are counted in code points (Slack's unit is
undocumented, keep a margin).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50  # per message (100 only in modals and Home tabs)
MAX_TEXT = 40_000  # top-level `text`; production truncates, the strict fake rejects
MAX_BLOCKS_TEXT = 13_200  # cumulative block text before `msg_blocks_too_long` (undocumented)
MAX_ATTACHMENTS = 100
MAX_BLOCK_ID = 255
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MARKDOWN_TEXT = 12_000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL_LENGTH = 3000
ACTION_ID = 255
OVERFLOW_OPTIONS = (2, 5)  # slack_sdk accepts 1; Slack's own reference says at least 2
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_URL = 3000
ALT_TEXT = 2000
_TEXT_TYPES = ("plain_text", "mrkdwn")


@dataclass(frozen=True)
class Problem:
    """Why Slack would reject a message: the error code and Slack-style detail messages."""

    error: str
    messages: list[str] = field(default_factory=list)


def validate_message(payload: Mapping[str, Any], *, strict_text: bool = True) -> str | None:
    """The Slack error code this payload would get (`invalid_blocks`, `no_text`, …), or None."""
    problem = check_message(payload, strict_text=strict_text)
    return problem.error if problem is not None else None


def check_message(payload: Mapping[str, Any], *, strict_text: bool = True) -> Problem | None:
    """Validate like Slack; None when accepted, else a `Problem` (code plus detail messages).

    Order: malformed `blocks`/`attachments` → `invalid_blocks_format`; > 100 attachments →
    `too_many_attachments`; nothing to show → `no_text`; `text` > 40,000 with `strict_text`
    → `msg_too_long`; any block error → `invalid_blocks`; cumulative block text > 13,200 →
    `msg_blocks_too_long`.
    """
    blocks = _decode(payload.get("blocks"))
    attachments = _decode(payload.get("attachments"))
    if blocks is _BAD or (blocks is not None and not isinstance(blocks, list)):
        return Problem(
            "invalid_blocks_format", ["[ERROR] must provide an array [json-pointer:/blocks]"]
        )
    if attachments is _BAD or (attachments is not None and not isinstance(attachments, list)):
        return Problem("invalid_attachments")
    if attachments and len(attachments) > MAX_ATTACHMENTS:
        return Problem("too_many_attachments")
    text = payload.get("text")
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    markdown_text = payload.get("markdown_text")
    if not text and not blocks and not attachments and not markdown_text:
        return Problem("no_text")
    if strict_text and len(text) > MAX_TEXT:
        return Problem("msg_too_long")
    if blocks:
        errors = block_errors(blocks)
        if errors:
            return Problem("invalid_blocks", errors)
        if blocks_text_length(blocks) > MAX_BLOCKS_TEXT:
            return Problem("msg_blocks_too_long")
    return None


def blocks_text_length(blocks: Any) -> int:
    """Total length of the strings under any `text` key in `blocks` (Slack's cumulative cap)."""
    if isinstance(blocks, list):
        return sum(blocks_text_length(item) for item in blocks)
    if isinstance(blocks, dict):
        total = 0
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                total += len(value)
            else:
                total += blocks_text_length(value)
        return total
    return 0


def block_errors(blocks: list[Any]) -> list[str]:
    """Slack-style `[ERROR] … [json-pointer:…]` messages for a list of blocks (empty when valid)."""
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        return [f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"/blocks/{i}"
        own = _check_block(block, ptr, seen_ids)
        if not own:
            own = _sdk_errors(block, ptr)
        errors.extend(own)
    return errors or _duplicate_action_ids(blocks)


def interactive_elements(block: Any) -> list[dict[str, Any]]:
    """The interactive elements of a block: an actions block's elements, a section's accessory."""
    if not isinstance(block, dict):
        return []
    if block.get("type") == "actions":
        elements = block.get("elements")
        return [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []
    accessory = block.get("accessory")
    return [accessory] if isinstance(accessory, dict) else []


def _duplicate_action_ids(blocks: list[Any]) -> list[str]:
    """paperboy never repeats an action_id in a message (Slack refuses repeats in a block)."""
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        for element in interactive_elements(block):
            action_id = element.get("action_id")
            if not isinstance(action_id, str):
                continue
            if action_id in seen:
                return [_err(f"duplicate action_id {action_id!r}", f"/blocks/{i}")]
            seen.add(action_id)
    return []


# --------------------------------------------------------------------------- internals

_BAD = object()


def _decode(value: Any) -> Any:
    """Form-encoded calls carry `blocks`/`attachments` as a JSON string; JSON calls as arrays."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            return _BAD
    return value


def _err(message: str, ptr: str) -> str:
    return f"[ERROR] {message} [json-pointer:{ptr}]"


def _known_block_types() -> set[str]:
    """The block types slack_sdk can parse (anything else Slack rejects too)."""
    known: set[str] = set()

    def walk(cls: type[Block]) -> None:
        for sub in cls.__subclasses__():
            block_type = getattr(sub, "type", None)
            if isinstance(block_type, str):
                known.add(block_type)
            walk(sub)

    walk(Block)
    return known


KNOWN_BLOCK_TYPES = frozenset(_known_block_types())


def _check_block(block: Any, ptr: str, seen_ids: set[str]) -> list[str]:
    if not isinstance(block, dict):
        return [_err("must provide an object", ptr)]
    block_type = block.get("type")
    if not isinstance(block_type, str):
        return [_err("missing required field: type", ptr)]
    if block_type not in KNOWN_BLOCK_TYPES:
        return [_err(f"failed to match all allowed schemas (unknown type {block_type!r})", ptr)]
    errors: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None:
        if not isinstance(block_id, str) or not block_id:
            errors.append(_err("must be a non-empty string", f"{ptr}/block_id"))
        elif len(block_id) > MAX_BLOCK_ID:
            errors.append(_err(_too_long(MAX_BLOCK_ID), f"{ptr}/block_id"))
        elif block_id in seen_ids:
            errors.append(_err(f"duplicate block_id {block_id!r}", f"{ptr}/block_id"))
        else:
            seen_ids.add(block_id)
    checker = _BLOCK_CHECKS.get(block_type)
    if checker is not None:
        errors.extend(checker(block, ptr))
    return errors


def _too_long(limit: int) -> str:
    return f"must be less than {limit + 1} characters"


def _text_object(
    obj: Any, ptr: str, max_len: int, *, plain_only: bool = False, required: bool = True
) -> list[str]:
    if obj is None:
        return [_err("missing required field: text", ptr)] if required else []
    if not isinstance(obj, dict):
        return [_err("must provide an object", ptr)]
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else _TEXT_TYPES
    if kind not in allowed:
        return [_err("must be a valid enum value", f"{ptr}/type")]
    text = obj.get("text")
    if not isinstance(text, str):
        return [_err("must be a string", f"{ptr}/text")]
    if not text:
        return [_err("must be more than 0 characters", f"{ptr}/text")]
    if len(text) > max_len:
        return [_err(_too_long(max_len), f"{ptr}/text")]
    if kind == "mrkdwn" and "emoji" in obj:
        return [_err("emoji is only allowed on plain_text", f"{ptr}/emoji")]
    return []


def _string(value: Any, ptr: str, max_len: int, *, required: bool = False) -> list[str]:
    if value is None:
        return [_err(f"missing required field: {ptr.rsplit('/', 1)[-1]}", ptr)] if required else []
    if not isinstance(value, str):
        return [_err("must be a string", ptr)]
    if required and not value:
        return [_err("must be more than 0 characters", ptr)]
    if len(value) > max_len:
        return [_err(_too_long(max_len), ptr)]
    return []


def _items(value: Any, ptr: str, max_items: int, *, required: bool = True) -> list[Any] | str:
    """The list at `ptr`, or an error message when it is missing, not a list, empty or too long."""
    if value is None and not required:
        return []
    if not isinstance(value, list):
        return _err("must provide an array", ptr)
    if not value and required:
        return _err("must have at least 1 item", ptr)
    if len(value) > max_items:
        return _err(f"no more than {max_items} items allowed", ptr)
    return value


def _section(block: dict[str, Any], ptr: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [_err("must define either `text` or `fields`", ptr)]
    errors = _text_object(text, f"{ptr}/text", SECTION_TEXT, required=False)
    if fields is not None:
        items = _items(fields, f"{ptr}/fields", MAX_FIELDS)
        if isinstance(items, str):
            errors.append(items)
        else:
            for j, item in enumerate(items):
                errors.extend(_text_object(item, f"{ptr}/fields/{j}", FIELD_TEXT))
    if block.get("accessory") is not None:
        errors.extend(_element(block["accessory"], f"{ptr}/accessory"))
    return errors


def _header(block: dict[str, Any], ptr: str) -> list[str]:
    return _text_object(block.get("text"), f"{ptr}/text", HEADER_TEXT, plain_only=True)


def _context(block: dict[str, Any], ptr: str) -> list[str]:
    items = _items(block.get("elements"), f"{ptr}/elements", MAX_CONTEXT_ELEMENTS)
    if isinstance(items, str):
        return [items]
    errors: list[str] = []
    for j, item in enumerate(items):
        item_ptr = f"{ptr}/elements/{j}"
        if isinstance(item, dict) and item.get("type") == "image":
            errors.extend(_image(item, item_ptr))
        else:
            errors.extend(_text_object(item, item_ptr, SECTION_TEXT))
    return errors


def _actions(block: dict[str, Any], ptr: str) -> list[str]:
    items = _items(block.get("elements"), f"{ptr}/elements", MAX_ACTIONS_ELEMENTS)
    if isinstance(items, str):
        return [items]
    errors: list[str] = []
    for j, item in enumerate(items):
        errors.extend(_element(item, f"{ptr}/elements/{j}"))
    return errors


def _image(block: dict[str, Any], ptr: str) -> list[str]:
    errors: list[str] = []
    if block.get("image_url") is None and block.get("slack_file") is None:
        errors.append(_err("must define either `image_url` or `slack_file`", ptr))
    errors.extend(_string(block.get("image_url"), f"{ptr}/image_url", URL_LENGTH))
    errors.extend(_string(block.get("alt_text"), f"{ptr}/alt_text", ALT_TEXT, required=True))
    if block.get("title") is not None:
        errors.extend(_text_object(block["title"], f"{ptr}/title", ALT_TEXT, plain_only=True))
    return errors


def _markdown(block: dict[str, Any], ptr: str) -> list[str]:
    return _string(block.get("text"), f"{ptr}/text", MARKDOWN_TEXT, required=True)


def _element(element: Any, ptr: str) -> list[str]:
    if not isinstance(element, dict):
        return [_err("must provide an object", ptr)]
    kind = element.get("type")
    if kind == "button":
        errors = _text_object(element.get("text"), f"{ptr}/text", BUTTON_TEXT, plain_only=True)
        errors += _string(element.get("action_id"), f"{ptr}/action_id", ACTION_ID)
        errors += _string(element.get("url"), f"{ptr}/url", URL_LENGTH)
        errors += _string(element.get("value"), f"{ptr}/value", BUTTON_VALUE)
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(_err("must be a valid enum value", f"{ptr}/style"))
        return errors
    if kind == "image":
        return _image(element, ptr)
    if kind == "overflow":
        return _overflow(element, ptr)
    if not isinstance(kind, str):
        return [_err("missing required field: type", ptr)]
    return []  # other elements: slack_sdk's models check them


def _overflow(element: dict[str, Any], ptr: str) -> list[str]:
    errors = _string(element.get("action_id"), f"{ptr}/action_id", ACTION_ID)
    options = element.get("options")
    least, most = OVERFLOW_OPTIONS
    if not isinstance(options, list):
        return [*errors, _err("must provide an array", f"{ptr}/options")]
    if not least <= len(options) <= most:
        errors.append(_err(f"must have between {least} and {most} items", f"{ptr}/options"))
    for j, option in enumerate(options):
        errors.extend(_option(option, f"{ptr}/options/{j}"))
    return errors


def _option(option: Any, ptr: str) -> list[str]:
    if not isinstance(option, dict):
        return [_err("must provide an object", ptr)]
    errors = _text_object(option.get("text"), f"{ptr}/text", OPTION_TEXT, plain_only=True)
    errors += _string(option.get("value"), f"{ptr}/value", OPTION_VALUE, required=True)
    errors += _string(option.get("url"), f"{ptr}/url", OPTION_URL)
    if option.get("description") is not None:
        errors += _text_object(option["description"], f"{ptr}/description", OPTION_TEXT)
    return errors


_BLOCK_CHECKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "image": _image,
    "markdown": _markdown,
}


def _sdk_errors(block: dict[str, Any], ptr: str) -> list[str]:
    """Whatever slack_sdk's models reject (`Block.parse` + `validate_json` + nested `to_dict`)."""
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return [_err("failed to match all allowed schemas", ptr)]
        parsed.validate_json()
        parsed.to_dict()
    except Exception as exc:  # SlackObjectFormationError, or a constructor's TypeError
        return [_err(str(exc) or type(exc).__name__, ptr)]
    return []
