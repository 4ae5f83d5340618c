"""Text paperboy did not write shows on Discord as typed: no link, mention or formatting of its
own survives the escaping, read the way a Discord client reads it (tests' discord_markdown)."""

from __future__ import annotations

import pytest
from discord.utils import escape_markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.markdown import defuse, escape
from bot.commands.table import echo
from tests.adapters.discord.discord_markdown import links, markup, mentions, shown

SPOOF = "[a](x) and [b](https://evil.example)"

ADVERSARIAL = [
    SPOOF,
    "[one](https://a.example) [two](https://b.example) [three](<https://c.example>)",
    "[https://good.example](https://evil.example)",
    "see https://evil.example/x?y=1 and <https://evil.example>",
    "||spoiler|| and ~~gone~~ and __under__ *it* **bold** ***both***",
    "# Heading\n## Smaller\n### Smallest\n-# subtext",
    "> quote\n>>> the rest quoted",
    "- a\n+ b\n* c\n1. d\n  2. e",
    "```py\nprint('hi')\n``` and `code` and ``double``",
    "@everyone @here",
    "<@100000000000000001> <@!100000000000000001> <@&100000000000000002> <#100000000000000003>",
    "</papers search:100000000000000004> <t:1700000000:R> <t:1700000000>",
    "<:paperboy:100000000000000005> <a:wave:100000000000000006> <id:customize>",
    "\\[a](https://evil.example) \\\\[b](https://evil.example)",
    "[a\n](https://evil.example)",
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_text_shows_as_typed_with_no_link_mention_or_markup(text: str) -> None:
    escaped = escape(text)
    assert links(escaped) == []
    assert mentions(escaped) == []
    assert markup(escaped) == []
    assert shown(escaped) == text


def test_every_masked_link_is_escaped_where_discord_py_escapes_only_the_first() -> None:
    assert links(escape_markdown(SPOOF)) == ["https://evil.example"]  # the defect, in the model
    assert links(escape(SPOOF)) == []


ANY_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*ADVERSARIAL, "\n", "https://", "](", "<@", "`", "\\", "1. ", "- "]),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_shows_as_typed_with_no_link_mention_or_markup(text: str) -> None:
    escaped = escape(text)
    assert (links(escaped), mentions(escaped), markup(escaped)) == ([], [], [])
    assert shown(escaped) == text


def test_a_reply_keeps_its_code_spans_and_escapes_the_rest() -> None:
    reply = "count must be a whole number, not '[a](https://evil.example)'. Usage: `today [n]`"
    defused = defuse(reply)
    assert defused.endswith("Usage: `today [n]`")
    assert links(defused) == [] and mentions(defused) == []


def test_a_stray_backtick_in_a_reply_cannot_open_a_code_span() -> None:
    defused = defuse("not '`'. [a](https://evil.example) @everyone")
    assert links(defused) == [] and mentions(defused) == []
    assert "\\`" in defused


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(ANY_TEXT, st.booleans()), max_size=6))
def test_any_reply_with_user_text_in_and_out_of_code_has_no_link_or_mention(
    parts: list[tuple[str, bool]],
) -> None:
    # User text quoted in code the way the handlers quote it, or raw (`{word!r}`).
    reply = "".join(f"`{echo(t)}`" if coded and t.strip() else t for t, coded in parts)
    defused = defuse(reply)
    assert links(defused) == [] and mentions(defused) == []
