"""What the Discord render tests check every message against (Discord's limits, the strict
fake's validator, paperboy's links only) and the hostile text they draw."""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import unquote

import discord
from hypothesis import strategies as st

from adapters.discord import limits
from adapters.discord.render import DiscordMessage
from bot.domain import ChannelRef, Paper
from tests.adapters import hostile_papers, paper_links
from tests.adapters import render_checks as shared
from tests.adapters.discord.discord_markdown import links, mentions
from tests.adapters.render_checks import units
from tests.fakes.discord_validate import validate_message

CHANNEL = ChannelRef("discord", "100000000000000001", "200000000000000002")
PAPER_URL = re.compile(r"https://huggingface\.co/papers/(.+)")
LISTED = re.compile(r"\]\(https://huggingface\.co/papers/([^)]+)\)\*\* ▲")
CONTINUED = re.compile(r"\(continued, (\d+)/(\d+)\)")
PROPERTY = shared.property_settings(40)
digest = partial(shared.digest, CHANNEL)  # FULL unless told


def assert_embed_valid(embed: discord.Embed) -> None:
    """One embed within the documented "Embed Limits" (docs/reference/discord.md §2)."""
    data = embed.to_dict()
    assert data.get("title", "").strip() or data.get("description", "").strip()
    assert units(data.get("title", "")) <= limits.EMBED_TITLE_MAX
    assert "\n" not in data.get("title", "")
    assert units(data.get("description", "")) <= limits.EMBED_DESCRIPTION_MAX
    assert len(data.get("fields", [])) <= limits.EMBED_FIELDS_MAX
    for f in data.get("fields", []):
        assert f["name"].strip() and units(f["name"]) <= limits.FIELD_NAME_MAX
        assert f["value"].strip() and units(f["value"]) <= limits.FIELD_VALUE_MAX
    if "footer" in data:
        assert data["footer"]["text"].strip()
        assert units(data["footer"]["text"]) <= limits.FOOTER_MAX
    if "author" in data:
        assert units(data["author"]["name"]) <= limits.AUTHOR_NAME_MAX
    for url in (data.get("url"), data.get("thumbnail", {}).get("url")):
        assert url is None or (url.startswith(("https://", "http://")) and " " not in url)


def controls(message: DiscordMessage) -> list[dict[str, Any]]:
    """The message's buttons and selects, row by row."""
    return [item for row in message.components for item in row["components"]]


def assert_components_valid(message: DiscordMessage) -> None:
    """The components' limits (docs/reference/discord.md §11), checked here as well as by the
    fake's validator."""
    assert len(message.components) <= limits.ACTION_ROWS_MAX
    ids = [c["custom_id"] for c in controls(message)]
    assert len(ids) == len(set(ids))
    for row in message.components:
        kinds = {c["type"] for c in row["components"]}
        assert kinds in ({2}, {3})
        assert len(row["components"]) <= (1 if kinds == {3} else limits.BUTTONS_PER_ROW)
    for c in controls(message):
        assert 1 <= len(c["custom_id"]) <= limits.CUSTOM_ID_MAX
        if c["type"] == 2:
            assert 1 <= units(c["label"]) <= limits.BUTTON_LABEL_MAX
            continue
        assert 1 <= len(c["options"]) <= limits.SELECT_OPTIONS_MAX
        assert units(c.get("placeholder", "")) <= limits.PLACEHOLDER_MAX
        values = [o["value"] for o in c["options"]]
        assert len(values) == len(set(values))
        for o in c["options"]:
            assert 1 <= units(o["label"].strip()) <= limits.OPTION_LABEL_MAX
            assert 1 <= units(o["value"]) <= limits.OPTION_VALUE_MAX


def assert_valid(messages: list[DiscordMessage]) -> None:
    """Create Message's checks (docs/reference/discord.md §2, §11), plus the strict fake's."""
    assert messages
    for m in messages:
        assert m.content.strip() or m.embeds  # else 50006 "Cannot send an empty message"
        assert units(m.content) <= limits.CONTENT_MAX
        assert len(m.embeds) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in m.embeds) <= limits.EMBEDS_TOTAL_MAX
        counted = [
            s for e in m.embeds for s in (e.title, e.description, e.footer.text, e.author.name)
        ]
        counted += [s for e in m.embeds for f in e.fields for s in (f.name, f.value)]
        assert sum(units(s or "") for s in counted) <= limits.EMBEDS_TOTAL_MAX
        for e in m.embeds:
            assert_embed_valid(e)
        assert_components_valid(m)
        payload = {
            "content": m.content,
            "embeds": [e.to_dict() for e in m.embeds],
            "components": m.components,
        }
        assert validate_message(payload) is None


def paper_ids(messages: list[DiscordMessage]) -> list[str]:
    """The paper ids in the order their embeds appear across the messages."""
    ids = []
    for m in messages:
        for e in m.embeds:
            match = PAPER_URL.fullmatch(e.url or "")
            assert match is not None, e.url
            ids.append(match.group(1))
    return ids


def fields(embed: discord.Embed) -> dict[str, str]:
    return {f.name or "": f.value or "" for f in embed.fields}


def assert_numbered(messages: list[DiscordMessage]) -> None:
    """Every message after the first opens with "(continued, k/n)"."""
    for k, m in enumerate(messages[1:], 2):
        match = CONTINUED.match(m.content)
        assert match is not None, m.content
        assert match.groups() == (str(k), str(len(messages)))
    assert CONTINUED.match(messages[0].content) is None


def marked_down(message: DiscordMessage) -> list[str]:
    """Every text of a message a Discord client reads as markdown."""
    texts = [message.content]
    for e in message.embeds:
        texts += [e.title or "", e.description or ""]
        texts += [s or "" for f in e.fields for s in (f.name, f.value)]
    return texts


def assert_no_spoofing(messages: list[DiscordMessage], ps: list[Paper]) -> None:
    """No link but paperboy's and no mention, anywhere Discord reads markdown."""
    allowed = paper_links(ps) | {p.url for p in ps}
    for m in messages:
        for text in marked_down(m):
            assert mentions(text) == [], text
            assert {unquote(link) for link in links(text)} <= allowed, text


def select_values(message: DiscordMessage) -> list[list[str]]:
    """The option values of each of the message's selects."""
    return [[o["value"] for o in c["options"]] for c in controls(message) if c["type"] == 3]


NASTY = st.sampled_from(
    [
        *"<>&|*_~`#->[]()\\\n\t @",
        "**",
        "😀",
        "é",
        "@everyone",
        "- ",
        "[a](https://b.c)",
        "```",
        "<@100000000000000001>",
        "<#100000000000000003>",
        "<t:1700000000:R>",
        "[b](https://evil.example)",
        "https://evil.example",
        "||",
        "# ",
        "-# ",
        "> ",
        "1. ",
        "@here",
    ]
)
FIELD = shared.hostile_field(st.characters(codec="utf-8"), NASTY)
papers = hostile_papers(FIELD)
