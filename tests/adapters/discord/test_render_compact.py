"""The compact Discord layout and the controls: a digest's whole ranked list in one message
with its selects, the details after it, alerts and late climbers with their buttons, a digest
edit, a click's Undo, and a code block that spans messages."""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.render import (
    DiscordMessage,
    render_alert,
    render_climber,
    render_digest,
    render_edit,
    render_reply,
)
from bot.domain import Alert, Climber, DigestEdit, Layout, Paper, PostKey, Reply
from tests.adapters import FRIDAY, paper
from tests.adapters.discord.discord_markdown import flatten, markup
from tests.adapters.discord.render_checks import (
    CHANNEL,
    FIELD,
    LISTED,
    PROPERTY,
    assert_no_spoofing,
    assert_numbered,
    assert_valid,
    controls,
    digest,
    paper_ids,
    papers,
    select_values,
)

COMPACT = Layout.COMPACT
BUTTON_IDS = ("pb:save:{}", "pb:not-relevant:{}", "pb:more-like:{}")


def listed(message: DiscordMessage) -> list[str]:
    """The paper ids of a compact digest's ranked list, in order."""
    [embed] = message.embeds
    return LISTED.findall(embed.description or "")


# --- the compact digest ----------------------------------------------------------------------


def test_compact_digest_is_one_ranked_list_with_three_selects_then_the_details() -> None:
    first = paper(
        ai_summary="Videos from text, at scale.",
        ai_keywords=("diffusion", "video generation", "Diffusion", "scaling", "extra"),
        organization="Acme AI",
        github_repo="acme/vidiff",
        github_stars=4321,
        thumbnail="https://cdn-thumbnails.huggingface.co/papers/x.png",
    )
    second = paper("2411.00002", title="Agents that plan", upvotes=99, authors=())
    messages = render_digest(digest(first, second, layout=COMPACT))
    assert_valid(messages)
    part1, part2 = messages
    assert part1.content == "**Daily Papers · Fri 27 Nov 2026** — top 2 by upvotes"
    [ranked] = part1.embeds
    assert ranked.description == (
        "**1. [Video diffusion at scale](https://huggingface.co/papers/2411.00001)** ▲ 1,234\n"
        "Videos from text, at scale. · *diffusion · video generation · scaling*\n"
        "**2. [Agents that plan](https://huggingface.co/papers/2411.00002)** ▲ 99\n"
        "We scale video generation."
    )
    assert [(c["custom_id"], c["placeholder"]) for c in controls(part1)] == [
        ("pb:save", "🔖 Save a paper…"),
        ("pb:not-relevant", "🙅 Not relevant…"),
        ("pb:more-like", "➕ More like this…"),
    ]
    assert controls(part1)[0]["options"] == [
        {"label": "1. Video diffusion at scale", "value": "2411.00001"},
        {"label": "2. Agents that plan", "value": "2411.00002"},
    ]
    assert part2.content == "(continued, 2/2) · Daily Papers · Fri 27 Nov 2026"
    assert part2.components == []
    details = [e.to_dict() for e in part2.embeds]
    assert [d["title"] for d in details] == ["1. Video diffusion at scale", "2. Agents that plan"]
    assert details[0]["description"] == (
        "*Ada Lovelace, Alan Turing, Grace Hopper, et al. · Acme AI*\n"
        "We scale video generation.\n"
        "[arXiv](https://arxiv.org/abs/2411.00001) · [PDF](https://arxiv.org/pdf/2411.00001)"
        " · [acme/vidiff](https://github.com/acme/vidiff) ★4,321"
    )
    assert details[0]["thumbnail"] == {"url": first.thumbnail}
    assert "footer" not in details[0] and "fields" not in details[0]
    assert details[1]["description"].startswith("We scale video generation.\n[arXiv]")


def test_25_papers_of_long_text_keep_the_whole_list_in_one_message() -> None:
    ps = [
        paper(
            f"2411.{i:05d}",
            title="A very long title about diffusion " * 10,
            ai_summary="A one-line summary that is not one line at all. " * 20,
            ai_keywords=tuple(f"keyword number {k} " * 5 for k in range(5)),
            upvotes=10**6 - i,
        )
        for i in range(25)
    ]
    messages = render_digest(digest(*ps, layout=COMPACT))
    assert_valid(messages)
    assert listed(messages[0]) == [p.id for p in ps]
    assert select_values(messages[0]) == [[p.id for p in ps]] * 3
    assert paper_ids(messages[1:]) == [p.id for p in ps]
    assert_numbered(messages)


def test_ten_ordinary_papers_are_listed_unclipped_two_lines_each() -> None:
    ps = [
        paper(
            f"2411.{i:05d}",
            title=f"Paper {i}: a title of ordinary length for a daily paper",
            ai_summary="A model that does one thing better, summarised in a sentence or so.",
            ai_keywords=("diffusion", "video"),
        )
        for i in range(10)
    ]
    [ranked] = render_digest(digest(*ps, layout=COMPACT))[0].embeds
    lines = (ranked.description or "").split("\n")
    assert len(lines) == 20 and "…" not in (ranked.description or "")


def _user_markup(description: str) -> list[str]:
    """Markup in a ranked list that is not paperboy's frame (bold linked title, italic tags)."""
    found = []
    for line in flatten(description).split("\n"):
        line = re.sub(r"^\*\*\d+\. \[[^\[\]]*\]\([^()\s]*\)\*\* ▲ [\d,]+$", "", line)
        line = re.sub(r"(^| · )\*[^*]*\*$", "", line)
        found += markup(line)
    return found


@PROPERTY
@given(st.integers(1, 25).flatmap(papers), st.integers(1, 4))
def test_any_compact_digest_lists_every_paper_in_its_first_message(
    ps: list[Paper], span: int
) -> None:
    days = tuple(FRIDAY - timedelta(days=n) for n in range(span - 1, -1, -1))
    messages = render_digest(digest(*ps, days=days, layout=COMPACT))
    assert_valid(messages)
    ids = [p.id for p in ps]
    assert listed(messages[0]) == ids
    assert select_values(messages[0]) == [ids] * 3
    assert paper_ids(messages[1:]) == ids
    assert all(m.components == [] for m in messages[1:])
    assert [m.in_thread for m in messages] == [False] + [True] * (len(messages) - 1)
    assert_numbered(messages)
    assert_no_spoofing(messages, ps)
    assert _user_markup(messages[0].embeds[0].description or "") == []


def test_more_than_25_papers_continue_the_list_in_a_second_list_message() -> None:
    ps = [paper(f"2411.{i:05d}", title=f"Paper {i}") for i in range(30)]
    messages = render_digest(digest(*ps, layout=COMPACT))
    assert_valid(messages)
    assert listed(messages[0]) + listed(messages[1]) == [p.id for p in ps]
    assert [len(v) for v in select_values(messages[1])] == [5] * 3
    assert [m.in_thread for m in messages[:3]] == [False, False, True]  # lists, then details


def test_a_full_digest_gives_each_message_the_selects_of_its_own_papers() -> None:
    ps = [paper(f"2411.{i:05d}", summary="an abstract clause, " * 100) for i in range(12)]
    messages = render_digest(digest(*ps))
    assert_valid(messages)
    assert len(messages) > 1 and not any(m.in_thread for m in messages)  # all in the channel
    for m in messages:
        assert select_values(m) == [paper_ids([m])] * 3


# --- edits, alerts, climbers, replies ----------------------------------------------------------


def test_an_edit_is_exactly_the_first_message_of_the_compact_digest() -> None:
    ps = tuple(paper(f"2411.{i:05d}", upvotes=100 - i) for i in range(12))
    for layout in Layout:
        posted = digest(*ps, layout=layout)
        key = PostKey(CHANNEL, "digest", "2026-11-27")
        edited = render_edit(DigestEdit(CHANNEL, posted, key, "111", 1))
        [first, *_] = render_digest(digest(*ps, layout=COMPACT))
        assert edited.content == first.content and edited.components == first.components
        assert [e.to_dict() for e in edited.embeds] == [e.to_dict() for e in first.embeds]


def test_a_compact_alert_is_one_embed_with_the_three_buttons() -> None:
    p = paper(ai_keywords=("diffusion",), github_repo="acme/vidiff", github_stars=7)
    [m] = render_alert(Alert(CHANNEL, p, ("diffusion", "video")))
    assert_valid([m])
    assert m.content == "New paper · matched: diffusion, video"
    [embed] = m.embeds
    assert embed.title == "Video diffusion at scale" and embed.url == p.url
    assert embed.description == (
        "▲ 1,234 · 💬 5 · Fri 27 Nov 2026\nWe scale video generation.\n*diffusion*\n"
        "[arXiv](https://arxiv.org/abs/2411.00001) · [PDF](https://arxiv.org/pdf/2411.00001)"
        " · [acme/vidiff](https://github.com/acme/vidiff) ★7"
    )
    assert [(b["label"], b["custom_id"], b["style"]) for b in controls(m)] == [
        ("🔖 Save", "pb:save:2411.00001", 1),
        ("🙅 Not relevant", "pb:not-relevant:2411.00001", 2),
        ("➕ More like this", "pb:more-like:2411.00001", 2),
    ]


def test_a_late_climber_says_why_and_carries_the_buttons() -> None:
    climber = Climber(CHANNEL, paper(), "111", "now #3 in this digest", "Daily Papers", (FRIDAY,))
    m = render_climber(climber)
    assert_valid([m])
    assert m.content == "📈 **Late climber** · now #3 in this digest"
    assert [b["custom_id"] for b in controls(m)] == [i.format("2411.00001") for i in BUTTON_IDS]
    assert m.embeds[0].title == "Video diffusion at scale"


@PROPERTY
@given(papers(1), FIELD)
def test_any_climber_renders_one_valid_message(ps: list[Paper], reason: str) -> None:
    m = render_climber(Climber(CHANNEL, ps[0], "111", reason, "Daily Papers", (FRIDAY,)))
    assert_valid([m])
    assert_no_spoofing([m], ps)
    assert paper_ids([m]) == [ps[0].id]
    assert [b["custom_id"] for b in controls(m)] == [i.format(ps[0].id) for i in BUTTON_IDS]


def test_a_clicks_confirmation_carries_its_undo_button_and_nothing_else_does() -> None:
    saved = Reply(text="Saved “Video diffusion at scale” (2411.00001).", extra={"undo": 17})
    [m] = render_reply(saved)
    assert_valid([m])
    assert controls(m) == [{"type": 2, "style": 2, "label": "↩ Undo", "custom_id": "pb:undo:17"}]
    for extra in ({}, {"undo": True}, {"undo": "17"}):
        assert render_reply(Reply(text="Done.", extra=extra))[0].components == []


def test_a_code_block_longer_than_a_message_is_code_in_every_message() -> None:
    entries = "\n".join(
        f"@misc{{arxiv2411_{i:05d},\n  title = {{A *title* with_under `ticks` @here}},\n}}"
        for i in range(120)
    )
    text = f"Reading list as BibTeX (120 entries):\n```bibtex\n{entries}\n```"
    messages = render_reply(Reply(text=text, title="Reading list"))
    assert_valid(messages)
    assert len(messages) > 2
    bodies = [messages[0].content] + [m.content.partition("\n")[2] for m in messages[1:]]
    for k, body in enumerate(bodies):
        code = body[body.index("```") :] if k == 0 else body
        assert code.startswith("```bibtex\n") and code.endswith("\n```"), body[-40:]
        assert code.count("```") == 2
        assert set(flatten(code)) == {"\x00"}  # all of it shown as typed: code
    inside = "\n".join(b[b.index("```bibtex\n") + 10 : -4] for b in bodies)
    assert inside == entries
