"""The click commands (`save`, `not-relevant`, `more-like`, `undo`; a post's buttons run them)
and the channel's reading list (`reading-list`, `remove`, `export`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands.exports import fenced
from bot.commands.paging import ExportPage, export_pages
from bot.commands.table import CommandError, echo
from bot.delivery.digests import DIGEST_KIND, channel_taste, digest_filter, ranked
from bot.delivery.taste import MAX_NUDGE, describe, moved
from bot.domain import LIKE_EXTRA, UNDO_EXTRA, Action, Invocation, Paper, Reply
from bot.feed.parse import normalize_id
from bot.ports import Repository

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

# How many of the newest saves `reading-list` shows (the export's pages have them all).
SHOWN_SAVES = 50
TITLE_CHARS = 80
PERCENT = f"{MAX_NUDGE:.0%}".replace("%", " %")  # "15 %"
NAMES = {
    Action.SAVE: "save",
    Action.NOT_RELEVANT: "Not relevant",
    Action.MORE_LIKE: "More like this",
}
# Why a paper paperboy has not stored cannot be clicked.
NOT_CLICKABLE = (
    "only papers that appeared on Daily Papers can be saved or ranked. "
    "`/papers search` finds stored ones."
)
# Per export format: its name, a file name for it, and what its entries are called.
FORMATS = {
    "markdown": ("Markdown", "reading-list.md", ("paper", "papers")),
    "bibtex": ("BibTeX", "reading-list.bib", ("entry", "entries")),
}


def _count(n: int) -> str:
    return f"{n:,} paper{'' if n == 1 else 's'}"


def named(paper: Paper, chars: int = TITLE_CHARS) -> str:
    """“Title” (2401.12345): a paper as a confirmation names it, on one line."""
    return f"“{echo(paper.title, chars)}” ({paper.id})"


def stored(repo: Repository, raw: str, unknown: str) -> Paper:
    """The stored paper an arXiv id names; CommandError (one line) otherwise, `unknown`
    saying what to do about an id paperboy has not stored."""
    paper_id = normalize_id(raw)
    if paper_id is None:
        raise CommandError(f"`{echo(raw, 40)}` is not an arXiv id; they look like 2410.17243.")
    paper = repo.get_paper(paper_id)
    if paper is None:
        raise CommandError(f"paperboy has not stored {paper_id}: {unknown}")
    return paper


def _click(handlers: Handlers, args: dict[str, Any], inv: Invocation, action: Action) -> Reply:
    paper = stored(handlers.repo, str(args["id"]), NOT_CLICKABLE)
    click, new = handlers.repo.record_click(
        inv.channel, inv.user, paper.id, action, handlers.core.clock()
    )
    if action is Action.SAVE:
        saved = _count(len(handlers.repo.reading_list(inv.channel)))
        text = (
            f"Saved {named(paper)} to this channel's reading list: {saved}. "
            "`/papers reading-list show` lists it."
            if new
            else f"Already saved {named(paper)}: this channel's reading list has {saved}."
        )
    else:
        way = "lower" if action is Action.NOT_RELEVANT else "higher"
        said = "Noted" if new else "Already noted"
        text = (
            f"{said}: papers like {named(paper)} rank a little {way} here in future "
            f"digests (at most {PERCENT})."
        )
    extra: dict[str, object] = {UNDO_EXTRA: click.id}
    if action is Action.MORE_LIKE:
        extra[LIKE_EXTRA] = paper.id
    return Reply(text=text, extra=extra)


def save(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Save a paper to the channel's reading list."""
    return _click(handlers, args, inv, Action.SAVE)


def not_relevant(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Rank papers like this one a little lower in the channel."""
    return _click(handlers, args, inv, Action.NOT_RELEVANT)


def more_like(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Rank papers like this one a little higher in the channel."""
    return _click(handlers, args, inv, Action.MORE_LIKE)


def undo(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Take back one of the caller's clicks in the channel (their latest by default)."""
    number = args.get("click")
    click = handlers.repo.undo_click(inv.channel, inv.user, number)
    if click is None:
        if number is None:
            raise CommandError("You have no save, not-relevant or more-like here to take back.")
        raise CommandError(
            f"You have no click #{number} here to take back: it was taken back already, or "
            "it is someone else's."
        )
    paper = handlers.repo.get_paper(click.paper_id)
    title = named(paper) if paper is not None else click.paper_id
    if click.action is not Action.SAVE:
        return Reply(
            text=f"Took back your {NAMES[click.action]} on {title}: it no longer changes "
            "this channel's ranking."
        )
    saved = handlers.repo.reading_list(inv.channel)
    still = any(p.id == click.paper_id for p, _ in saved)
    left = _count(len(saved))
    return Reply(
        text=f"Took back your save of {title}; "
        + (
            f"it stays on the reading list, saved by someone else too ({left})."
            if still
            else f"the reading list has {left}."
        )
    )


def reading_list(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """The channel's reading list, numbered, newest last."""
    saved = handlers.repo.reading_list(inv.channel)
    if not saved:
        return Reply(
            text="This channel's reading list is empty: Save on a post's paper, or "
            "`/papers save <arxiv id>`, adds one."
        )
    first = max(len(saved) - SHOWN_SAVES, 0)
    lines = [
        f"{n}. {named(paper)} · saved {when:%d %b %Y}"
        for n, (paper, when) in enumerate(saved[first:], start=first + 1)
    ]
    if first:
        lines.append(
            f"The {SHOWN_SAVES} newest of {len(saved):,}; "
            "`/papers reading-list export markdown` lists every one, a page at a time."
        )
    lines.append(
        "A channel manager takes one off with `/papers reading-list remove <number or arXiv id>`."
    )
    return Reply(text="\n".join(lines), title=f"Reading list · {_count(len(saved))}, newest last")


def _on_list(saved: list[tuple[Paper, datetime]], raw: str) -> tuple[Paper, str]:
    """The saved paper a number (as `reading-list` shows it) or an arXiv id names, and how the
    answer names it (`#2 ` or nothing); CommandError (one line) otherwise."""
    if raw.isascii() and raw.isdigit():
        number = int(raw)
        if not 1 <= number <= len(saved):
            raise CommandError(
                f"No paper #{echo(raw, 20)} on this channel's reading list: it has "
                f"{_count(len(saved))}."
            )
        return saved[number - 1][0], f"#{number} "
    paper_id = normalize_id(raw)
    if paper_id is None:
        raise CommandError(
            f"`{echo(raw, 40)}` is neither a number on the reading list nor an arXiv id "
            "(they look like 2410.17243)."
        )
    paper = next((p for p, _ in saved if p.id == paper_id), None)
    if paper is None:
        raise CommandError(f"{paper_id} is not on this channel's reading list.")
    return paper, ""


def reading_list_remove(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Take a paper off the list: by its number, as `reading-list` shows it, or its arXiv id
    (which names it even after the numbers moved)."""
    saved = handlers.repo.reading_list(inv.channel)
    paper, label = _on_list(saved, str(args["paper"]).strip().lstrip("#"))
    handlers.repo.remove_saved(inv.channel, paper.id)
    left = _count(len(handlers.repo.reading_list(inv.channel)))
    return Reply(text=f"Removed {label}{named(paper)} from the reading list: {left} left.")


def reading_list_export(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """One page of the reading list as Markdown or BibTeX, in one code block that fits one
    chat message; the opening line says which page and how to get the next."""
    shape = str(args["format"])
    label, filename, (one, many) = FORMATS[shape]
    papers = [paper for paper, _ in handlers.repo.reading_list(inv.channel)]
    if not papers:
        return Reply(text="This channel's reading list is empty: nothing to export yet.")
    pages = export_pages(papers, shape)
    number = int(args.get("page") or 1)
    if number > len(pages):
        raise CommandError(
            f"The {label} export has {len(pages)} page{'' if len(pages) == 1 else 's'} "
            f"({len(papers):,} {one if len(papers) == 1 else many}); there is no page {number}."
        )
    page = pages[number - 1]
    return Reply(
        text=f"{_export_line(page, number, len(pages), len(papers), shape)}\n"
        f"{fenced(page.content)}",
        extra={
            "format": shape,
            "filename": filename,
            "content": page.content,
            "page": number,
            "pages": len(pages),
        },
    )


def _export_line(page: ExportPage, number: int, pages: int, total: int, shape: str) -> str:
    """`Reading list as BibTeX, page 1 of 4 (entries 1-12 of 45): `/papers reading-list export
    bibtex 2` for the next.`, or for a list on one page `Reading list as BibTeX (2 entries):`."""
    label, _, (one, many) = FORMATS[shape]
    note = f"; {page.shortened:,} shortened to fit, authors or title cut" if page.shortened else ""
    if pages == 1:
        return f"Reading list as {label} ({total:,} {one if total == 1 else many}{note}):"
    span = (
        f"{one} {page.first:,}"
        if page.first == page.last
        else f"{many} {page.first:,}-{page.last:,}"
    )
    line = f"Reading list as {label}, page {number} of {pages} ({span} of {total:,}{note})"
    if number < pages:
        return f"{line}: `/papers reading-list export {shape} {number + 1}` for the next."
    return f"{line}:"


def clicks_effect(handlers: Handlers, inv: Invocation) -> str:
    """What the channel's clicks change, in words, and how many of the newest day's top
    papers they move."""
    liking = channel_taste(handlers.repo, inv.channel, handlers.core.clock())
    text = describe(liking)
    days = handlers.repo.recent_days(1)
    if liking is None or not days:
        return text
    schedule = handlers.core.schedule(inv.channel, DIGEST_KIND)
    query = digest_filter(schedule)
    plain, _ = ranked(handlers.repo, schedule, days, schedule.size, query, None)
    nudged, _ = ranked(handlers.repo, schedule, days, schedule.size, query, liking)
    shifted = moved(plain, nudged)
    return text + (
        f" On {days[0]:%a %d %b} they move {shifted or 'none'} of the top {_count(len(nudged))}."
    )
