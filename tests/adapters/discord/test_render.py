"""The Discord renderers: every message is one Discord accepts, and no paper or reply line is
lost."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.discord import limits
from adapters.discord.markdown import plain
from adapters.discord.render import (
    SUMMARY_CHARS,
    DiscordMessage,
    render_alert,
    render_digest,
    render_direct,
    render_mention,
    render_reply,
    thread_name,
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
from tests.adapters.discord.discord_markdown import links, markup, mentions, shown
from tests.adapters.discord.render_checks import (
    CHANNEL,
    FIELD,
    PAPER_URL,
    PROPERTY,
    assert_no_spoofing,
    assert_numbered,
    assert_valid,
    digest,
    fields,
    marked_down,
    paper_ids,
    papers,
    select_values,
)
from tests.adapters.render_checks import days_to_friday, long_papers, replies

FULL = Layout.FULL


# --- digests ---------------------------------------------------------------------------------


def test_digest_has_a_header_and_one_embed_per_paper() -> None:
    p = paper(
        organization="Acme AI",
        github_repo="https://github.com/acme/vidiff",
        github_stars=4321,
        project_page="https://acme.ai/vidiff",
        thumbnail="https://cdn-thumbnails.huggingface.co/papers/x.png",
    )
    messages = render_digest(digest(p, paper("2411.00002", title="Agents that plan")))
    assert_valid(messages)
    [m] = messages
    assert m.content == "**Daily Papers · Fri 27 Nov 2026** — top 2 by upvotes"
    first = m.embeds[0].to_dict()
    assert first["title"] == "1. Video diffusion at scale"
    assert first["url"] == "https://huggingface.co/papers/2411.00001"
    assert first["description"] == "We scale video generation."
    assert first["thumbnail"] == {"url": p.thumbnail}
    assert first["footer"] == {"text": "Daily Papers · Fri 27 Nov 2026"}
    assert first["color"] == 0xFFD21E
    assert [(f["name"], f["value"], f["inline"]) for f in first["fields"]] == [
        ("▲ Upvotes", "1,234", True),
        ("💬 Comments", "5", True),
        ("Authors", "Ada Lovelace, Alan Turing, Grace Hopper, et al. · Acme AI", True),
        (
            "Links",
            "[arXiv](https://arxiv.org/abs/2411.00001) · [PDF](https://arxiv.org/pdf/"
            "2411.00001) · [acme/vidiff](https://github.com/acme/vidiff) ★4,321 · "
            "[project page](https://acme.ai/vidiff)",
            False,
        ),
    ]
    assert m.embeds[1].title == "2. Agents that plan"
    assert "thumbnail" not in m.embeds[1].to_dict()


def test_digest_prefers_ai_summary_and_clips_a_long_abstract_at_a_word() -> None:
    short = paper(ai_summary="A one-line AI summary.", summary="word " * 2000)
    empty_ai = paper("2411.00002", ai_summary="", summary="word " * 2000)
    [m] = render_digest(digest(short, empty_ai))
    assert m.embeds[0].description == "A one-line AI summary."
    body = m.embeds[1].description or ""
    assert body.endswith("word…") and len(body) <= SUMMARY_CHARS
    assert "wor…" not in body


def test_user_markdown_is_escaped_in_titles_descriptions_and_fields() -> None:
    p = paper(
        title="*Bold* _claims_",
        summary="Use `x` and **y** | z_1 ~w~ [a](https://b.c)",
        authors=("Ma*rk", "@everyone"),
    )
    [m] = render_digest(digest(p))
    e = m.embeds[0]
    assert e.title == r"1. \*Bold\* \_claims\_"
    assert e.description == r"Use \`x\` and \*\*y\*\* \| z\_1 \~w\~ \[a\](https\://b.c)"
    assert fields(e)["Authors"] == r"Ma\*rk, \@everyone"


SPOOF = "[a](x) and [b](https://evil.example) <@100000000000000001> @everyone"


def test_spoofed_links_and_mentions_in_paper_text_stay_text_and_paperboys_links_stay_live() -> None:
    p = paper(
        title=SPOOF,
        summary=SPOOF,
        authors=(SPOOF,),
        organization=SPOOF,
        github_repo="acme/model",
        project_page="https://acme.ai",
    )
    [m] = render_digest(digest(p))
    found = [link for text in marked_down(m) for link in links(text)]
    assert found == [
        "https://arxiv.org/abs/2411.00001",
        "https://arxiv.org/pdf/2411.00001",
        "https://github.com/acme/model",
        "https://acme.ai",
    ]
    assert not any(mentions(text) for text in marked_down(m))
    e = m.embeds[0]
    assert shown(e.title or "") == f"1. {SPOOF}" and shown(e.description or "") == SPOOF


def test_spoofed_links_in_a_snippet_and_an_echoed_query_stay_text() -> None:
    hit = SearchHit(paper(), snippet=f"**{SPOOF}** and {SPOOF}")
    reply = Reply(
        text=f"count must be a whole number, not '{SPOOF}'. Usage: `today [count]`",
        title=SPOOF,
        hits=(hit,),
    )
    messages = render_reply(reply) + render_alert(Alert(CHANNEL, paper(), (SPOOF,), FULL))
    assert_valid(messages)
    for m in messages:
        for text in marked_down(m):
            assert all(not link.startswith("https://evil") for link in links(text)), text
            assert mentions(text) == [], text
    assert messages[0].content.endswith("Usage: `today [count]`")
    assert shown(messages[-1].content) == f"New paper · matched: {SPOOF}"


def test_a_mention_mentions_only_its_person_and_a_dm_nobody() -> None:
    spoofed = replace(paper(), title=SPOOF, summary=SPOOF)
    dm = DirectMessage(direct_channel("discord", "1", "42"), "42", spoofed, (SPOOF,), CHANNEL)
    mention = Mention(CHANNEL, "42", spoofed, (SPOOF,), None)
    direct, mentioned = render_direct(dm), render_mention(mention)
    assert_valid(direct + mentioned)
    assert all(mentions(t) == [] for m in direct for t in marked_down(m))
    assert [x for m in mentioned for t in marked_down(m) for x in mentions(t)] == ["<@42>"]
    assert mentioned[0].mention == "42" and all(m.mention is None for m in direct)


def test_every_search_hit_shows_its_daily_papers_day() -> None:
    hits = (SearchHit(paper()), SearchHit(paper("2410.00002", day=date(2024, 10, 25))))
    [m] = render_reply(Reply(text="Top 2", title="Search results", hits=hits))
    assert [e.footer.text for e in m.embeds] == [
        "Daily Papers · Fri 27 Nov 2026",
        "Daily Papers · Fri 25 Oct 2024",
    ]


def test_catch_up_digest_names_its_range() -> None:
    [m] = render_digest(digest(paper(), days=days_to_friday(5)))
    assert m.content == ("**Daily Papers · 23 Nov – 27 Nov 2026 (catch-up)** — top 1 by upvotes")


def test_catch_up_across_new_year_names_both_years() -> None:
    days = (date(2026, 12, 30), date(2027, 1, 2))
    [m] = render_digest(digest(paper(), days=days))
    assert m.content.startswith("**Daily Papers · 30 Dec 2026 – 02 Jan 2027 (catch-up)**")


def test_notice_digest_is_content_only() -> None:
    messages = render_digest(
        digest(days=(date(2026, 11, 28),), notice="No Daily Papers on weekends & holidays.")
    )
    assert_valid(messages)
    assert messages == [
        DiscordMessage(
            "**Daily Papers · Sat 28 Nov 2026**\nNo Daily Papers on weekends & holidays.", []
        )
    ]


def test_big_digest_continues_in_more_messages_with_every_paper_once_in_order() -> None:
    papers = long_papers(25)
    messages = render_digest(digest(*papers))
    assert_valid(messages)
    assert len(messages) > 1
    assert paper_ids(messages) == [p.id for p in papers]
    assert_numbered(messages)
    assert messages[0].content.endswith("— top 25 by upvotes")
    assert all(m.content.endswith("· Daily Papers · Fri 27 Nov 2026") for m in messages[1:])
    assert all(len(e.title or "") == limits.EMBED_TITLE_MAX for m in messages for e in m.embeds)


def test_digest_of_many_small_papers_respects_ten_embeds_a_message() -> None:
    papers = [paper(f"2411.{i:05d}", title="T", summary="", authors=()) for i in range(25)]
    messages = render_digest(digest(*papers))
    assert_valid(messages)
    assert [len(m.embeds) for m in messages] == [10, 10, 5]
    assert paper_ids(messages) == [p.id for p in papers]
    assert_numbered(messages)


def test_hostile_links_are_quoted_or_left_out() -> None:
    p = paper(
        project_page="javascript:alert(1)",
        github_repo="https://github.com/a/b](c) d",
        thumbnail="ftp://x.org/a.png",
    )
    [m] = render_digest(digest(p))
    assert_valid([m])
    links = fields(m.embeds[0])["Links"]
    assert "javascript" not in links and "project page" not in links
    assert "[a/b)(c) d](https://github.com/a/b%5D%28c%29%20d)" in links
    assert "thumbnail" not in m.embeds[0].to_dict()


def test_thread_name_fits_discord() -> None:
    assert thread_name(digest(paper())) == "Daily Papers · Fri 27 Nov 2026"
    days = tuple(date(2000, 1, 1) + timedelta(days=n) for n in range(0, 9000, 30))
    assert len(thread_name(digest(paper(), days=days))) <= limits.THREAD_NAME_MAX


# --- alerts and replies ----------------------------------------------------------------------


def test_alert_says_which_subscriptions_matched() -> None:
    messages = render_alert(Alert(CHANNEL, paper(), ("diffusion", "video"), FULL))
    assert_valid(messages)
    [m] = messages
    assert m.content == "New paper · matched: diffusion, video"
    assert paper_ids(messages) == ["2411.00001"]
    assert m.embeds[0].title == "Video diffusion at scale"


def test_alert_defuses_markdown_and_mentions_in_queries() -> None:
    [m] = render_alert(Alert(CHANNEL, paper(), matched=("@everyone", "a_b*")))
    assert m.content == "New paper · matched: \\@everyone, a\\_b\\*"


def test_reply_keeps_snippet_bold_and_escapes_the_rest() -> None:
    hit = SearchHit(paper(), snippet="…we **scale** video_gen *x* & **diffusion** models…")
    reply = Reply(text="Top 1 results for `diffusion`", title="Search results", hits=(hit,))
    messages = render_reply(reply)
    assert_valid(messages)
    [m] = messages
    assert m.content == "**Search results**\nTop 1 results for `diffusion`"
    assert m.embeds[0].title == "1. Video diffusion at scale"
    assert m.embeds[0].description == r"…we **scale** video\_gen \*x\* & **diffusion** models…"


def test_error_reply_starts_with_a_warning() -> None:
    messages = render_reply(Reply(text="Unknown command `foo`. Try `/papers help`.", ok=False))
    assert_valid(messages)
    assert messages == [DiscordMessage("⚠️ Unknown command `foo`. Try `/papers help`.", [])]


def test_long_reply_is_split_at_line_boundaries_never_cut() -> None:
    lines = [f"{n}. `/papers subscribe <query>` " + "x" * 60 for n in range(600)]
    messages = render_reply(Reply(text="\n".join(lines), title="Help"))
    assert_valid(messages)
    assert len(messages) > 1
    assert_numbered(messages)
    assert messages[0].content.startswith("**Help**\n")
    kept = [m.content.split("\n", 1)[1] for m in messages]
    assert shown("\n".join(kept)) == "\n".join(lines)


def test_reply_with_many_hits_continues_after_its_text() -> None:
    hits = tuple(SearchHit(paper(f"2411.{i:05d}", summary="word " * 500)) for i in range(12))
    messages = render_reply(Reply(text="Top 12", title="Search results", hits=hits))
    assert_valid(messages)
    assert paper_ids(messages) == [h.paper.id for h in hits]
    assert_numbered(messages)
    assert messages[0].content == "**Search results**\nTop 12"


# --- properties ------------------------------------------------------------------------------


def assert_links_live(messages: list[DiscordMessage]) -> None:
    """Each paper card's arXiv and PDF links live."""
    for e in (e for m in messages for e in m.embeds):
        pid = PAPER_URL.fullmatch(e.url or "")
        assert pid is not None
        arxiv, pdf = f"https://arxiv.org/abs/{pid[1]}", f"https://arxiv.org/pdf/{pid[1]}"
        assert links(fields(e)["Links"])[:2] == [arxiv, pdf]


@PROPERTY
@given(st.integers(1, 30).flatmap(papers), st.integers(1, 4).map(days_to_friday))
def test_any_digest_renders_valid_messages_with_every_paper_once_in_order(
    ps: list[Paper], days: tuple[date, ...]
) -> None:
    messages = render_digest(digest(*ps, days=days))
    assert_valid(messages)
    assert paper_ids(messages) == [p.id for p in ps]
    assert_numbered(messages)
    assert_no_spoofing(messages, ps)
    assert_links_live(messages)
    for m in messages:  # each message's three selects offer exactly its own papers
        assert select_values(m) == [paper_ids([m])] * 3
    for e in (e for m in messages for e in m.embeds):
        title = re.sub(r"^\d+\. ", "", e.title or "")  # the rank is paperboy's
        assert (
            markup(title)
            == markup(e.description or "")
            == markup(fields(e).get("Authors", ""))
            == []
        )


@PROPERTY
@given(FIELD, st.integers(1, 4).map(days_to_friday))
def test_any_notice_digest_renders_valid_content_only_messages(
    notice: str, days: tuple[date, ...]
) -> None:
    messages = render_digest(digest(days=days, notice=notice))
    assert_valid(messages)
    assert all(not m.embeds for m in messages)


@PROPERTY
@given(replies(papers, FIELD, 12))
def test_any_reply_renders_valid_messages_keeping_all_its_text(reply: Reply) -> None:
    ps, undo = [h.paper for h in reply.hits], reply.extra.get(UNDO_EXTRA)
    messages = render_reply(reply)
    assert_valid(messages)
    undo_rows = [m.components for m in messages if m.components]
    assert undo_rows == ([] if undo is None else [messages[-1].components])
    assert paper_ids(messages) == [p.id for p in ps]
    assert_numbered(messages)
    assert_no_spoofing(messages, ps)
    contents = [messages[0].content] + [m.content.partition("\n")[2] for m in messages[1:]]
    kept = "".join(shown(c) for c in contents)
    # A code block cut in two is closed and opened again: its fences are paperboy's.
    assert unfenced(plain(reply.text)) in unfenced(kept)
    if not reply.ok:
        assert messages[0].content.startswith("⚠️ ")


def unfenced(text: str) -> str:
    """`text` without whitespace and without ``` fences."""
    return "".join(text.split()).replace("```", "")


@PROPERTY
@given(papers(1), st.lists(FIELD, min_size=1, max_size=30), st.sampled_from(Layout))
def test_any_alert_renders_one_valid_message_with_its_buttons(
    ps: list[Paper], matched: list[str], layout: Layout
) -> None:
    messages = render_alert(Alert(CHANNEL, ps[0], tuple(matched), layout))
    assert_valid(messages)
    assert paper_ids(messages) == [ps[0].id]
    assert messages[0].content.startswith("New paper · matched: ")
    assert_no_spoofing(messages, ps)
    if layout is FULL:
        assert_links_live(messages)
    assert markup(messages[0].content) == []
    [row] = messages[-1].components
    assert [b["custom_id"] for b in row["components"]] == [
        f"pb:{action}:{ps[0].id}" for action in ("save", "not-relevant", "more-like")
    ]


# A paper shows its abstract's first sentence: ten short ones share a message, and only
# abstracts of one long sentence (clipped to SUMMARY_CHARS) spill ten papers into two.
@pytest.mark.parametrize(
    ("count", "summary", "expected"),
    [
        (1, "An abstract sentence. " * 100, 1),
        (5, "An abstract sentence. " * 100, 1),
        (10, "An abstract sentence. " * 100, 1),
        (25, "An abstract sentence. " * 100, 3),
        (10, "an abstract clause, " * 100, 2),
        (25, "an abstract clause, " * 100, 5),
    ],
)
def test_digest_sizes_used_in_practice_fit_expected_messages(
    count: int, summary: str, expected: int
) -> None:
    ps = [
        paper(
            f"2411.{i:05d}",
            summary=summary,
            github_repo="acme/model",
            project_page="https://acme.ai/model",
        )
        for i in range(count)
    ]
    messages = render_digest(digest(*ps))
    assert_valid(messages)
    assert len(messages) == expected
