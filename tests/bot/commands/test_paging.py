"""An export cut into pages: whole entries in order, each page within its budget whatever the
platform's escaping adds, and an entry too long for a page shortened, never split or lost."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.fit import discord_len
from adapters.discord.fit import escape as discord_escape
from adapters.slack.mrkdwn import escape as slack_escape
from adapters.slack.mrkdwn import slack_len
from bot.commands.exports import BIBTEX_JOIN, MARKDOWN_JOIN, bibtex, cite_keys, markdown
from bot.commands.paging import ENTRY_UNITS, HEADER_UNITS, ExportPage, export_pages, units
from bot.commands.reading import _export_line
from bot.domain import Paper
from tests.bot.commands.test_exports import HOSTILE, IDS, _read
from tests.helpers import make_paper


def _paper(paper_id: str, title: str, authors: list[str]) -> Paper:
    return replace(make_paper(paper_id, "2026-11-25", title=title or " "), authors=tuple(authors))


def test_units_count_at_least_what_either_platform_counts_once_escaped() -> None:
    for ch in "a &<>\\*_~`|[]@:#-+.{}()/é你😀\n":
        assert units(ch) >= slack_len(slack_escape(ch)), ch  # &amp; &lt; &gt;
        assert units(ch) >= discord_len(discord_escape(ch)), ch  # a backslash before markup
    assert units("&") == 5 and units("😀") == 2 and units("a.b") == 4


def test_pages_hold_every_entry_once_in_order_each_within_the_budget() -> None:
    papers = [_paper(f"2411.{i:05d}", f"Paper {i} & more", ["A. B", "C-D"]) for i in range(200)]
    for shape, whole, join in (
        ("bibtex", bibtex, BIBTEX_JOIN),
        ("markdown", markdown, MARKDOWN_JOIN),
    ):
        pages = export_pages(papers, shape)
        assert len(pages) > 1
        assert all(b.first == a.last + 1 and b.last >= b.first for a, b in pairwise(pages))
        assert pages[0].first == 1 and pages[-1].last == 200
        assert join.join(p.content for p in pages) == whole(papers)  # nothing cut, nothing lost
        assert all(units(p.content) <= ENTRY_UNITS and p.shortened == 0 for p in pages)
        # Full pages: the next entry would not have fitted.
        assert all(
            units(p.content + join + whole([papers[p.last]])) > ENTRY_UNITS for p in pages[:-1]
        )


def test_an_entry_too_long_for_a_page_names_its_first_authors_then_others() -> None:
    crowd = [f"Author Number{i} Surname-{i}" for i in range(600)]
    papers = [_paper("2411.00001", "Small", ["Ada"]), _paper("2411.00002", "A tech report", crowd)]
    first, second = export_pages(papers, "bibtex")
    assert (first.first, first.last, first.shortened) == (1, 1, 0)
    assert (second.first, second.last, second.shortened) == (2, 2, 1)
    assert units(second.content) <= ENTRY_UNITS
    [(key, eprint, title, authors)] = _read(second.content)
    assert (key, eprint, title) == ("arxiv2411_00002", "2411.00002", "A tech report")
    assert authors[-1] == "others" and authors[:-1] == crowd[: len(authors) - 1]
    assert len(authors) > 20  # as many as fit, not a fixed few
    [line] = export_pages(papers[1:], "markdown")[0].content.splitlines()
    assert "Author Number7 Surname-7 et al. · " in line  # its usual 8 names fit


def test_a_title_too_long_for_a_page_is_clipped_and_the_entry_stays_whole() -> None:
    paper = _paper("2411.00009", "&" * 5000, ["Ada Lovelace"])
    for shape in ("bibtex", "markdown"):
        [page] = export_pages([paper], shape)
        assert page.shortened == 1 and units(page.content) <= ENTRY_UNITS
        assert "2411.00009" in page.content and "…" in page.content
    [(_, eprint, title, authors)] = _read(export_pages([paper], "bibtex")[0].content)
    assert eprint == "2411.00009" and title.rstrip("…").strip("&") == "" and authors == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(IDS, HOSTILE, st.lists(HOSTILE, max_size=40)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[0],
    ),
    st.sampled_from(["bibtex", "markdown"]),
)
def test_hostile_entries_page_within_the_budget_and_keep_their_keys(
    entries: list[tuple[str, str, list[str]]], shape: str
) -> None:
    papers = [_paper(*e) for e in entries]
    pages = export_pages(papers, shape)
    assert all(units(p.content) <= ENTRY_UNITS for p in pages)
    assert pages[0].first == 1 and pages[-1].last == len(papers)
    if shape == "bibtex":
        read = [entry for p in pages for entry in _read(p.content)]
        assert [key for key, *_ in read] == cite_keys(papers)
        assert [eprint for _, eprint, *_ in read] == [p.id for p in papers]


def test_the_longest_opening_line_a_page_can_have_fits_its_reserve() -> None:
    page = ExportPage(99_999, 100_000, "", shortened=99_999)
    for shape in ("bibtex", "markdown"):
        line = _export_line(page, 99_999, 100_000, 100_000, shape)
        assert "`/papers reading-list export" in line and units(line) <= HEADER_UNITS, line
