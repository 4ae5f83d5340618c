"""The compact layout on Slack (a ranked list in one message, details in its thread), the
paper controls, a digest's new version, late climbers, Undo and code blocks that span sections."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.actions import LABELS, undo_id
from adapters.slack.limits import MAX_BLOCKS
from adapters.slack.mrkdwn import FENCE, escape, split_text
from adapters.slack.render import render_climber, render_digest, render_edit, render_reply
from bot.domain import (
    UNDO_EXTRA,
    Climber,
    DigestEdit,
    Layout,
    Paper,
    PostKey,
    Reply,
)
from tests.adapters import FRIDAY, paper
from tests.adapters.render_checks import days_to_friday
from tests.adapters.slack.render_checks import (
    CHANNEL,
    FIELD,
    PAPER_LINK,
    PROPERTY,
    assert_no_spoofing,
    assert_unformatted,
    assert_valid,
    digest,
    paper_ids,
    papers,
)

compact = partial(digest, layout=Layout.COMPACT)  # a channel's default layout


def menu(paper_id: str) -> dict[str, object]:
    return {
        "type": "overflow",
        "action_id": f"pb:menu:{paper_id}",
        "options": [
            {"text": {"type": "plain_text", "text": LABELS[a], "emoji": True},
             "value": f"pb:{a}:{paper_id}"}
            for a in ("save", "not-relevant", "more-like")
        ],
    }  # fmt: skip


# --- the ranked list -------------------------------------------------------------------------


def test_the_channel_message_is_a_ranked_list_with_a_menu_per_paper() -> None:
    first = paper(
        ai_summary="A one-line summary.",
        ai_keywords=("diffusion", "video generation", "Diffusion", "scaling", "fourth"),
        github_repo="acme/vidiff",
        github_stars=4321,
    )
    second = paper("2411.00002", title="Agents that plan", upvotes=99, ai_keywords=())
    messages = render_digest(compact(first, second))
    assert_valid(messages)
    part1, details = messages
    assert [b["type"] for b in part1.blocks] == ["header", "section", "section", "context"]
    assert part1.blocks[1] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "verbatim": True,
            "text": "*1. <https://huggingface.co/papers/2411.00001|Video diffusion at scale>*"
            "  ▲ 1,234\nA one-line summary.\n_diffusion · video generation · scaling_",
        },
        "accessory": menu("2411.00001"),
    }
    assert part1.blocks[2]["text"]["text"] == (
        "*2. <https://huggingface.co/papers/2411.00002|Agents that plan>*  ▲ 99\n"
        "We scale video generation."
    )
    assert part1.blocks[-1]["elements"][0]["text"].startswith("top 2 by upvotes · via <")
    assert (
        part1.text == "Daily Papers for Fri 27 Nov 2026: 2 papers — top: Video diffusion at scale"
    )
    # the details, in the thread: byline, the abstract's excerpt, links with stars
    assert details.blocks[0]["elements"][0]["text"] == "Details of Daily Papers · Fri 27 Nov 2026"
    section = details.blocks[1]["text"]["text"]
    assert section.startswith("*1. <https://huggingface.co/papers/2411.00001|Video diffusion")
    assert "Ada Lovelace, Alan Turing, Grace Hopper, et al." in section
    assert "We scale video generation." in section  # the excerpt, not the AI summary
    assert "<https://github.com/acme/vidiff|acme/vidiff> ★4,321" in section
    assert "accessory" not in details.blocks[1]
    assert details.text == "Daily Papers for Fri 27 Nov 2026: details of papers 1–2"


def test_25_papers_of_the_longest_text_fit_the_channel_message() -> None:
    ps = [
        paper(f"2411.{i:05d}", title="&😀" * 300, ai_summary="&" * 3000,
              ai_keywords=tuple("&" * 200 for _ in range(5)), upvotes=10**9)
        for i in range(25)
    ]  # fmt: skip
    messages = render_digest(compact(*ps))
    assert_valid(messages)
    assert len(messages[0].blocks) == 27 and paper_ids(messages[:1]) == [p.id for p in ps]
    assert paper_ids(messages[1:]) == [p.id for p in ps]


def test_a_list_of_more_than_25_papers_continues_rather_than_break_a_limit() -> None:
    ps = [paper(f"2411.{i:05d}") for i in range(60)]
    messages = render_digest(compact(*ps))
    assert_valid(messages)
    assert len(messages[0].blocks) <= MAX_BLOCKS and len(messages) >= 3
    ids = paper_ids(messages)
    assert ids == [p.id for p in ps] * 2  # the list, then the details


def test_a_notice_digest_has_no_controls() -> None:
    [m] = render_digest(compact(notice="No Daily Papers on weekends."))
    assert [b["type"] for b in m.blocks] == ["header", "section"]


@PROPERTY
@given(st.integers(1, 25).flatmap(papers), st.integers(1, 4).map(days_to_friday), st.booleans())
def test_any_compact_digest_lists_every_paper_in_one_message_then_details(
    ps: list[Paper], days: tuple[date, ...], thumbnails: bool
) -> None:
    messages = render_digest(compact(*ps, days=days), thumbnails=thumbnails)
    assert_valid(messages)
    ids = [p.id for p in ps]
    assert paper_ids(messages[:1]) == ids  # part 1: the whole list, one message
    assert paper_ids(messages[1:]) == ids  # the thread: every paper's details, in order
    assert_no_spoofing(messages, ps)
    menus = [b["accessory"]["action_id"] for b in messages[0].blocks if "accessory" in b]
    assert menus == [f"pb:menu:{pid}" for pid in ids]
    for b in messages[0].blocks:
        if b["type"] == "section":
            assert_unformatted(b["text"]["text"], tags=True)
    for m in messages[1:]:
        for b in m.blocks:
            if b["type"] == "section":
                assert_unformatted(b["text"]["text"])


# --- a new version, a late climber ------------------------------------------------------------


@pytest.mark.parametrize("layout", list(Layout))
def test_an_edit_is_part_1_of_the_compact_rendering(layout: Layout) -> None:
    ps = [paper(f"2411.{i:05d}", upvotes=100 - i) for i in range(10)]
    now = compact(*ps, layout=layout)
    key = PostKey(CHANNEL, "digest", FRIDAY.isoformat())
    edit = render_edit(DigestEdit(CHANNEL, now, key, "1796000000.000100", 2))
    assert edit == render_digest(compact(*ps))[0]
    assert_valid([edit])


def climber(p: Paper, reason: str = "now #3 in this digest") -> Climber:
    return Climber(CHANNEL, p, "1796000000.000100", reason, "Daily Papers", (FRIDAY,))


def test_a_late_climber_says_why_then_shows_the_card_and_its_buttons() -> None:
    messages = render_climber(climber(paper()))
    assert_valid(messages)
    [m] = messages
    assert [b["type"] for b in m.blocks] == ["section", "section", "actions"]
    assert m.blocks[0]["text"]["text"] == "📈 *Late climber* · now #3 in this digest"
    assert paper_ids(messages) == ["2411.00001"]
    assert m.blocks[2]["elements"][1]["action_id"] == "pb:not-relevant:2411.00001"
    assert m.text == "Late climber in Fri 27 Nov 2026: Video diffusion at scale"


@PROPERTY
@given(papers(1), FIELD)
def test_any_climber_renders_one_valid_message(ps: list[Paper], reason: str) -> None:
    messages = render_climber(climber(ps[0], reason))
    assert_valid(messages)
    assert len(messages) == 1 and paper_ids(messages) == [ps[0].id]
    assert_no_spoofing(messages, ps)


# --- Undo, and code blocks --------------------------------------------------------------------


def test_a_clicks_confirmation_carries_its_undo_button() -> None:
    [m] = render_reply(Reply(text="Saved “A paper”.", extra={UNDO_EXTRA: 17}))
    assert m.blocks[-1] == {
        "type": "actions",
        "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": LABELS["undo"], "emoji": True},
            "action_id": undo_id(17), "value": undo_id(17),
        }],
    }  # fmt: skip
    assert_valid([m])
    for extra in ({}, {UNDO_EXTRA: "17"}, {UNDO_EXTRA: True}):
        [plain] = render_reply(Reply(text="Saved.", extra=extra))
        assert all(b["type"] != "actions" for b in plain.blocks)


def test_the_undo_button_closes_the_last_message_of_a_long_answer() -> None:
    messages = render_reply(Reply(text="line of text\n" * 2000, extra={UNDO_EXTRA: 3}))
    assert_valid(messages)
    assert len(messages) > 1
    assert [b["type"] == "actions" for m in messages for b in m.blocks].count(True) == 1
    assert messages[-1].blocks[-1]["elements"][0]["value"] == "pb:undo:3"


def test_a_code_block_longer_than_a_section_is_code_in_every_section() -> None:
    entries = "\n".join(f"@misc{{arxiv2401_{n:05d},\n  title = {{Paper {n} & more}},\n}}"
                        for n in range(300))  # fmt: skip
    text = f"Reading list as BibTeX (300 entries):\n{FENCE}\n{entries}\n{FENCE}\nDone."
    messages = render_reply(Reply(text=text))
    assert_valid(messages)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) > 3
    for piece in sections:
        assert piece.count(FENCE) == 2, piece[:80]  # each opens and closes its own block
    assert sections[0].startswith("Reading list as BibTeX") and sections[-1].endswith("Done.")
    for piece in sections[1:]:
        assert piece.startswith(f"{FENCE}\n")
    joined = "".join(s.replace(FENCE, "") for s in sections)
    assert "".join(joined.split()) == "".join(text.replace(FENCE, "").replace("&", "&amp;").split())


def test_a_split_at_the_end_of_a_code_block_opens_no_empty_one() -> None:
    code = "x" * 50 + "\n"
    text = f"{FENCE}\n{code * 3}{FENCE}\nafter"
    pieces = split_text(text, limit=70)
    assert all(p.count(FENCE) % 2 == 0 for p in pieces)
    assert pieces[-1] == "after" or pieces[-1].endswith("after")
    assert not any(p.replace(FENCE, "").strip() == "" for p in pieces)


def test_a_piece_never_ends_inside_a_fence() -> None:
    text = "a" * 61 + FENCE + "b" * 10 + FENCE + "c" * 70  # no space to split at: hard cuts
    pieces = split_text(text, limit=70)
    assert len(pieces) > 1
    assert all(p.count(FENCE) % 2 == 0 and "`" not in p.replace(FENCE, "") for p in pieces)
    assert "".join(p.replace(FENCE, "").replace("\n", "") for p in pieces) == text.replace(
        FENCE, ""
    )


@PROPERTY
@given(st.lists(st.one_of(FIELD, st.just(FENCE), st.just("\n")), max_size=12).map("".join))
def test_code_fences_balance_in_every_piece_of_any_text(text: str) -> None:
    pieces = split_text(text)
    for piece in pieces:
        assert piece.count(FENCE) % 2 == 0 and len(piece.encode("utf-16-le")) // 2 <= 3000
    kept = "\n".join(pieces).replace(FENCE, "")
    assert "".join(escape(text).replace(FENCE, "").split()) == "".join(kept.split())


def test_paper_links_in_the_list_and_the_details_are_the_same_papers() -> None:
    ps = [paper(f"2411.{i:05d}") for i in range(3)]
    part1, *details = render_digest(compact(*ps))
    listed = [m for b in part1.blocks if b["type"] == "section"
              for m in PAPER_LINK.findall(b["text"]["text"])]  # fmt: skip
    assert listed == paper_ids(details) == [p.id for p in ps]
