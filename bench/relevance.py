"""Relevance of search on real Daily Papers: paperboy's ranking against bare FTS5 BM25.

    .venv/bin/python bench/relevance.py
    .venv/bin/python bench/relevance.py --show-misses 10

The papers are every real `/api/daily_papers` body in `../shared/hf_real` (read from there,
never copied into the repository). Three query sets are made from them, with a fixed seed:

- known item, 3 title words: three distinct content words of a paper's title, in random order,
  the way a reader half-remembers a title; the paper is the one wanted;
- known item, name: the part of a title before its colon (`VideoMamba`, `LLaVA-OneVision`)
  when it is at most four words and names exactly one paper;
- title word: a single word that occurs in 3 to 40 titles; judged by title precision@3, the
  share of the top 3 that have the word in their title.

Rankers: paperboy (`storage.search.search`, as the service calls it) and the bare FTS5 query
`SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY bm25(…) LIMIT 10` with equal
column weights and with the title weighted ×10, on the same MATCH expression.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import DEFAULT_SEED, console
from _real import REAL_DIR, real_papers
from rich.table import Table

from bot.domain import Paper
from bot.domain.query import Query
from bot.query.parse import QueryError, parse
from bot.query.text import tokenize
from storage.fts import to_fts
from storage.search import search
from storage.store import Store

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "or",
        "in",
        "on",
        "with",
        "to",
        "via",
        "from",
        "by",
        "at",
        "is",
        "are",
        "as",
        "its",
        "it",
        "into",
        "through",
        "towards",
        "toward",
        "using",
        "use",
        "your",
        "you",
        "we",
        "our",
        "can",
        "do",
        "does",
        "how",
        "what",
        "when",
        "why",
        "not",
        "all",
        "be",
        "than",
        "that",
        "this",
        "these",
        "those",
        "over",
        "under",
        "beyond",
        "without",
        "vs",
        "versus",
        "based",
        "new",
        "one",
        "two",
    ]
)
_EDGES = ",.:;!?()[]{}\"'“”‘’"
TITLE_WORD_RANGE = (3, 40)
Ranker = Callable[[Query], list[str]]


@dataclass(frozen=True)
class KnownItem:
    """A query and the one paper it is looking for."""

    query: str
    target: str


def content_words(title: str) -> list[str]:
    """The title's words a reader might remember: no stopwords, no one-letter words."""
    seen: dict[str, str] = {}
    for word in (w.strip(_EDGES) for w in title.split()):
        if len(word) > 2 and word.lower() not in STOPWORDS and tokenize(word):
            seen.setdefault(word.lower(), word)
    return list(seen.values())


def three_word_queries(papers: list[Paper], rng: random.Random) -> list[KnownItem]:
    """Three content words of each title (titles with at least three)."""
    items = []
    for p in papers:
        words = content_words(p.title)
        if len(words) >= 3:
            items.append(KnownItem(" ".join(rng.sample(words, 3)), p.id))
    return items


def name_queries(papers: list[Paper]) -> list[KnownItem]:
    """The name before a title's colon, when it names exactly one paper."""
    names: dict[tuple[str, ...], list[Paper]] = {}
    for p in papers:
        head, colon, _ = p.title.partition(":")
        if colon and 1 <= len(head.split()) <= 4 and tokenize(head):
            names.setdefault(tuple(tokenize(head)), []).append(p)
    return [
        KnownItem(ps[0].title.partition(":")[0].strip(), ps[0].id)
        for ps in names.values()
        if len(ps) == 1
    ]


def title_word_queries(papers: list[Paper]) -> list[tuple[str, str]]:
    """(word, its token) for words in 3-40 titles, each token once."""
    titles: dict[str, set[str]] = {}
    spelling: dict[str, str] = {}
    for p in papers:
        for word in content_words(p.title):
            tokens = tokenize(word)
            if len(tokens) == 1:
                titles.setdefault(tokens[0], set()).add(p.id)
                spelling.setdefault(tokens[0], word.lower())
    lo, hi = TITLE_WORD_RANGE
    return sorted((spelling[t], t) for t, ids in titles.items() if lo <= len(ids) <= hi)


def bare(store: Store, weights: tuple[float, ...]) -> Ranker:
    """The bare FTS5 query with these bm25 column weights."""
    w = ", ".join(str(x) for x in weights)
    sql = (
        f"SELECT p.id FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid "
        f"WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts, {w}) LIMIT 10"
    )
    return lambda q: [r[0] for r in store.db.execute(sql, [to_fts(q.root)]).fetchall()]


def paperboy(store: Store) -> Ranker:
    """paperboy's search as the service calls it."""
    return lambda q: [h.paper.id for h in search(store.db, q, limit=10)]


@dataclass
class Scores:
    """Known-item figures for one ranker on one query set."""

    rr: float = 0.0
    at1: int = 0
    at3: int = 0
    n: int = 0

    def add(self, rank: int | None) -> None:
        """Count one query whose target came at `rank` (1-based), None when not in the top 10."""
        self.n += 1
        if rank is not None:
            self.rr += 1 / rank
            self.at1 += rank == 1
            self.at3 += rank <= 3


def known_item(ranker: Ranker, items: list[KnownItem], misses: list[str] | None) -> Scores:
    """MRR@10 and success@1/@3 of a ranker."""
    scores = Scores()
    for item in items:
        try:
            got = ranker(parse(item.query))
        except QueryError:
            scores.add(None)
            continue
        rank = got.index(item.target) + 1 if item.target in got else None
        scores.add(rank)
        if misses is not None and rank != 1:
            misses.append(f"{item.query!r}: target {item.target} at {rank}, got {got[:3]}")
    return scores


def title_precision(
    ranker: Ranker,
    words: list[tuple[str, str]],
    titles: dict[str, set[str]],
    misses: list[str] | None,
) -> float:
    """Mean share of the top 3 whose title has the word."""
    total = 0.0
    for word, token in words:
        top = ranker(parse(word))[:3]
        good = sum(token in titles[pid] for pid in top)
        total += good / len(top) if top else 0.0
        if misses is not None and top and good < len(top):
            misses.append(f"{word!r}: {good}/{len(top)} titled")
    return total / len(words) if words else 0.0


def main() -> int:
    """Print the relevance table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--show-misses",
        type=int,
        default=0,
        metavar="N",
        help="print up to N queries per set where paperboy misses rank 1",
    )
    args = ap.parse_args()
    out = console()
    papers = real_papers()
    if not papers:
        out.print(f"no real payloads in {REAL_DIR}: nothing to measure")
        return 0
    rng = random.Random(args.seed)
    three, names, words = (
        three_word_queries(papers, rng),
        name_queries(papers),
        title_word_queries(papers),
    )
    titles = {p.id: set(tokenize(p.title)) for p in papers}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "relevance.db")
        store.upsert_papers(papers)
        rankers = {
            "paperboy": paperboy(store),
            "bare bm25, equal weights": bare(store, (1.0, 1.0, 1.0, 1.0)),
            "bare bm25, title ×10": bare(store, (10.0, 1.0, 1.0, 1.0)),
        }
        table = Table(title=f"Relevance on {len(papers):,} real papers")
        for col in (
            "ranker",
            f"3 title words ({len(three)}): MRR@10",
            "success@1",
            "success@3",
            f"name ({len(names)}): MRR@10",
            "success@1",
            "success@3",
            f"title word ({len(words)}): title P@3",
        ):
            table.add_column(col, justify="right")
        shown: dict[str, list[str]] = {}
        for name, ranker in rankers.items():
            track = name == "paperboy" and args.show_misses > 0
            m3: list[str] | None = [] if track else None
            mn: list[str] | None = [] if track else None
            mw: list[str] | None = [] if track else None
            a, b = known_item(ranker, three, m3), known_item(ranker, names, mn)
            p3 = title_precision(ranker, words, titles, mw)
            table.add_row(name, *_cells(a), *_cells(b), f"{p3:.1%}")
            if track:
                shown = {"3 title words": m3 or [], "name": mn or [], "title word": mw or []}
        store.close()
    out.print(table)
    for label, lines in shown.items():
        out.print(f"[bold]paperboy misses, {label}[/] ({len(lines)}):")
        for line in lines[: args.show_misses]:
            out.print("  " + line, markup=False)
    return 0


def _cells(s: Scores) -> list[str]:
    return [f"{s.rr / s.n:.3f}", f"{s.at1 / s.n:.1%}", f"{s.at3 / s.n:.1%}"]


if __name__ == "__main__":
    sys.exit(main())
