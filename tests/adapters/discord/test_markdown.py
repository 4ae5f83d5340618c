"""Text paperboy did not write shows on Discord as typed: no link, mention or formatting of its
own survives the escaping, read the way a Discord client reads it (tests' discord_markdown),
and no bidirectional control survives anywhere a paper's text goes (list, labels, titles)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from discord.utils import escape_markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.commands import choice
from adapters.discord.markdown import defuse, escape
from adapters.discord.payloads import render_post
from adapters.discord.render import (
    clip,
    render_alert,
    render_climber,
    render_digest,
    render_reply,
    thread_name,
)
from bot.commands.table import echo
from bot.domain import Alert, ChannelRef, Climber, Digest, Layout, Reply, SearchHit
from tests.adapters.discord.discord_markdown import links, markup, mentions, shown
from tests.helpers import make_paper

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


# Unicode's Bidi_Control characters (UAX #9): ALM, LRM, RLM; the embeddings and overrides
# LRE RLE PDF LRO RLO (U+202A-U+202E); the isolates LRI RLI FSI PDI (U+2066-U+2069).
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def without_bidi(text: str) -> str:
    return "".join(ch for ch in text if ch not in BIDI)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_shows_as_typed_with_no_link_mention_or_markup(text: str) -> None:
    escaped = escape(text)
    assert (links(escaped), mentions(escaped), markup(escaped)) == ([], [], [])
    assert shown(escaped) == without_bidi(text)


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


BIDI_TEXT = st.lists(st.one_of(ANY_TEXT, st.sampled_from(sorted(BIDI))), max_size=30).map("".join)
CH = ChannelRef("discord", "1000", "2000")
DAY = date(2026, 11, 26)


def _texts(value: Any) -> list[str]:
    """Every string in a message's JSON (content, embeds, components), or in any value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


@settings(max_examples=200, deadline=None)
@given(BIDI_TEXT, BIDI_TEXT, st.sampled_from(Layout))
def test_no_bidi_control_reaches_a_list_a_label_or_a_title(
    title: str, summary: str, layout: Layout
) -> None:
    paper = make_paper("2411.00001", DAY, upvotes=3, title=title or "x", summary=summary)
    digest = Digest(CH, (DAY,), (paper,), layout=layout)
    alert = Alert(CH, paper, (title,), layout)
    messages = [
        *render_digest(digest),
        *render_alert(alert),
        render_climber(Climber(CH, paper, "1", summary, title, (DAY,))),
        *render_reply(Reply(text=summary, title=title, hits=(SearchHit(paper),))),
    ]
    shown_texts = [
        thread_name(digest),
        render_post(alert)[1],  # its forum post's name
        choice((title, "v")).name,
        clip(title, 100, escaped=False),
        escape(summary),
        defuse(f"`{summary}` {title}"),
    ]
    for message in messages:
        shown_texts += [message.content, *_texts([e.to_dict() for e in message.embeds])]
        shown_texts += _texts(message.components)  # option labels, placeholders, ids
    assert not BIDI & set("".join(shown_texts))
