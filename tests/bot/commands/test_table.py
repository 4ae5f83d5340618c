"""The command table's parser: names, arguments, and clear errors for bad input."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.table import (
    COMMANDS,
    MAX_COMMAND_LENGTH,
    CommandError,
    find,
    is_own_command,
    parse,
    typed_usage,
)


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
    with pytest.raises(CommandError, match="on, off, show, size, min-upvotes, weekends, filter"):
        parse("digest")


def test_a_group_with_a_command_of_its_own_falls_back_to_it() -> None:
    assert parse("reading-list").spec.name == "reading-list"
    assert parse("Reading-List REMOVE 2").args == {"paper": "2"}
    assert parse("reading-list remove arXiv:2410.17243").args == {"paper": "arXiv:2410.17243"}
    assert parse("reading-list export BibTeX").args == {"format": "bibtex"}
    assert parse("reading-list export markdown 3").args == {"format": "markdown", "page": 3}
    with pytest.raises(CommandError, match="`reading-list` takes one of: show, remove, export"):
        parse("reading-list everything")
    with pytest.raises(CommandError, match="Did you mean `remove`"):
        parse("reading-list remvoe 2")
    with pytest.raises(CommandError, match="page must be between 1 and"):
        parse("reading-list export bibtex 0")
    with pytest.raises(
        CommandError, match=re.escape("Usage: `reading-list export <markdown|bibtex> [page]`")
    ):
        parse("reading-list export")


def test_click_commands_take_an_arxiv_id_and_undo_an_optional_number() -> None:
    for name in ("save", "not-relevant", "more-like"):
        assert parse(f"{name} 2401.12345").args == {"id": "2401.12345"}
        with pytest.raises(CommandError, match=f"Usage: `{name} <id>`"):
            parse(name)
    assert parse("undo").args == {} and parse("undo 17").args == {"click": 17}
    with pytest.raises(CommandError, match="whole number"):
        parse("undo last")
    assert not any(parse(t).spec.manages for t in ("save 1", "undo", "reading-list export bibtex"))
    manager = ("digest layout full", "digest climbers 5", "reading-list remove 1")
    assert all(parse(t).spec.manages for t in manager)


def test_show_runs_a_group_s_own_command_as_discord_names_it() -> None:
    # Discord cannot run a group that has subcommands: `reading-list` is `reading-list show`
    # there, and replies name that form, so it must run everywhere.
    bare = find(("reading-list",))
    assert bare is not None and is_own_command(bare)
    assert parse("/papers reading-list show").spec is bare
    assert parse("reading-list SHOW").args == {}
    with pytest.raises(CommandError, match="Unexpected `2`"):
        parse("reading-list show 2")
    with pytest.raises(CommandError, match="Did you mean `show`"):
        parse("reading-list shwo")
    assert typed_usage(bare) == "reading-list show"
    owns = {"reading-list", "feed", "mine"}  # the groups with a command of their own
    assert [typed_usage(s) for s in COMMANDS if s.name not in owns] == [
        s.usage for s in COMMANDS if s.name not in owns
    ]
    assert {typed_usage(s) for s in COMMANDS if s.name in owns} == {
        "reading-list show",
        "feed show",
        "mine show",
    }
    with pytest.raises(CommandError, match="`digest` needs one of: on, off, show"):
        parse("digest")  # a group without a command of its own has a real `show`
    assert parse("digest show").spec.name == "digest show"


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
