"""The Slack renderers: every message is one Slack accepts, and no paper or reply line is lost."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from adapters.slack import limits
from adapters.slack.mrkdwn import LOOKALIKES, QUOTE_BREAK, escape, literal
from adapters.slack.render import (
    SUMMARY_CHARS,
    SlackMessage,
    render_alert,
    render_digest,
    render_reply,
)
from bot.domain import Alert, ChannelRef, Digest, Paper, Reply, SearchHit
from tests.adapters import FRIDAY, hostile_papers, paper, paper_links
from tests.fakes.slack_blocks import validate_message

CHANNEL = ChannelRef("slack", "T0001", "C0001")
PAPER_LINK = re.compile(r"<https://huggingface\.co/papers/([^|>]+)\|")
LINK = re.compile(r"<(https?://[^\s|<>]+)\|([^|<>]*)>")
ENTITY = re.compile(r"&(amp|lt|gt);")


# --- the validity helper ---------------------------------------------------------------------


def units(text: str) -> int:
    """UTF-16 code units: at least the code point count slack_sdk checks."""
    return len(text.encode("utf-16-le")) // 2


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
                if "accessory" in b:
                    assert 1 <= units(b["accessory"]["alt_text"]) <= limits.ALT_TEXT_MAX
                    assert units(b["accessory"]["image_url"]) <= limits.URL_MAX
            elif b["type"] == "header":
                assert b["text"]["type"] == "plain_text"
                assert 1 <= units(b["text"]["text"]) <= limits.HEADER_TEXT_MAX
            elif b["type"] == "context":
                assert 1 <= len(b["elements"]) <= limits.CONTEXT_ELEMENTS_MAX
                assert all(e["text"].strip() for e in b["elements"])
            else:
                assert b["type"] == "divider"
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


# --- fixtures --------------------------------------------------------------------------------


def digest(
    *papers: Paper,
    days: tuple[date, ...] = (FRIDAY,),
    notice: str | None = None,
) -> Digest:
    return Digest(channel=CHANNEL, days=days, papers=papers, notice=notice)


# --- digests ---------------------------------------------------------------------------------


def test_digest_shows_header_each_paper_and_footer() -> None:
    p = paper(
        organization="Acme AI",
        github_repo="https://github.com/acme/vidiff",
        github_stars=4321,
        project_page="https://acme.ai/vidiff",
    )
    messages = render_digest(digest(p, paper("2411.00002", title="Agents that plan")))
    assert_valid(messages)
    [m] = messages
    assert m.blocks[0]["text"]["text"] == "Daily Papers · Fri 27 Nov 2026"
    section = m.blocks[1]["text"]["text"]
    assert section.startswith(
        "*1. <https://huggingface.co/papers/2411.00001|Video diffusion at scale>*  ▲ 1,234  💬 5"
    )
    assert "Ada Lovelace, Alan Turing, Grace Hopper, et al. · Acme AI" in section
    assert "We scale video generation." in section
    for link in (
        "<https://arxiv.org/abs/2411.00001|arXiv>",
        "<https://arxiv.org/pdf/2411.00001|PDF>",
        "<https://github.com/acme/vidiff|acme/vidiff> ★4,321",
        "<https://acme.ai/vidiff|project page>",
    ):
        assert link in section
    assert m.blocks[2] == {"type": "divider"}
    assert m.blocks[3]["text"]["text"].startswith("*2. <https://huggingface.co/papers/2411.00002|")
    assert m.blocks[-1]["type"] == "context"
    assert m.blocks[-1]["elements"][0]["text"].startswith("top 2 by upvotes · via <")
    assert m.text == "Daily Papers for Fri 27 Nov 2026: 2 papers — top: Video diffusion at scale"


def test_digest_prefers_ai_summary_and_clips_a_long_abstract_at_a_word() -> None:
    short = paper(ai_summary="A one-line AI summary.", summary="word " * 2000)
    empty_ai = paper("2411.00002", ai_summary="", summary="word " * 2000)
    [m] = render_digest(digest(short, empty_ai))
    first, second = m.blocks[1]["text"]["text"], m.blocks[3]["text"]["text"]
    assert "A one-line AI summary." in first and "word word" not in first
    body = next(line for line in second.splitlines() if line.startswith("word"))
    assert body.endswith("word…") and len(body) <= SUMMARY_CHARS


def test_catch_up_digest_names_its_range() -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(4, -1, -1))
    [m] = render_digest(digest(paper(), days=days))
    assert m.blocks[0]["text"]["text"] == "Daily Papers · 23 Nov – 27 Nov 2026 (catch-up)"
    assert m.text.startswith("Daily Papers for 23 Nov – 27 Nov 2026 (catch-up): 1 paper")


def test_catch_up_across_new_year_names_both_years() -> None:
    days = (date(2026, 12, 30), date(2027, 1, 2))
    [m] = render_digest(digest(paper(), days=days))
    assert m.blocks[0]["text"]["text"] == "Daily Papers · 30 Dec 2026 – 02 Jan 2027 (catch-up)"


def test_notice_digest_is_a_short_message() -> None:
    messages = render_digest(
        digest(days=(date(2026, 11, 28),), notice="No Daily Papers on weekends & holidays.")
    )
    assert_valid(messages)
    [m] = messages
    assert [b["type"] for b in m.blocks] == ["header", "section"]
    assert m.blocks[1]["text"]["text"] == "No Daily Papers on weekends &amp; holidays."
    assert m.text == "Daily Papers for Sat 28 Nov 2026: No Daily Papers on weekends &amp; holidays."


def test_big_digest_continues_in_more_messages_with_every_paper_once_in_order() -> None:
    papers = [
        paper(
            f"2411.{i:05d}",
            title=("Title " + "x" * 294),
            summary="abstract " * 556,
            authors=tuple(f"Author {n}" for n in range(40)),
        )
        for i in range(25)
    ]
    messages = render_digest(digest(*papers))
    assert_valid(messages)
    assert len(messages) > 1
    assert paper_ids(messages) == [p.id for p in papers]
    for k, m in enumerate(messages[1:], 2):
        assert m.blocks[0]["type"] == "context"
        assert m.blocks[0]["elements"][0]["text"].startswith(f"(continued, {k}/{len(messages)})")
        assert "(continued" in m.text
    assert messages[0].blocks[0]["type"] == "header"
    footers = [m for m in messages if "top 25 by upvotes" in all_text(m)]
    assert footers == [messages[-1]]


def test_digest_of_many_short_papers_respects_the_block_count() -> None:
    papers = [paper(f"2411.{i:05d}", title="T", summary="", authors=()) for i in range(60)]
    messages = render_digest(digest(*papers))
    assert_valid(messages)
    assert len(messages) == 3
    assert paper_ids(messages) == [p.id for p in papers]


def test_title_with_markup_cannot_break_the_link() -> None:
    p = paper(title="<script>alert(1)</script> a|b & <https://evil.example|click> *x*")
    [m] = render_digest(digest(p))
    assert_valid([m])
    section = m.blocks[1]["text"]["text"]
    label = LINK.match(section[section.index("<") :])
    assert label is not None
    assert label.group(1) == "https://huggingface.co/papers/2411.00001"
    assert label.group(2) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; a∣b &amp; &lt;https://evil.example∣click&gt; ∗x∗"
    )
    assert "<https://evil" not in m.text and "evil.example|click&gt;" in m.text


def test_hostile_links_are_quoted_or_left_out() -> None:
    p = paper(project_page="javascript:alert(1)", github_repo="https://github.com/a/b|c>d e")
    [m] = render_digest(digest(p))
    assert_valid([m])
    section = m.blocks[1]["text"]["text"]
    assert "javascript" not in section and "project page" not in section
    assert "<https://github.com/a/b%7Cc%3Ed%20e|a/b∣c&gt;d e>" in section


def test_worst_case_paper_still_fits_one_section() -> None:
    amp = "&" * 44  # every character escapes to 5; URLs just inside the renderer's link cap
    p = paper(
        amp,
        title="&😀" * 500,
        summary="&" * 5000,
        authors=("&" * 1000,) * 5,
        upvotes=10**15,
        comments=10**15,
        github_repo="https://github.com/" + "&" * 46,
        github_stars=10**15,
        project_page="https://x.org/" + "&" * 47,
        organization="&" * 999,
        thumbnail="https://t.org/" + "x" * 2900,
    )
    for snippet in (None, "**&&&&** " * 1000):
        messages = render_reply(Reply(text="x", hits=(SearchHit(p, snippet),)))
        assert_valid(messages)
        assert messages[0].blocks[-1]["text"]["text"].count("<https://") == 5  # all links kept


def test_thumbnails_are_opt_in_accessories() -> None:
    p = paper(
        thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/x.png",
        title="T" * 400,
    )
    [plain] = render_digest(digest(p))
    [pictured] = render_digest(digest(p), thumbnails=True)
    assert_valid([plain, pictured])
    assert "accessory" not in plain.blocks[1]
    image = pictured.blocks[1]["accessory"]
    assert image["image_url"] == p.thumbnail and image["alt_text"].endswith("…")


def test_escape_handles_the_three_mrkdwn_control_characters() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"


# --- text paperboy did not write -------------------------------------------------------------

SPOOF = "<https://evil.example|arXiv> <!channel> <!here> <@U0001> <#C0001> <!subteam^S1>"
FORMATTING = "*bold* _italic_ ~strike~ `code` ```block``` &amp;"


def constructs(mrkdwn: str) -> list[str]:
    """Every `<…>` Slack would read in mrkdwn: a link, a mention, a channel, a special command."""
    return re.findall(r"<([^<>]*)>", mrkdwn)


def test_links_and_mentions_in_paper_text_stay_text_and_paperboys_links_stay_live() -> None:
    p = paper(
        title=SPOOF, summary=SPOOF, authors=(SPOOF,), organization=SPOOF, github_repo="acme/m"
    )
    [m] = render_digest(digest(p))
    assert_valid([m])
    assert [c.split("|")[0] for c in constructs(all_text(m) + m.text)] == [
        "https://huggingface.co/papers/2411.00001",
        "https://arxiv.org/abs/2411.00001",
        "https://arxiv.org/pdf/2411.00001",
        "https://github.com/acme/m",
        "https://huggingface.co/papers",
    ]


def test_formatting_in_paper_text_cannot_format_the_post() -> None:
    p = paper(title=FORMATTING, summary="> " + FORMATTING, authors=(FORMATTING,))
    [m] = render_digest(digest(p))
    section = m.blocks[1]["text"]["text"]
    title, byline, summary, _links = section.split("\n")
    assert title.startswith("*1. <https://") and title.count("*") == 2  # paperboy's bold only
    assert not any(c in byline + summary for c in "*_~`")
    assert summary.startswith(QUOTE_BREAK + "&gt;")  # not a quote
    assert byline == FORMATTING.replace("&", "&amp;").translate(LOOKALIKES)


def test_an_echoed_query_cannot_mention_or_link() -> None:
    messages = render_alert(Alert(CHANNEL, paper(), matched=(SPOOF, FORMATTING)))
    messages += render_reply(Reply(text=f"No stored paper matches `{SPOOF}`", ok=False))
    assert_valid(messages)
    for m in messages:
        assert all(c.startswith("https://") for c in constructs(all_text(m) + m.text))
    assert messages[0].blocks[0]["text"]["text"] == (
        f"*New paper* · matched: {literal(SPOOF)}, {literal(FORMATTING)}"
    )


def test_every_search_hit_shows_its_daily_papers_day() -> None:
    hits = (SearchHit(paper()), SearchHit(paper("2410.00002", day=date(2024, 10, 25))))
    [m] = render_reply(Reply(text="Top 2", title="Search results", hits=hits))
    firsts = [b["text"]["text"].split("\n")[0] for b in m.blocks if b["type"] == "section"][1:]
    assert [line.rsplit("  · ", 1)[1] for line in firsts] == [
        "Fri 27 Nov 2026",
        "Fri 25 Oct 2024",
    ]


# --- alerts and replies ----------------------------------------------------------------------


def test_alert_says_which_subscriptions_matched() -> None:
    messages = render_alert(Alert(CHANNEL, paper(), matched=("diffusion", "video <hd>")))
    assert_valid(messages)
    [m] = messages
    assert m.blocks[0]["text"]["text"] == "*New paper* · matched: diffusion, video &lt;hd&gt;"
    assert paper_ids(messages) == ["2411.00001"]
    assert "<https://arxiv.org/abs/2411.00001|arXiv>" in m.blocks[1]["text"]["text"]
    assert m.text == "New paper matching diffusion, video &lt;hd&gt;: Video diffusion at scale"


def test_reply_converts_snippet_marks_to_slack_bold() -> None:
    hit = SearchHit(paper(), snippet="…we **scale** video <generation> & **diffusion** models…")
    reply = Reply(text="Top 1 results for `diffusion`", title="Search results", hits=(hit,))
    messages = render_reply(reply)
    assert_valid(messages)
    [m] = messages
    assert m.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Search results", "emoji": True},
    }
    assert m.blocks[1]["text"]["text"] == "Top 1 results for `diffusion`"
    section = m.blocks[3]["text"]["text"]
    assert "…we *scale* video &lt;generation&gt; &amp; *diffusion* models…" in section
    assert "We scale video generation." not in section
    assert m.text == "Search results: Top 1 results for `diffusion`"


def test_error_reply_starts_with_a_warning() -> None:
    messages = render_reply(Reply(text="Unknown command `foo`. Try `/papers help`.", ok=False))
    assert_valid(messages)
    [m] = messages
    assert m.blocks[0]["text"]["text"] == (":warning: Unknown command `foo`. Try `/papers help`.")
    assert m.text.startswith(":warning:")


def test_long_reply_is_split_at_line_boundaries_never_cut() -> None:
    lines = [f"{n}. `/papers subscribe <query>` " + "x" * 60 for n in range(600)]
    messages = render_reply(Reply(text="\n".join(lines), title="Help"))
    assert_valid(messages)
    assert len(messages) > 1
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert "\n".join(sections) == escape("\n".join(lines))


# --- properties ------------------------------------------------------------------------------

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
TEXT = st.lists(st.one_of(st.characters(exclude_categories=["Cs"]), NASTY), max_size=30).map(
    "".join
)
LONG = st.builds(lambda s, n: s * n, TEXT, st.integers(1, 400))
FIELD = st.one_of(TEXT, LONG)


papers = hostile_papers(FIELD)


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


def assert_unformatted(section: str, bold: int = 0) -> None:
    """A paper section formats only what paperboy formats: its title bold (and `bold` marked
    snippet words); no quote."""
    shown = re.sub(r"<https?://[^|>]*\|", "<", section)  # URLs may hold `_` and `~`
    assert shown.count("*") == 2 + 2 * bold, section
    assert not any(c in shown for c in "_~`"), section
    assert not any(line.startswith("&gt;") for line in section.splitlines()), section


PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(st.integers(1, 25).flatmap(papers), st.integers(1, 4), st.booleans())
def test_any_digest_renders_valid_messages_with_every_paper_once_in_order(
    ps: list[Paper], span: int, thumbnails: bool
) -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(span - 1, -1, -1))
    messages = render_digest(digest(*ps, days=days), thumbnails=thumbnails)
    assert_valid(messages)
    assert paper_ids(messages) == [p.id for p in ps]
    assert_no_spoofing(messages, ps)
    for m in messages:
        for b in m.blocks:
            if b["type"] == "section" and PAPER_LINK.search(b["text"]["text"]):
                assert_unformatted(b["text"]["text"])


@PROPERTY
@given(
    st.integers(0, 10).flatmap(papers),
    st.lists(st.one_of(st.none(), FIELD), max_size=10),
    FIELD,
    st.one_of(st.none(), FIELD),
    st.booleans(),
)
def test_any_reply_renders_valid_messages_keeping_all_its_text(
    ps: list[Paper], snippets: list[str | None], text: str, title: str | None, ok: bool
) -> None:
    hits = tuple(SearchHit(p, s) for p, s in zip(ps, snippets + [None] * len(ps), strict=False))
    messages = render_reply(Reply(text=text, hits=hits, title=title, ok=ok))
    assert_valid(messages)
    assert paper_ids(messages) == [p.id for p in ps]
    assert_no_spoofing(messages, ps)
    kept = "".join(
        b["text"]["text"]
        for m in messages
        for b in m.blocks
        if b["type"] == "section" and not PAPER_LINK.search(b["text"]["text"])
    )
    assert "".join(escape(text).split()) in "".join(kept.split())
    if not ok:
        assert messages[0].blocks[0]["text"]["text"].startswith(":warning:")


@PROPERTY
@given(papers(1), st.lists(FIELD, min_size=1, max_size=30))
def test_any_alert_renders_one_valid_message(ps: list[Paper], matched: list[str]) -> None:
    messages = render_alert(Alert(CHANNEL, ps[0], tuple(matched)))
    assert_valid(messages)
    assert paper_ids(messages) == [ps[0].id]
    assert_no_spoofing(messages, ps)
    assert_unformatted(messages[0].blocks[0]["text"]["text"])  # `*New paper*` is the bold


@pytest.mark.parametrize("count", [1, 10, 25])
def test_digest_sizes_used_in_practice_fit_expected_messages(count: int) -> None:
    ps = [paper(f"2411.{i:05d}", summary="An abstract sentence. " * 100) for i in range(count)]
    messages = render_digest(digest(*ps))
    assert_valid(messages)
    assert len(messages) == (1 if count <= 10 else 2)
