"""The Discord renderers: every message is one Discord accepts, and no paper or reply line is
lost."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import unquote

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import limits
from adapters.discord.render import (
    SUMMARY_CHARS,
    DiscordMessage,
    render_alert,
    render_digest,
    render_reply,
    thread_name,
)
from bot.domain import Alert, ChannelRef, Digest, Paper, Reply, SearchHit
from tests.adapters import FRIDAY, hostile_papers, paper, paper_links
from tests.adapters.discord.discord_markdown import links, markup, mentions, shown
from tests.fakes.discord_validate import validate_message

CHANNEL = ChannelRef("discord", "100000000000000001", "200000000000000002")
PAPER_URL = re.compile(r"https://huggingface\.co/papers/(.+)")
CONTINUED = re.compile(r"\(continued, (\d+)/(\d+)\)")


# --- the validity helper ---------------------------------------------------------------------


def units(text: str) -> int:
    """UTF-16 code units: at least the code point count Discord and `len(embed)` use."""
    return len(text.encode("utf-16-le")) // 2


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


def assert_valid(messages: list[DiscordMessage]) -> None:
    """Create Message's checks (docs/reference/discord.md §2), plus the strict fake's."""
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
        payload = {"content": m.content, "embeds": [e.to_dict() for e in m.embeds]}
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


# --- fixtures --------------------------------------------------------------------------------


def digest(
    *papers: Paper,
    days: tuple[date, ...] = (FRIDAY,),
    notice: str | None = None,
) -> Digest:
    return Digest(channel=CHANNEL, days=days, papers=papers, notice=notice)


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


def marked_down(message: DiscordMessage) -> list[str]:
    """Every text of a message a Discord client reads as markdown."""
    texts = [message.content]
    for e in message.embeds:
        texts += [e.title or "", e.description or ""]
        texts += [s or "" for f in e.fields for s in (f.name, f.value)]
    return texts


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
    messages = render_reply(reply) + render_alert(Alert(CHANNEL, paper(), matched=(SPOOF,)))
    assert_valid(messages)
    for m in messages:
        for text in marked_down(m):
            assert all(not link.startswith("https://evil") for link in links(text)), text
            assert mentions(text) == [], text
    assert messages[0].content.endswith("Usage: `today [count]`")
    assert shown(messages[-1].content) == f"New paper · matched: {SPOOF}"


def test_every_search_hit_shows_its_daily_papers_day() -> None:
    hits = (SearchHit(paper()), SearchHit(paper("2410.00002", day=date(2024, 10, 25))))
    [m] = render_reply(Reply(text="Top 2", title="Search results", hits=hits))
    assert [e.footer.text for e in m.embeds] == [
        "Daily Papers · Fri 27 Nov 2026",
        "Daily Papers · Fri 25 Oct 2024",
    ]


def test_catch_up_digest_names_its_range() -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(4, -1, -1))
    [m] = render_digest(digest(paper(), days=days))
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
    papers = [
        paper(
            f"2411.{i:05d}",
            title="Title " + "x" * 294,
            summary="abstract " * 556,
            authors=tuple(f"Author {n}" for n in range(40)),
        )
        for i in range(25)
    ]
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
    messages = render_alert(Alert(CHANNEL, paper(), matched=("diffusion", "video")))
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
TEXT = st.lists(st.one_of(st.characters(codec="utf-8"), NASTY), max_size=30).map("".join)
LONG = st.builds(lambda s, n: s * n, TEXT, st.integers(1, 400))
FIELD = st.one_of(TEXT, LONG)


papers = hostile_papers(FIELD)


def assert_no_spoofing(messages: list[DiscordMessage], ps: list[Paper]) -> None:
    """No link but paperboy's and no mention, anywhere Discord reads markdown; each paper's
    arXiv and PDF links live."""
    allowed = paper_links(ps)
    for m in messages:
        for text in marked_down(m):
            assert mentions(text) == [], text
            assert {unquote(link) for link in links(text)} <= allowed, text
        for e in m.embeds:
            pid = PAPER_URL.fullmatch(e.url or "")
            assert pid is not None
            arxiv, pdf = f"https://arxiv.org/abs/{pid[1]}", f"https://arxiv.org/pdf/{pid[1]}"
            assert links(fields(e)["Links"])[:2] == [arxiv, pdf]


PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(st.integers(1, 30).flatmap(papers), st.integers(1, 4))
def test_any_digest_renders_valid_messages_with_every_paper_once_in_order(
    ps: list[Paper], span: int
) -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(span - 1, -1, -1))
    messages = render_digest(digest(*ps, days=days))
    assert_valid(messages)
    assert paper_ids(messages) == [p.id for p in ps]
    assert_numbered(messages)
    assert_no_spoofing(messages, ps)
    for e in (e for m in messages for e in m.embeds):
        title = re.sub(r"^\d+\. ", "", e.title or "")  # the rank is paperboy's
        assert (
            markup(title)
            == markup(e.description or "")
            == markup(fields(e).get("Authors", ""))
            == []
        )


@PROPERTY
@given(FIELD, st.integers(1, 4))
def test_any_notice_digest_renders_valid_content_only_messages(notice: str, span: int) -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(span - 1, -1, -1))
    messages = render_digest(digest(days=days, notice=notice))
    assert_valid(messages)
    assert all(not m.embeds for m in messages)


@PROPERTY
@given(
    st.integers(0, 12).flatmap(papers),
    st.lists(st.one_of(st.none(), FIELD), max_size=12),
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
    assert_numbered(messages)
    assert_no_spoofing(messages, ps)
    contents = [messages[0].content] + [m.content.partition("\n")[2] for m in messages[1:]]
    kept = "".join(shown(c) for c in contents)
    assert "".join(text.split()) in "".join(kept.split())
    if not ok:
        assert messages[0].content.startswith("⚠️ ")


@PROPERTY
@given(papers(1), st.lists(FIELD, min_size=1, max_size=30))
def test_any_alert_renders_one_valid_message(ps: list[Paper], matched: list[str]) -> None:
    messages = render_alert(Alert(CHANNEL, ps[0], tuple(matched)))
    assert_valid(messages)
    assert paper_ids(messages) == [ps[0].id]
    assert messages[0].content.startswith("New paper · matched: ")
    assert_no_spoofing(messages, ps)
    assert markup(messages[0].content) == []


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
