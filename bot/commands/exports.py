"""A reading list as Markdown or BibTeX (pure functions)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from bot.domain import Paper

# The authors a Markdown line names before "et al." (BibTeX names every one).
MARKDOWN_AUTHORS = 8
# What goes between two entries.
BIBTEX_JOIN = "\n\n"
MARKDOWN_JOIN = "\n"
# LaTeX's special characters inside a braced BibTeX value, as LaTeX text commands. Braces are
# commands too: BibTeX counts a brace even after a backslash, so `\{` would unbalance a value.
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Pairs LaTeX fonts turn into one glyph (-- is a dash, `` a quote, !` is ¡): an empty group
# between them keeps the characters as typed.
_LIGATURES = frozenset({"--", "``", "''", "!`", "?`", ",,", "<<", ">>"})
# BibTeX splits an author list at " and " (any case) outside braces: a name holding one, a
# comma (read as "Last, First") or a LaTeX command is braced whole.
_AND = re.compile(r"\sand\s", re.IGNORECASE)
# Markdown's punctuation that can format or link inside a list item's text (CommonMark lets a
# backslash escape any of it): emphasis, code, links, HTML and entities, GFM's ~ and |, and
# the $ of renderers with math.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>&~|$])")
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")
_OLD_ID = re.compile(r"[a-z\-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}")


def plain(text: str) -> str:
    """Text on one line: control characters dropped, whitespace runs as one space."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\t\n\r")
    return " ".join(kept.split())


def latex(text: str) -> str:
    """Text as a braced BibTeX value spells it: specials as LaTeX commands, unicode kept."""
    out: list[str] = []
    previous = ""
    for ch in plain(text):
        if previous + ch in _LIGATURES:
            out.append("{}")
        out.append(_LATEX.get(ch, ch))
        previous = ch
    return "".join(out)


def bibtex_name(name: str) -> str:
    """One author for an `author` list: braced whole when BibTeX would split or turn it."""
    flat = plain(name)
    escaped = latex(flat)
    whole = "," in flat or escaped != flat or _AND.search(f" {flat} ")
    return f"{{{escaped}}}" if whole else escaped


def cite_key(paper_id: str) -> str:
    """A citation key from an arXiv id: `2401.12345` -> `arxiv2401_12345`."""
    return "arxiv" + re.sub(r"[^A-Za-z0-9]", "_", paper_id)


def year(paper: Paper) -> int:
    """The year of the paper's first arXiv version (from its id), else of its publication."""
    match = _NEW_ID.fullmatch(paper.id) or _OLD_ID.fullmatch(paper.id)
    if match:
        yy = int(match.group(1))
        return (2000 if yy < 91 else 1900) + yy
    return (paper.published_at or datetime.combine(paper.day, datetime.min.time())).year


def cite_keys(papers: Sequence[Paper]) -> list[str]:
    """One unique citation key per paper, in order (a repeat gets `_2`, `_3`, ...)."""
    keys: list[str] = []
    used: set[str] = set()
    for paper in papers:
        key = cite_key(paper.id)
        n = 1
        while key in used:  # two ids that read the same once cleaned
            n += 1
            key = f"{cite_key(paper.id)}_{n}"
        used.add(key)
        keys.append(key)
    return keys


def authors_of(paper: Paper) -> list[str]:
    """The paper's authors that are more than blanks."""
    return [a for a in paper.authors if plain(a)]


def _clipped(title: str, chars: int | None) -> str:
    flat = plain(title)
    return flat if chars is None or len(flat) <= chars else flat[:chars].rstrip() + "…"


def bibtex_entry(
    paper: Paper, key: str, authors: int | None = None, title: int | None = None
) -> str:
    """One `@misc` entry; `authors` names only the first few (then BibTeX's `others`, unless
    it is 0), `title` clips the title to that many characters."""
    names = authors_of(paper)
    shown = [bibtex_name(a) for a in names[:authors]]
    if shown and len(shown) < len(names):
        shown.append("others")  # BibTeX's own "et al."
    fields = [
        ("title", f"{{{latex(_clipped(paper.title, title))}}}"),  # braced again: styles keep case
        *([("author", " and ".join(shown))] if shown else []),
        ("year", str(year(paper))),
        ("eprint", latex(paper.id)),
        ("archivePrefix", "arXiv"),
        ("url", paper.arxiv_url),  # verbatim (the url package): ids are letters, digits, . / -
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def bibtex(papers: Sequence[Paper]) -> str:
    """`@misc` entries with arXiv's eprint fields, one unique key each."""
    return BIBTEX_JOIN.join(
        bibtex_entry(paper, key) for paper, key in zip(papers, cite_keys(papers), strict=True)
    )


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", plain(text))


def markdown_line(paper: Paper, authors: int = MARKDOWN_AUTHORS, title: int | None = None) -> str:
    """One list item: the title linked to its Hugging Face page, the first `authors` authors
    (then "et al.", unless it is 0), arXiv, the day; `title` clips the title."""
    names = [plain(a) for a in authors_of(paper)]
    shown = ", ".join(_md(a) for a in names[:authors])
    if shown and len(names) > authors:
        shown += " et al."
    parts = [
        f"- [{_md(_clipped(paper.title, title))}]({paper.url})",
        *([shown] if shown else []),
        f"[arXiv:{paper.id}]({paper.arxiv_url})",
        f"{paper.day:%Y-%m-%d}",
    ]
    return " · ".join(parts)


def markdown(papers: Sequence[Paper]) -> str:
    """A Markdown list: the title linked to its Hugging Face page, authors, arXiv, the day."""
    return MARKDOWN_JOIN.join(markdown_line(paper) for paper in papers)


def fenced(text: str) -> str:
    """`text` in one fenced code block, its fence longer than any run of backticks inside."""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}\n{text}\n{fence}"
