"""The fake refuses what Discord refuses for message components (docs/reference/discord.md §11),
and accepts what discord.py itself builds."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import PAPERS, started
from tests.fakes.discord_validate import validate_message

discord_fake = discord_fixture.discord_fake


def button(custom_id: str = "b", label: str = "Save", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": label, "custom_id": custom_id, **extra}


def select(custom_id: str = "s", options: int = 3, **extra: Any) -> dict[str, Any]:
    choices = [{"label": f"{n}. Paper", "value": f"2411.{n:05d}"} for n in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": choices, **extra}


def row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


def errors(*rows: dict[str, Any]) -> str:
    """The error codes Discord would answer for a message with these rows, "" when none."""
    answer = validate_message({"content": "x", "components": list(rows)})
    return "" if answer is None else str(answer["errors"])


def test_what_paperboy_sends_is_accepted() -> None:
    rows = [
        row(select(f"pb:{a}", 25, placeholder="🔖 " + "p" * 140)) for a in ("save", "nr", "more")
    ]
    rows[0]["components"][0].update(min_values=0, max_values=25)  # none to all of them
    rows += [row(*(button(f"b{n}", "l" * 80) for n in range(5))), row(button("u"))]
    assert errors(*rows) == ""


@pytest.mark.parametrize(
    "rows, code",
    [
        ([row(button(f"b{n}")) for n in range(6)], "BASE_TYPE_MAX_LENGTH"),  # 6 action rows
        ([row(*(button(f"b{n}") for n in range(6)))], "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
        ([row(select(), button())], "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
        ([row(select(options=26))], "BASE_TYPE_BAD_LENGTH"),
        ([row(select(options=0))], "BASE_TYPE_BAD_LENGTH"),
        ([row(button("x" * 101))], "BASE_TYPE_BAD_LENGTH"),
        ([row(button(""))], "BASE_TYPE_BAD_LENGTH"),
        ([row(button("same")), row(select("same"))], "COMPONENT_CUSTOM_ID_DUPLICATED"),
        ([row(button(label="l" * 81))], "BASE_TYPE_MAX_LENGTH"),
        ([row(select(placeholder="p" * 151))], "BASE_TYPE_MAX_LENGTH"),
        ([row(button(style=7))], "BASE_TYPE_CHOICES"),
        ([{"type": 2, "components": []}], "COMPONENT_TYPE_INVALID"),
        ([row()], "BASE_TYPE_MIN_LENGTH"),
        ([row(select(min_values=0, max_values=0))], "BASE_TYPE_BAD_INT"),
        ([row(select(max_values=4))], "BASE_TYPE_BAD_INT"),
    ],
    ids=[
        "six-rows",
        "six-buttons",
        "select-and-button",
        "26-options",
        "no-option",
        "long-custom-id",
        "empty-custom-id",
        "duplicate-custom-id",
        "long-button-label",
        "long-placeholder",
        "bad-style",
        "not-a-row",
        "empty-row",
        "max-values-0",
        "max-values-past-options",
    ],
)
def test_components_discord_refuses(rows: list[dict[str, Any]], code: str) -> None:
    assert code in errors(*rows)


@pytest.mark.parametrize(
    "option, code",
    [
        ({"label": "l" * 101, "value": "v"}, "BASE_TYPE_MAX_LENGTH"),
        ({"label": "l", "value": "v" * 101}, "BASE_TYPE_MAX_LENGTH"),
        ({"label": "", "value": "v"}, "BASE_TYPE_REQUIRED"),
        ({"label": "l"}, "BASE_TYPE_REQUIRED"),
        ({"label": "l", "value": "2411.00000"}, "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED"),
    ],
    ids=["long-label", "long-value", "empty-label", "no-value", "duplicate-value"],
)
def test_select_options_discord_refuses(option: dict[str, Any], code: str) -> None:
    bad = select(options=1)
    bad["options"].append(option)
    assert code in errors(row(bad))


async def test_a_refused_component_is_a_400_through_discord_py(discord_fake: DiscordFake) -> None:
    class TooMany(discord.ui.View):
        def to_components(self) -> list[dict[str, Any]]:
            return [row(button(f"b{n}")) for n in range(6)]

    async with started(discord_fake, discord.Client(intents=discord.Intents.none())) as bot:
        channel = await bot.fetch_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="ok", custom_id="ok"))
        await channel.send("fine", view=view)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send("too many rows", view=TooMany(timeout=None))
    assert refused.value.status == 400 and refused.value.code == 50035
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["fine"]
