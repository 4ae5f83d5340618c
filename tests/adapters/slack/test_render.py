"""The Slack renderers: every message is one Slack accepts, and no paper or reply line is lost.
(The compact layout, the controls, edits and climbers: test_render_compact.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.actions import LABELS, NOTIFY, command_text, notify_id
from adapters.slack.mrkdwn import LOOKALIKES, QUOTE_BREAK, escape, literal
from adapters.slack.render import (
    SUMMARY_CHARS,
    render_alert,
    render_digest,
    render_direct,
    render_mention,
    render_reply,
)
from bot.domain import (
    UNDO_EXTRA,
    Alert,
    DirectMessage,
    Layout,
    Mention,
    Paper,
    Reply,
    SearchHit,
    direct_channel,
)
from tests.adapters import paper
from tests.adapters.render_checks import days_to_friday, long_papers, replies
from tests.adapters.slack.render_checks import (
    CHANNEL,
    FIELD,
    LINK,
    PAPER_LINK,
    PROPERTY,
    all_text,
    assert_no_spoofing,
    assert_unformatted,
    assert_valid,
    constructs,
    digest,
    paper_ids,
    papers,
)
from tests.fakes.slack_blocks import validate_message

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
    assert m.blocks[2] == {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
             "action_id": f"pb:{action}:2411.00001", "value": f"pb:{action}:2411.00001"}
            for label, action in (("🔖 Save", "save"), ("🙅 Not relevant", "not-relevant"),
                                  ("➕ More like this", "more-like"))
        ],
    }  # fmt: skip
    assert m.blocks[3] == {"type": "divider"}
    assert m.blocks[4]["text"]["text"].startswith("*2. <https://huggingface.co/papers/2411.00002|")
    assert m.blocks[5]["elements"][0]["value"] == "pb:save:2411.00002"
    assert m.blocks[-1]["type"] == "context"
    assert m.blocks[-1]["elements"][0]["text"].startswith("top 2 by upvotes · via <")
    assert m.text == "Daily Papers for Fri 27 Nov 2026: 2 papers — top: Video diffusion at scale"


def test_digest_prefers_ai_summary_and_clips_a_long_abstract_at_a_word() -> None:
    short = paper(ai_summary="A one-line AI summary.", summary="word " * 2000)
    empty_ai = paper("2411.00002", ai_summary="", summary="word " * 2000)
    [m] = render_digest(digest(short, empty_ai))
    first, second = m.blocks[1]["text"]["text"], m.blocks[4]["text"]["text"]
    assert "A one-line AI summary." in first and "word word" not in first
    body = next(line for line in second.splitlines() if line.startswith("word"))
    assert body.endswith("word…") and len(body) <= SUMMARY_CHARS


def test_catch_up_digest_names_its_range() -> None:
    [m] = render_digest(digest(paper(), days=days_to_friday(5)))
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
    papers = long_papers(25)
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
    # a paper is a divider, its section and its buttons: 16 in the first message, 16 after
    assert [len(m.blocks) for m in messages] == [48, 48, 48, 37]
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
    assert messages[0].blocks[0]["text"]["text"].split("\n")[0] == (
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


def test_a_full_alert_is_the_matched_line_the_card_and_its_buttons() -> None:
    alert = Alert(CHANNEL, paper(), matched=("diffusion", "video <hd>"), layout=Layout.FULL)
    messages = render_alert(alert)
    assert_valid(messages)
    [m] = messages
    assert [b["type"] for b in m.blocks] == ["section", "section", "actions"]
    assert m.blocks[0]["text"]["text"] == "*New paper* · matched: diffusion, video &lt;hd&gt;"
    assert paper_ids(messages) == ["2411.00001"]
    assert "<https://arxiv.org/abs/2411.00001|arXiv>" in m.blocks[1]["text"]["text"]
    assert [e["value"] for e in m.blocks[2]["elements"]] == [
        "pb:save:2411.00001", "pb:not-relevant:2411.00001", "pb:more-like:2411.00001",
    ]  # fmt: skip
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


@PROPERTY
@given(st.integers(1, 25).flatmap(papers), st.integers(1, 4).map(days_to_friday), st.booleans())
def test_any_full_digest_renders_valid_messages_with_every_paper_once_in_order(
    ps: list[Paper], days: tuple[date, ...], thumbnails: bool
) -> None:
    messages = render_digest(digest(*ps, days=days), thumbnails=thumbnails)
    assert_valid(messages)
    assert paper_ids(messages) == [p.id for p in ps]
    assert_no_spoofing(messages, ps)
    for m in messages:
        for b in m.blocks:
            if b["type"] == "section" and PAPER_LINK.search(b["text"]["text"]):
                assert_unformatted(b["text"]["text"])


@PROPERTY
@given(replies(papers, FIELD, 10))
def test_any_reply_renders_valid_messages_keeping_all_its_text(reply: Reply) -> None:
    ps, undo = [h.paper for h in reply.hits], reply.extra.get(UNDO_EXTRA)
    messages = render_reply(reply)
    assert_valid(messages)
    buttons = [e["value"] for m in messages for b in m.blocks if b["type"] == "actions"
               for e in b["elements"]]  # fmt: skip
    assert buttons == ([] if undo is None else [f"pb:undo:{undo}"])
    assert undo is None or messages[-1].blocks[-1]["type"] == "actions"
    assert paper_ids(messages) == [p.id for p in ps]
    assert_no_spoofing(messages, ps)
    kept = "".join(
        b["text"]["text"]
        for m in messages
        for b in m.blocks
        if b["type"] == "section" and not PAPER_LINK.search(b["text"]["text"])
    )
    # a ``` block split across sections is closed and opened again at each split
    assert "".join(escape(reply.text).replace("```", "").split()) in "".join(
        kept.replace("```", "").split()
    )
    if not reply.ok:
        assert messages[0].blocks[0]["text"]["text"].startswith(":warning:")


@PROPERTY
@given(papers(1), st.lists(FIELD, min_size=1, max_size=30), st.sampled_from(Layout))
def test_any_alert_renders_one_valid_message(
    ps: list[Paper], matched: list[str], layout: Layout
) -> None:
    messages = render_alert(Alert(CHANNEL, ps[0], tuple(matched), layout=layout))
    assert_valid(messages)
    [m] = messages
    assert paper_ids(messages) == [ps[0].id]
    assert_no_spoofing(messages, ps)
    assert m.blocks[-1]["type"] == "actions"
    if layout is Layout.FULL:
        assert_unformatted(m.blocks[0]["text"]["text"])  # `*New paper*` is the bold
    else:  # one section: `*New paper*` and the title bold, the tags in italics
        assert_unformatted(m.blocks[0]["text"]["text"], bold=1, tags=True)


@pytest.mark.parametrize("count, full, compact", [(1, 1, 2), (10, 1, 2), (25, 2, 3)])
def test_digest_sizes_used_in_practice_fit_expected_messages(
    count: int, full: int, compact: int
) -> None:
    ps = [paper(f"2411.{i:05d}", summary="An abstract sentence. " * 100) for i in range(count)]
    messages = render_digest(digest(*ps))
    assert_valid(messages)
    assert len(messages) == full
    compact_messages = render_digest(digest(*ps, layout=Layout.COMPACT))
    assert_valid(compact_messages)
    assert len(compact_messages) == compact  # the list, then the details in its thread


# --- Notify me too, a person's own matches ---------------------------------------------------


@pytest.mark.parametrize("layout", [Layout.FULL, Layout.COMPACT])
def test_an_alert_shows_notify_me_too_following_its_subscriptions(layout: Layout) -> None:
    alert = Alert(CHANNEL, paper(), ("diffusion", "video"), layout=layout, subscriptions=(12, 13))
    messages = render_alert(alert)
    assert_valid(messages)
    [m] = messages
    [actions] = [b for b in m.blocks if b["type"] == "actions"]
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]][-1] == (
        LABELS[NOTIFY],
        notify_id((12, 13)),
    )
    assert command_text(actions["elements"][-1]["value"]) == "mine follow 12 13"
    assert len(actions["elements"]) == 4  # after the paper's three buttons
    plain = render_alert(replace(alert, subscriptions=()))
    assert LABELS[NOTIFY] not in str(plain[0].blocks)


def test_a_direct_message_is_the_full_card_without_buttons() -> None:
    dm = DirectMessage(
        direct_channel("slack", "T0001", "U0001"), "U0001", paper(), ("diffusion",), CHANNEL
    )
    messages = render_direct(dm)
    assert_valid(messages)
    [m] = messages
    assert [b["type"] for b in m.blocks] == ["section", "section"]
    assert m.blocks[0]["text"]["text"] == "*For you* · matched: diffusion"
    assert paper_ids(messages) == ["2411.00001"] and "<@" not in m.text


def test_a_mention_names_the_person_first_then_why_and_the_card() -> None:
    mention = Mention(CHANNEL, "U0001", paper(), ("diffusion",), thread="1796000000.000100")
    [m] = render_mention(mention)
    assert m.text.startswith("<@U0001> For you matching diffusion: ")
    first = m.blocks[0]["text"]["text"]
    assert first.startswith("<@U0001> Direct messages from paperboy don")
    assert [b["type"] for b in m.blocks] == ["section", "section", "section"]
    assert paper_ids([m]) == ["2411.00001"]
    # Valid for Slack (the fake's checks); only the person is mentioned, nothing else.
    assert (
        validate_message({"channel": CHANNEL.channel, "text": m.text, "blocks": m.blocks}) is None
    )
    assert [c for c in constructs(all_text(m) + m.text) if not c.startswith("https://")] == [
        "@U0001",
        "@U0001",
    ]
    # Not a Slack user id: nobody is mentioned (and nothing is linked).
    [forged] = render_mention(replace(mention, user="U1> <!channel"))
    assert not [c for c in constructs(all_text(forged) + forged.text) if "!" in c or "@" in c]
