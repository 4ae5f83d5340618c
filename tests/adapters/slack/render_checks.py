"""What every rendered Slack message must be (the render tests share these): valid Block Kit
within Slack's limits, escaped mrkdwn, paperboy's own links and controls only."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import unquote

from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from adapters.actions import command_text
from adapters.slack import limits
from adapters.slack.render import SlackMessage
from bot.domain import ChannelRef, Paper
from tests.adapters import hostile_papers, paper_links
from tests.adapters import render_checks as shared
from tests.adapters.render_checks import units
from tests.fakes.slack_blocks import validate_message

CHANNEL = ChannelRef("slack", "T0001", "C0001")
PAPER_LINK = re.compile(r"<https://huggingface\.co/papers/([^|>]+)\|")
LINK = re.compile(r"<(https?://[^\s|<>]+)\|([^|<>]*)>")
ENTITY = re.compile(r"&(amp|lt|gt);")
PROPERTY = shared.property_settings(30)
digest = partial(shared.digest, CHANNEL)  # FULL unless told


def strings(value: Any) -> list[str]:
    """Every string in a block except the `type` names: what counts toward the cumulative cap."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "type" for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def assert_mrkdwn_safe(text: str) -> None:
    """Escaped mrkdwn: `<` `>` only in well-formed `<url|label>` links, `&` only in entities."""
    bare = LINK.sub("", text)
    assert "<" not in bare and ">" not in bare, text
    assert "&" not in ENTITY.sub("", bare), text
    for _url, label in LINK.findall(text):
        assert "|" not in label and "\n" not in label


def mrkdwn_texts(block: dict[str, Any]) -> list[str]:
    """The mrkdwn text objects of a block."""
    objs = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
    return [o["text"] for o in objs if isinstance(o, dict) and o.get("type") == "mrkdwn"]


def controls(block: dict[str, Any]) -> list[dict[str, Any]]:
    """A block's interactive elements (an actions block's buttons, a section's menu)."""
    if block["type"] == "actions":
        return list(block["elements"])
    accessory = block.get("accessory")
    return [accessory] if accessory and accessory["type"] != "image" else []


def assert_control(element: dict[str, Any]) -> list[str]:
    """A button or an overflow menu within Slack's limits, whose values are paperboy's button
    ids; returns its action_id."""
    assert 1 <= units(element["action_id"]) <= limits.ACTION_ID_MAX
    if element["type"] == "button":
        assert element["text"]["type"] == "plain_text"
        assert 1 <= units(element["text"]["text"]) <= limits.BUTTON_TEXT_MAX
        assert element["value"] == element["action_id"]
        assert command_text(element["value"]) is not None
        return [element["action_id"]]
    assert element["type"] == "overflow"
    options = element["options"]
    assert limits.OVERFLOW_OPTIONS_MIN <= len(options) <= limits.OVERFLOW_OPTIONS_MAX
    for option in options:
        assert option["text"]["type"] == "plain_text"
        assert 1 <= units(option["text"]["text"]) <= limits.OPTION_TEXT_MAX
        assert 1 <= units(option["value"]) <= limits.OPTION_VALUE_MAX
        assert command_text(option["value"]) is not None
    return [element["action_id"]]


def assert_valid(messages: list[SlackMessage]) -> None:
    """Checks slack_sdk's models make, plus the gaps they miss (docs/reference/slack.md §6),
    plus the strict fake's."""
    assert messages
    for m in messages:
        assert m.text.strip() and units(m.text) <= limits.FALLBACK_TEXT_MAX
        assert_mrkdwn_safe(m.text)
        assert 1 <= len(m.blocks) <= limits.MAX_BLOCKS
        assert sum(units(s) for b in m.blocks for s in strings(b)) <= limits.BLOCKS_TEXT_BUDGET
        ids = [b["block_id"] for b in m.blocks if "block_id" in b]
        assert len(ids) == len(set(ids))
        action_ids = [a for b in m.blocks for e in controls(b) for a in assert_control(e)]
        assert len(action_ids) == len(set(action_ids)), action_ids
        for b in m.blocks:
            parsed = Block.parse(b)
            assert parsed is not None, b
            parsed.validate_json()
            assert parsed.to_dict() == b  # nothing slack_sdk does not know about
            if b["type"] == "section":
                assert "text" in b or "fields" in b
                if "text" in b:
                    assert b["text"]["text"].strip()
                    assert units(b["text"]["text"]) <= limits.SECTION_TEXT_MAX
                assert len(b.get("fields", [])) <= limits.FIELDS_MAX
                assert all(units(f["text"]) <= limits.FIELD_TEXT_MAX for f in b.get("fields", []))
                if b.get("accessory", {}).get("type") == "image":
                    assert 1 <= units(b["accessory"]["alt_text"]) <= limits.ALT_TEXT_MAX
                    assert units(b["accessory"]["image_url"]) <= limits.URL_MAX
            elif b["type"] == "header":
                assert b["text"]["type"] == "plain_text"
                assert 1 <= units(b["text"]["text"]) <= limits.HEADER_TEXT_MAX
            elif b["type"] == "context":
                assert 1 <= len(b["elements"]) <= limits.CONTEXT_ELEMENTS_MAX
                assert all(e["text"].strip() for e in b["elements"])
            else:
                assert b["type"] in ("divider", "actions")
            for text in mrkdwn_texts(b):
                assert_mrkdwn_safe(text)
        payload = {"channel": CHANNEL.channel, "text": m.text, "blocks": m.blocks}
        assert validate_message(payload) is None


def paper_ids(messages: list[SlackMessage]) -> list[str]:
    """The paper ids in the order their sections appear across the messages."""
    return [
        pid
        for m in messages
        for b in m.blocks
        if b["type"] == "section"
        for pid in PAPER_LINK.findall(b["text"]["text"])
    ]


def all_text(message: SlackMessage) -> str:
    """Every mrkdwn text of a message, one per line."""
    return "\n".join(t for b in message.blocks for t in mrkdwn_texts(b))


def constructs(mrkdwn: str) -> list[str]:
    """Every `<…>` Slack would read in mrkdwn: a link, a mention, a channel, a special command."""
    return re.findall(r"<([^<>]*)>", mrkdwn)


def paperboys_links(ps: list[Paper]) -> set[str]:
    """The links paperboy puts in a paper's section, unquoted: the paper, arXiv, PDF, code and
    project page, and the Daily Papers page."""
    return paper_links(ps) | {p.url for p in ps} | {"https://huggingface.co/papers"}


def assert_no_spoofing(messages: list[SlackMessage], ps: list[Paper]) -> None:
    """Every `<…>` Slack reads is one of paperboy's links; no mention, no other link."""
    allowed = paperboys_links(ps)
    for m in messages:
        for construct in constructs(all_text(m) + m.text):
            url = construct.split("|")[0]
            assert unquote(html.unescape(url)) in allowed, construct


def assert_unformatted(section: str, bold: int = 0, *, tags: bool = False) -> None:
    """A paper section formats only what paperboy formats: its title bold (and `bold` marked
    snippet words), its tags line in italics when `tags`; no quote."""
    shown = re.sub(r"<https?://[^|>]*\|", "<", section)  # URLs may hold `_` and `~`
    last = shown.rsplit("\n", 1)[-1]
    if tags and last.startswith("_"):
        assert last.endswith("_") and last.count("_") == 2, section
        shown = shown[: -len(last)]
    assert shown.count("*") == 2 + 2 * bold, section
    assert not any(c in shown for c in "_~`"), section
    assert not any(line.startswith("&gt;") for line in section.splitlines()), section


# --- hostile text ----------------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        *"<>&|*_~`\n\t ",
        "&amp;",
        "<!channel>",
        "<!here>",
        "<@U0001>",
        "<https://evil.example|arXiv>",
        "> ",
        "```",
        "**",
        "😀",
        "é",
        "|>",
    ]
)
FIELD = shared.hostile_field(st.characters(exclude_categories=["Cs"]), NASTY)
_papers = hostile_papers(FIELD)


def papers(n: int) -> st.SearchStrategy[list[Paper]]:
    """n hostile papers, with hostile keywords (the tags) too."""
    keywords = st.lists(st.lists(FIELD, max_size=5).map(tuple), min_size=n, max_size=n)
    return st.tuples(_papers(n), keywords).map(
        lambda drawn: [replace(p, ai_keywords=k) for p, k in zip(*drawn, strict=True)]
    )
