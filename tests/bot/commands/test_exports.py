"""Reading-list exports: BibTeX that a BibTeX parser reads back to the same ids, titles and
authors whatever they hold, and Markdown whose titles cannot format or link."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from bot.commands.exports import bibtex, cite_key, fenced, markdown, year
from bot.domain import Paper
from tests.helpers import make_paper

# pylatexenc reads \textasciicircum as U+02C6 (a modifier letter) and does not know the brace
# commands; LaTeX prints ^ { } for them (the LaTeX kernel's text commands).
_CONTEXT = get_default_latex_context_db()
_CONTEXT.add_context_category(
    "latex-text-symbols",
    prepend=True,
    macros=[
        MacroTextSpec("textasciicircum", "^"),
        MacroTextSpec("textbraceleft", "{"),
        MacroTextSpec("textbraceright", "}"),
    ],
)
DECODE = LatexNodes2Text(latex_context=_CONTEXT, keep_braced_groups=False, math_mode="verbatim")


def _read(text: str) -> list[tuple[str, str, str, list[str]]]:
    """(key, eprint, title, authors) of each entry, as bibtexparser and LaTeX read them."""
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), LatexDecodingMiddleware(decoder=DECODE)]
    )
    assert library.failed_blocks == []
    return [
        (
            e.key,
            e["eprint"],
            e["title"],
            [DECODE.latex_to_text(a) for a in e.fields_dict["author"].value]
            if "author" in e.fields_dict
            else [],
        )
        for e in library.entries
    ]


def _flat(text: str) -> str:
    return " ".join(text.split())


# Text that breaks naive exports: LaTeX and BibTeX specials, ligatures, "and" between names,
# commas, braces, Markdown, mentions, unicode and whitespace runs.
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(list("\\{}&%#_$~^`'!?,<>-\"@=() \t\n*[]|")),
        st.sampled_from([" and ", " AND ", "--", "---", "``", "''", "!`", "{}", "\\\\", "@misc{"]),
        st.characters(exclude_categories=("Cs", "Cc")),
    ),
    max_size=30,
).map("".join)
IDS = st.from_regex(r"2[0-9]{3}\.[0-9]{5}", fullmatch=True)


def _paper(paper_id: str, title: str, authors: list[str]) -> Paper:
    return replace(
        make_paper(paper_id, "2026-11-25", 3, title=title or " "), authors=tuple(authors)
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(IDS, HOSTILE, st.lists(HOSTILE, max_size=5)), max_size=6, unique_by=lambda t: t[0]
    )
)
def test_bibtex_parses_back_to_the_same_ids_titles_and_authors(
    entries: list[tuple[str, str, list[str]]],
) -> None:
    papers = [_paper(*e) for e in entries]
    read = _read(bibtex(papers))
    assert len(read) == len(papers)
    assert len({key for key, *_ in read}) == len(read)  # one key each
    for (key, eprint, title, authors), paper in zip(read, papers, strict=True):
        assert (key, eprint) == (cite_key(paper.id), paper.id)
        assert _flat(title) == _flat(paper.title)
        assert [_flat(a) for a in authors] == [_flat(a) for a in paper.authors if _flat(a)]


def test_an_entry_has_the_arxiv_eprint_fields_and_no_invented_class() -> None:
    paper = _paper(
        "2401.12345", "Mamba & friends: 100% {linear} #2", ["Ada Lovelace", "Tom and Jerry"]
    )
    text = bibtex([paper])
    assert text.startswith("@misc{arxiv2401_12345,\n")
    for line in (
        "  title = {{Mamba \\& friends: 100\\% \\textbraceleft{}linear\\textbraceright{} \\#2}},",
        "  author = {Ada Lovelace and {Tom and Jerry}},",
        "  year = {2024},",
        "  eprint = {2401.12345},",
        "  archivePrefix = {arXiv},",
        "  url = {https://arxiv.org/abs/2401.12345}",
    ):
        assert line in text.splitlines()
    assert "primaryClass" not in text
    [(_, _, title, authors)] = _read(text)
    assert title == paper.title and authors == ["Ada Lovelace", "Tom and Jerry"]


def test_ligatures_and_unicode_are_kept_as_typed() -> None:
    paper = _paper("2401.00001", "Ünïcødé — 你好: a--b ``q'' ¿?`", ["Élodie Ö", "Smith, Jr., John"])
    [(_, _, title, authors)] = _read(bibtex([paper]))
    assert title == paper.title
    assert authors == ["Élodie Ö", "Smith, Jr., John"]


def test_the_year_comes_from_the_arxiv_id() -> None:
    assert year(_paper("2401.12345", "x", [])) == 2024
    assert year(_paper("0704.0001", "x", [])) == 2007
    assert year(make_paper("hep-th/9901001", date(2026, 1, 1))) == 1999


def test_markdown_links_each_title_and_escapes_what_could_format() -> None:
    paper = _paper(
        "2401.12345",
        "*Bold* [link](https://e.vil) <b>x</b> `code` $x$",
        [f"Author {i}" for i in range(10)],
    )
    [line] = markdown([paper]).splitlines()
    assert line.startswith(
        "- [\\*Bold\\* \\[link\\](https://e.vil) \\<b\\>x\\</b\\> \\`code\\` \\$x\\$]"
        "(https://huggingface.co/papers/2401.12345) · Author 0, "
    )
    assert "Author 7 et al. · " in line and "Author 8" not in line
    assert line.endswith(" · [arXiv:2401.12345](https://arxiv.org/abs/2401.12345) · 2026-11-25")


def test_a_fence_is_longer_than_any_backticks_inside() -> None:
    assert fenced("plain") == "```\nplain\n```"
    assert fenced("a ```` b") == "`````\na ```` b\n`````"
