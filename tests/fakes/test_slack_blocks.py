"""The fake's Block Kit validator on interactive elements: what Slack refuses, it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.slack_blocks import check_message, validate_message


def option(text: str = "Save", value: str = "pb:save:2411.00001", **extra: Any) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value, **extra}


def with_menu(*options: dict[str, Any], action_id: str = "pb:menu:1") -> dict[str, Any]:
    accessory = {"type": "overflow", "action_id": action_id, "options": list(options)}
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "*1. A paper*"}}
    return {"text": "t", "blocks": [{**section, "accessory": accessory}]}


def buttons(*action_ids: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": a}, "action_id": a}
            for a in action_ids
        ],
    }


def test_an_overflow_menu_of_two_to_five_options_is_accepted() -> None:
    for n in (2, 3, 5):
        assert validate_message(with_menu(*(option(value=f"v{i}") for i in range(n)))) is None


@pytest.mark.parametrize(
    "options, pointer",
    [
        ([option()], "/blocks/0/accessory/options"),
        ([option(value=f"v{i}") for i in range(6)], "/blocks/0/accessory/options"),
        ([option(), option("x" * 76)], "/blocks/0/accessory/options/1/text/text"),
        ([option(), option(value="v" * 151)], "/blocks/0/accessory/options/1/value"),
        ([option(), {"text": {"type": "plain_text", "text": "x"}}], "/options/1/value"),
        ([option(), {"text": {"type": "mrkdwn", "text": "x"}, "value": "v"}], "/options/1/text"),
        ([option(), option(description={"type": "plain_text", "text": "d" * 76})], "description"),
    ],
    ids=["one", "six", "long text", "long value", "no value", "mrkdwn", "long description"],
)
def test_an_overflow_menu_slack_refuses_is_refused(
    options: list[dict[str, Any]], pointer: str
) -> None:
    problem = check_message(with_menu(*options))
    assert problem is not None and problem.error == "invalid_blocks"
    assert any(pointer in message for message in problem.messages), problem.messages


def test_limits_are_inclusive() -> None:
    assert validate_message(with_menu(option("x" * 75), option(value="v" * 150))) is None
    assert validate_message(with_menu(option(), option(), action_id="a" * 256)) == "invalid_blocks"


def test_an_action_id_repeated_in_a_message_is_refused() -> None:
    menu = with_menu(option(), option(value="v2"), action_id="pb:save:1")
    twice = {"text": "t", "blocks": [*menu["blocks"], buttons("pb:save:1")]}
    problem = check_message(twice)
    assert problem is not None and problem.error == "invalid_blocks"
    assert problem.messages == ["[ERROR] duplicate action_id 'pb:save:1' [json-pointer:/blocks/1]"]
    assert validate_message({"text": "t", "blocks": [buttons("a", "a")]}) == "invalid_blocks"
    assert validate_message({"text": "t", "blocks": [buttons("a", "b"), buttons("c")]}) is None
