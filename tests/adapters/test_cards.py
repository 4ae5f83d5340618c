"""The presentation model: what a post shows for a paper, decided once, and the same facts on
Slack, Discord and the console."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from adapters.cards import (
    Link,
    alert_view,
    digest_view,
    first_sentence,
    paper_card,
    reply_view,
    sentences,
)
from adapters.console import render as console
from adapters.discord import render as discord
from adapters.slack import render as slack
from adapters.text import one_line
from bot.domain import Alert, ChannelRef, Digest, Layout, Paper, Reply, SearchHit
from tests.adapters import FRIDAY
from tests.adapters import paper as sample_paper
from tests.helpers import make_paper

CHANNEL = ChannelRef("slack", "T0001", "C0001")


def paper(pid: str = "2411.00001", **extra: Any) -> Paper:
    return sample_paper(pid, **{"summary": "We scale video. It works.", **extra})


# --- the summary -----------------------------------------------------------------------------


def test_the_summary_is_the_ai_summary_when_there_is_one() -> None:
    card = paper_card(paper(ai_summary="  A one-line\nAI summary.  "))
    assert card.summary == "A one-line AI summary."


def test_the_summary_is_else_the_abstract_s_first_sentence() -> None:
    assert paper_card(paper()).summary == "We scale video."
    assert paper_card(paper(ai_summary=" \n ")).summary == "We scale video."
    assert paper_card(paper(summary="no full stop at all")).summary == "no full stop at all"
    assert paper_card(paper(summary="")).summary == ""


def test_a_search_hit_shows_its_snippet_instead() -> None:
    card = paper_card(paper(), 1, "…we **scale** video…", dated=True)
    assert card.body == "…we **scale** video…" and card.summary == "We scale video."
    assert card.dated and card.rank == 1 and card.day == "Fri 27 Nov 2026"
    assert paper_card(paper(), snippet="  ").snippet is None


# --- the sentence splitter -------------------------------------------------------------------


def test_sentences_do_not_end_at_abbreviations_initials_or_decimals() -> None:
    text = (
        "We beat baselines, e.g. GPT-4 and Llama et al. (2024) by 3.5 points (see Fig. 2 and "
        "Eq. 3). A. Turing i.e. Alan agreed! Does it scale? Yes."
    )
    assert sentences(text) == [
        "We beat baselines, e.g. GPT-4 and Llama et al. (2024) by 3.5 points (see Fig. 2 and "
        "Eq. 3).",
        "A. Turing i.e. Alan agreed!",
        "Does it scale?",
        "Yes.",
    ]


def test_a_sentence_ends_before_a_capital_a_digit_or_a_quote_only() -> None:
    assert sentences("It runs fast. and so on. 2 models follow. “Quoted” too.") == [
        "It runs fast. and so on.",
        "2 models follow.",
        "“Quoted” too.",
    ]
    assert first_sentence('He said "Stop." Then left.') == 'He said "Stop."'
    assert first_sentence("  \n ") == ""


WORDS = st.sampled_from(
    ["We", "scale", "e.g.", "et al.", "Fig.", "2", "3.5", "A.", "it.", "Yes!", "(see", "Eq.)", "?"]
)
TEXTS = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(WORDS, st.text(max_size=5)), max_size=30).map(" ".join),
)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_sentences_cover_the_text_in_order(text: str) -> None:
    parts = sentences(text)
    assert " ".join(parts) == one_line(text)
    assert all(p and p == p.strip() for p in parts)
    assert first_sentence(text) == (parts[0] if parts else "")


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(["e.g.", "i.e.", "et al.", "Fig.", "Eq.", "cf.", "vs.", "J."]))
def test_no_sentence_ends_at_an_abbreviation(text: str, abbreviation: str) -> None:
    line = f"Some words {abbreviation} Next 2 words"
    assert sentences(f"{line}. Then {text}")[0] == f"{line}."


# --- tags and links --------------------------------------------------------------------------


def test_tags_are_a_few_distinct_keywords() -> None:
    keywords = ("video  diffusion", "Video diffusion", "", "  ", "DiT", "scaling", "VAE")
    assert paper_card(paper(ai_keywords=keywords)).tags == ("video diffusion", "DiT", "scaling")
    assert paper_card(paper()).tags == ()


def test_links_are_arxiv_pdf_code_and_project_page() -> None:
    card = paper_card(
        paper(github_repo="acme/vidiff", github_stars=42, project_page=" https://acme.ai/v ")
    )
    assert card.links == (
        Link("arXiv", "https://arxiv.org/abs/2411.00001"),
        Link("PDF", "https://arxiv.org/pdf/2411.00001"),
        Link("acme/vidiff", "https://github.com/acme/vidiff", code=True),
        Link("project page", "https://acme.ai/v"),
    )
    assert card.stars == 42 and card.url == "https://huggingface.co/papers/2411.00001"


def test_a_repository_url_is_labelled_owner_repo_and_bad_urls_are_left_out() -> None:
    card = paper_card(
        paper(
            github_repo="https://www.github.com/acme/vidiff.git/",
            project_page="javascript:alert(1)",
            thumbnail="http://x.org/a.png",
        )
    )
    assert [(link.label, link.url) for link in card.links[2:]] == [
        ("acme/vidiff", "https://www.github.com/acme/vidiff.git/")
    ]
    assert card.thumbnail is None
    assert paper_card(paper(github_repo="not a repo")).links[2:] == ()
    assert paper_card(paper(thumbnail=" https://t.org/a.png ")).thumbnail == "https://t.org/a.png"


def test_title_and_byline_are_one_line() -> None:
    card = paper_card(paper(title=" A\n title ", organization="Acme\tAI"))
    assert card.title == "A title"
    assert card.byline == "Ada Lovelace, Alan Turing, Grace Hopper, et al. · Acme AI"
    assert paper_card(paper(title=" ")).title == "2411.00001"


# --- posts -----------------------------------------------------------------------------------


def test_a_digest_view_ranks_its_cards_under_its_title_and_footer() -> None:
    view = digest_view(Digest(CHANNEL, (FRIDAY,), (paper(), paper("2411.00002"))))
    assert view.title == "Daily Papers · Fri 27 Nov 2026"
    assert [c.rank for c in view.cards] == [1, 2] and view.footer == "top 2 by upvotes"
    empty = digest_view(Digest(CHANNEL, (FRIDAY,), ()))
    assert empty.intro == "No Daily Papers for this day." and not empty.cards
    weekly = digest_view(
        Digest(CHANNEL, (FRIDAY,), (paper(),), title="Weekly top papers", period="2026-W48")
    )
    assert weekly.title == "Weekly top papers · 2026-W48"


def test_alert_and_reply_views() -> None:
    alert = alert_view(Alert(CHANNEL, paper(), ("video\n gen", "dit")))
    assert alert.title == "New paper" and alert.matched == "video gen, dit"
    assert alert_view(Alert(CHANNEL, paper(), ())).matched == "a subscription"
    reply = reply_view(Reply(text="", title=" Search\nresults ", hits=(SearchHit(paper()),)))
    assert reply.title == "Search results" and reply.intro == ""
    assert [c.dated for c in reply.cards] == [True]
    assert reply_view(Reply(text=" ")).intro == "(no details)"


# --- the same facts on every platform --------------------------------------------------------

WORD = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8
)
PLAIN = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
SLUG = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@st.composite
def plain_papers(draw: st.DrawFn) -> Paper:
    return paper(
        title=draw(PLAIN),
        summary=draw(PLAIN) + ". " + draw(PLAIN),
        ai_summary=draw(st.one_of(st.none(), PLAIN)),
        upvotes=draw(st.integers(0, 10**6)),
        comments=draw(st.integers(0, 10**4)),
        authors=tuple(draw(st.lists(PLAIN, max_size=5))),
        github_repo=draw(st.one_of(st.none(), st.builds("{}/{}".format, SLUG, SLUG))),
        github_stars=draw(st.one_of(st.none(), st.integers(0, 10**5))),
        project_page=draw(st.one_of(st.none(), st.builds("https://{}.org/p".format, SLUG))),
    )


def slack_text(messages: list[slack.SlackMessage]) -> str:
    parts = [m.text for m in messages]
    for m in messages:
        for b in m.blocks:
            if b["type"] in ("section", "header"):
                parts.append(b["text"]["text"])
            elif b["type"] == "context":
                parts += [e["text"] for e in b["elements"]]
    return html.unescape("\n".join(parts))


def discord_text(messages: list[discord.DiscordMessage]) -> str:
    parts = [m.content for m in messages]
    for e in (e for m in messages for e in m.embeds):
        parts += [e.title or "", e.url or "", e.description or "", e.footer.text or ""]
        parts += [f"{f.name} {f.value}" for f in e.fields]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))  # markdown escapes undone


def console_text(renderable: Any) -> str:
    out = Console(file=io.StringIO(), width=100, color_system=None)
    out.print(renderable, soft_wrap=True)
    file = out.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_papers(), st.booleans(), st.sampled_from(Layout))
def test_every_renderer_shows_the_same_facts_for_the_same_card(
    p: Paper, alert: bool, layout: Layout
) -> None:
    card = paper_card(p) if alert else digest_view(Digest(CHANNEL, (FRIDAY,), (p,))).cards[0]
    if alert:
        post = Alert(CHANNEL, p, ("video",), layout=layout)
        shown = [
            slack_text(slack.render_alert(post)),
            discord_text(discord.render_alert(post)),
            console_text(console.render_alert(post)),
        ]
    else:
        digest = Digest(CHANNEL, (FRIDAY,), (p,), layout=layout)
        shown = [
            slack_text(slack.render_digest(digest)),
            discord_text(discord.render_digest(digest)),
            console_text(console.render_digest(digest)),
        ]
    first_words = " ".join(card.summary.split()[:3])
    for text in shown:
        flat = " ".join(text.split())
        assert card.title in flat
        assert re.search(rf"▲\D*{re.escape(f'{card.upvotes:,}')}", flat)
        assert first_words in flat
        if layout is Layout.COMPACT:
            continue  # a ranked line; the links are in the thread (Slack, Discord) or the card
        assert card.url in flat
        for link in card.links:
            assert link.url in flat, link
            if link.code and card.stars is not None:
                assert f"★{card.stars:,}" in flat


def test_an_alert_view_says_why_and_offers_notify_me_too() -> None:
    paper = make_paper("2411.00001", "2026-11-25")
    alert = Alert(
        ChannelRef("t", "W", "C"),
        paper,
        ("like 2401.12345",),
        subscriptions=(7,),
        why="similar to 2401.12345, score 0.42",
    )
    view = alert_view(alert)
    assert view.matched == "like 2401.12345 (similar to 2401.12345, score 0.42)"
    assert view.notify == (7,)


def test_direct_and_mention_views_show_the_full_card_and_who_to_mention() -> None:
    from adapters.cards import MENTION_INTRO, direct_view, mention_view
    from bot.domain import DirectMessage, Mention, direct_channel, direct_user

    paper = make_paper("2411.00001", "2026-11-25")
    where = ChannelRef("slack", "T1", "C1")
    dm = DirectMessage(direct_channel("slack", "T1", "U2"), "U2", paper, ("diffusion",), where)
    assert dm.channel.key == "slack:T1:@U2" and direct_user(dm.channel) == "U2"
    assert direct_user(where) is None
    view = direct_view(dm)
    assert (view.layout, view.buttons, view.matched, view.mention) == (
        Layout.FULL,
        False,
        "diffusion",
        None,
    )
    shown = mention_view(Mention(where, "U2", paper, ("diffusion",), thread="171.1"))
    assert shown.mention == "U2" and shown.intro == MENTION_INTRO and len(shown.cards) == 1
