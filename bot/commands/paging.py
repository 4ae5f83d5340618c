"""A reading-list export cut into pages that each fit one chat message (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.commands.exports import (
    BIBTEX_JOIN,
    MARKDOWN_AUTHORS,
    MARKDOWN_JOIN,
    authors_of,
    bibtex_entry,
    cite_keys,
    markdown_line,
)
from bot.domain import Paper

# A page is answered as one line, then one code block, and that text must fit one message on
# every platform, whatever escaping adds (`units`). Discord is the tightest: 2,000 characters
# of content (docs/reference/discord.md §2), less the "(continued, k/n)" line and the code-fence
# room its renderer keeps, leave 1,929; a Slack section takes 3,000 (docs/reference/slack.md
# §6), so a page is one of the five answers Slack allows a command, never more.
PAGE_UNITS = 1_850
# What a page's opening line may take (which page, the next page's command, a note).
HEADER_UNITS = 200
# "```" and a line break before the entries and after them, as `units` counts them.
FENCE_UNITS = 2 * (2 * 3 + 1)
# The entries of a page take the rest (the 1 is the line break after the opening line).
ENTRY_UNITS = PAGE_UNITS - HEADER_UNITS - FENCE_UNITS - 1
# Markdown's markup characters in Discord (docs/reference/discord.md §9), which its renderer
# may put a backslash before when it measures a reply; Slack's mrkdwn writes & < > as
# entities (docs/reference/slack.md §6), `&amp;` the longest.
_BACKSLASHED = frozenset("\\*_~`|[]@:#-+.")
_ENTITIES = {"&": 5, "<": 4, ">": 4}

# (authors named or None for all, title characters or None for all) -> an entry
Render = Callable[[int | None, int | None], str]


def units(text: str) -> int:
    """At least the length of `text` once a platform escapes it: UTF-16 units, plus a
    backslash before Discord's markup characters, with & < > as Slack's entities."""
    total = 0
    for ch in text:
        if ch in _ENTITIES:
            total += _ENTITIES[ch]
        elif ch in _BACKSLASHED:
            total += 2
        else:
            total += 2 if ord(ch) > 0xFFFF else 1
    return total


@dataclass(frozen=True)
class ExportPage:
    """One page: its entries (numbered from 1, `first` to `last`) as text, and how many of
    them were shortened to fit."""

    first: int
    last: int
    content: str
    shortened: int


def _largest(fits: Callable[[int], bool], high: int) -> int | None:
    """The largest n in 0..high for which `fits(n)` holds (it holds up to some n, then not)."""
    low, best = 0, None
    while low <= high:
        mid = (low + high) // 2
        if fits(mid):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    return best


def fitted(render: Render, names: int, title: int, room: int = ENTRY_UNITS) -> str:
    """An entry at its longest within `room` units: whole, else naming fewer of its `names`
    authors, else none and its title (`title` characters) clipped."""
    whole = render(None, None)
    if units(whole) <= room:
        return whole
    authors = _largest(lambda k: units(render(k, None)) <= room, names - 1)
    if authors is not None:
        return render(authors, None)
    return render(0, _largest(lambda n: units(render(0, n)) <= room, title) or 0)


def _renderer(paper: Paper, key: str, shape: str) -> tuple[Render, int]:
    """How to write the paper's entry at any length, and how many authors it can name."""
    names = len(authors_of(paper))
    if shape == "bibtex":
        return (lambda a, t: bibtex_entry(paper, key, a, t)), names

    def line(a: int | None, t: int | None) -> str:
        return markdown_line(paper, MARKDOWN_AUTHORS if a is None else a, t)

    return line, min(names, MARKDOWN_AUTHORS)


def export_pages(papers: Sequence[Paper], shape: str) -> list[ExportPage]:
    """The export (`bibtex` or `markdown`) cut into pages of whole entries, each of which
    fits one chat message with its opening line; an entry too long for a page alone is
    shortened."""
    join = BIBTEX_JOIN if shape == "bibtex" else MARKDOWN_JOIN
    entries: list[tuple[str, bool]] = []
    for paper, key in zip(papers, cite_keys(papers), strict=True):
        render, names = _renderer(paper, key, shape)
        text = fitted(render, names, len(paper.title))
        entries.append((text, text != render(None, None)))
    pages: list[ExportPage] = []
    start, used = 0, 0
    for n, (text, _) in enumerate(entries):
        cost = units(text)
        if n > start and used + units(join) + cost > ENTRY_UNITS:
            pages.append(_page(entries, start, n, join))
            start, used = n, 0
        used += cost + (units(join) if n > start else 0)
    if entries:
        pages.append(_page(entries, start, len(entries), join))
    return pages


def _page(entries: list[tuple[str, bool]], start: int, end: int, join: str) -> ExportPage:
    part = entries[start:end]
    content = join.join(text for text, _ in part)
    return ExportPage(start + 1, end, content, sum(cut for _, cut in part))
