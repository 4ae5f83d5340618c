"""Autocomplete choices built from the core's suggestions stay within Discord's limits."""

from __future__ import annotations

from adapters.discord.commands import CHOICE_NAME_MAX, CHOICE_VALUE_MAX, choice


def test_label_value_pair_keeps_the_short_value_and_clips_the_label() -> None:
    made = choice(("3: " + "selective state space " * 14, "3"))
    assert made.value == "3"
    assert len(made.name) <= CHOICE_NAME_MAX and made.name.startswith("3: selective")
    assert made.name.endswith("…")


def test_plain_string_is_both_label_and_value_within_limits() -> None:
    made = choice("1: " + "x" * 300)
    assert len(made.name) <= CHOICE_NAME_MAX and len(made.value) == CHOICE_VALUE_MAX
    assert made.value.startswith("1: ")
    assert choice("Asia/Tokyo").name == choice("Asia/Tokyo").value == "Asia/Tokyo"
