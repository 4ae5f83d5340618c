"""The command table's parser: names, arguments, and clear errors for bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.table import COMMANDS, MAX_COMMAND_LENGTH, CommandError, parse


def test_empty_text_means_help() -> None:
    assert parse("").spec.name == "help"
    assert parse("/papers").spec.name == "help"


def test_prefix_and_case_are_ignored() -> None:
    parsed = parse("/papers TODAY 5")
    assert (parsed.spec.name, parsed.args) == ("today", {"count": 5})


def test_text_argument_keeps_the_rest_verbatim() -> None:
    parsed = parse('search diffusion "video generation" -survey')
    assert parsed.args == {"query": 'diffusion "video generation" -survey'}


def test_subcommand_with_optional_time_and_zone() -> None:
    assert parse("digest on").args == {}
    assert parse("digest on 7:05").args == {"time": "07:05"}
    assert parse("digest on europe/paris").args == {"timezone": "Europe/Paris"}
    assert parse("digest on 18:30 Asia/Tokyo").args == {"time": "18:30", "timezone": "Asia/Tokyo"}


def test_unknown_command_suggests_the_closest() -> None:
    with pytest.raises(CommandError, match="Did you mean `search`"):
        parse("serch mamba")


def test_group_without_subcommand_lists_them() -> None:
    with pytest.raises(CommandError, match="on, off, show, size, min-upvotes, weekends"):
        parse("digest")


def test_bad_time_names_the_time_problem() -> None:
    with pytest.raises(CommandError, match="HH:MM"):
        parse("digest on 25:00")


def test_out_of_range_number_is_refused() -> None:
    with pytest.raises(CommandError, match="between 1 and 25"):
        parse("today 500")
    with pytest.raises(CommandError, match="whole number"):
        parse("digest size ten")


def test_missing_required_argument_shows_usage() -> None:
    with pytest.raises(CommandError, match="Usage: `search <query>`"):
        parse("search")


def test_extra_words_are_refused() -> None:
    with pytest.raises(CommandError, match="Unexpected `please`"):
        parse("status please")


def test_oversize_command_is_refused_before_parsing() -> None:
    with pytest.raises(CommandError, match="limit is 2,000"):
        parse("search " + "x" * MAX_COMMAND_LENGTH)


def test_every_command_has_help_and_a_unique_path() -> None:
    paths = [spec.path for spec in COMMANDS]
    assert len(paths) == len(set(paths))
    assert all(spec.help.endswith(".") for spec in COMMANDS)


@given(st.text(max_size=300))
def test_any_text_parses_or_gives_a_command_error(text: str) -> None:
    try:
        parse(text)
    except CommandError as exc:
        assert str(exc)
