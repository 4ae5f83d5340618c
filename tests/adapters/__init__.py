"""Shared by the adapter tests: the sample paper their renderers and cards are shown, and
the hostile papers and links the render properties draw and check."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import unquote

from hypothesis import strategies as st

from bot.domain import Paper

FRIDAY = date(2026, 11, 27)
AUTHORS = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra")


def paper(pid: str = "2411.00001", **extra: Any) -> Paper:
    """A well-upvoted paper of FRIDAY by four AUTHORS; `extra` sets or overrides any field."""
    fields: dict[str, Any] = {
        "title": "Video diffusion at scale",
        "summary": "We scale video generation.",
        "authors": AUTHORS,
        "upvotes": 1234,
        "comments": 5,
        "day": FRIDAY,
        **extra,
    }
    return Paper(id=pid, **fields)


def hostile_papers(
    field: st.SearchStrategy[str],
) -> Callable[[int], st.SearchStrategy[list[Paper]]]:
    """`papers(n)`: n papers of FRIDAY whose every text field is drawn from `field`."""

    @st.composite
    def papers(draw: st.DrawFn, n: int) -> list[Paper]:
        return [
            Paper(
                id=f"2411.{i:05d}",
                title=draw(field),
                summary=draw(field),
                authors=tuple(draw(st.lists(field, max_size=6))),
                upvotes=draw(st.integers(0, 10**6)),
                comments=draw(st.integers(0, 10**4)),
                day=FRIDAY,
                ai_summary=draw(st.one_of(st.none(), st.just(""), field)),
                github_repo=draw(st.one_of(st.none(), st.just("https://github.com/a/b"), field)),
                github_stars=draw(st.one_of(st.none(), st.integers(0, 10**6))),
                project_page=draw(
                    st.one_of(st.none(), st.builds("https://x.org/{}".format, field))
                ),
                organization=draw(st.one_of(st.none(), field)),
                thumbnail=draw(
                    st.one_of(st.none(), st.builds("https://t.org/{}.png".format, field))
                ),
            )
            for i in range(n)
        ]

    return papers


def paper_links(ps: list[Paper]) -> set[str]:
    """The links paperboy puts under the papers, unquoted: arXiv, PDF, code, project page."""
    found = set()
    for p in ps:
        repo = (p.github_repo or "").strip()
        if re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            repo = f"https://github.com/{repo}"
        found |= {p.arxiv_url, p.pdf_url, repo, (p.project_page or "").strip()}
    return {unquote(url) for url in found if url}
