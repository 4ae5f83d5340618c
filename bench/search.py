"""Search speed at archive scale: paperboy's search against the bare FTS5 query, per class.

    .venv/bin/python bench/search.py                       # 20,000 papers (CI-sized)
    .venv/bin/python bench/search.py --papers 100000 --db /tmp/zipf-100k.db
    .venv/bin/python bench/search.py --papers 1000000 --db /tmp/zipf-1m.db

The archive is `bench/corpus.py`'s Zipf papers in a real SQLite file, stored as the app
stores them (a day's batch per `upsert_papers`). `--db` keeps the file for the next run. 50
fixed queries in 10 classes are timed, each in turn with its bare FTS5 query, in the same
run:

- paperboy: `Store.search(parse(text), limit=10)`, as the service calls it (parsing, ranking,
  fetching the ten papers and their snippets);
- bare: `SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts, 10,
  1, 1, 1) LIMIT 10` on the query's own MATCH (excluded words with FTS5's NOT), joined to
  `papers` for filters, and for queries without words, `papers` ordered by upvotes.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import console, environment, ms
from corpus import PER_DAY, ZipfCorpus
from rich.table import Table

from bot.query.parse import parse
from storage.store import Store

BARE_BM25 = "bm25(papers_fts, 10.0, 1.0, 1.0, 1.0)"


@dataclass(frozen=True)
class Case:
    """One benchmark query: its class, the user's text, and its bare FTS5 equivalent."""

    kind: str
    text: str
    match: str | None  # the bare MATCH; None for a query without words
    filters: str = ""  # SQL over `papers p` for the bare query


def cases(words: list[str], titles: list[str]) -> list[Case]:
    """The 50 queries, made from the corpus's vocabulary (by frequency rank) and titles."""
    w = words

    def q(*ws: str) -> str:
        return " AND ".join(f'"{x}"' for x in ws)

    out: list[Case] = []
    for r in (0, 2, 5, 10, 20):
        out.append(Case("common word", w[r], q(w[r])))
    for r in (100, 300, 1000, 3000, 10000):
        out.append(Case("rarer word", w[r], q(w[r])))
    for a, b in ((0, 1), (2, 50), (5, 500), (30, 3000), (100, 200)):
        out.append(Case("two words", f"{w[a]} {w[b]}", q(w[a], w[b])))
    for a, b in ((0, 1), (2, 3), (4, 12), (10, 40), (60, 80)):
        out.append(Case("phrase", f'"{w[a]} {w[b]}"', f'"{w[a]} {w[b]}"'))
    for a, b in ((0, 1), (3, 900), (200, 400), (1000, 2000), (5, 5000)):
        out.append(Case("OR", f"{w[a]} OR {w[b]}", f'("{w[a]}" OR "{w[b]}")'))
    for a, b in ((0, 1), (3, 9), (100, 0), (300, 5), (20, 40)):
        out.append(Case("NOT", f"{w[a]} -{w[b]}", f'"{w[a]}" NOT "{w[b]}"'))
    for text, match in (
        (f"title:{w[0]}", f'title : "{w[0]}"'),
        (f"title:{w[150]}", f'title : "{w[150]}"'),
        (f"abstract:{w[40]}", f'summary : "{w[40]}"'),
        ('author:"Wei Zhang"', 'authors_text : "Wei Zhang"'),
        (f'{w[2]} author:"Maria Garcia"', f'"{w[2]}" AND authors_text : "Maria Garcia"'),
    ):
        out.append(Case("field", text, match))
    filtered: tuple[tuple[str, str | None, str], ...] = (
        (f"{w[0]} upvotes:>=20", q(w[0]), "p.upvotes >= 20"),
        (f"{w[8]} has:code", q(w[8]), _CODE),
        (f"{w[500]} upvotes:>=5", q(w[500]), "p.upvotes >= 5"),
        ("upvotes:>=50 has:code", None, f"p.upvotes >= 50 AND {_CODE}"),
        ("upvotes:>=100", None, "p.upvotes >= 100"),
    )
    for text, bare_match, filters in filtered:
        out.append(Case("filters", text, bare_match, filters))
    for title in titles[:5]:
        picked = [t for t in title.lower().split() if t not in w[:30]][:3]
        out.append(Case("known item", " ".join(picked), q(*picked)))
    long = [w[i] for i in (0, 3, 7, 12, 25, 40, 70, 120)]
    out.append(Case("long", " ".join(long[:4]), q(*long[:4])))
    out.append(Case("long", " ".join(long), q(*long)))
    out.append(Case("long", " OR ".join(long), "(" + " OR ".join(f'"{x}"' for x in long) + ")"))
    out.append(Case("long", " ".join(long[4:]), q(*long[4:])))
    out.append(
        Case(
            "long",
            " OR ".join(w[i] for i in range(200, 220)),
            "(" + " OR ".join(f'"{w[i]}"' for i in range(200, 220)) + ")",
        )
    )
    return out


_CODE = "(p.github_repo IS NOT NULL AND p.github_repo != '')"


def bare_sql(case: Case) -> tuple[str, list[str]]:
    """The bare query for a case and its parameters."""
    if case.match is None:
        return (
            f"SELECT p.pk FROM papers p WHERE {case.filters} ORDER BY p.upvotes DESC LIMIT 10"
        ), []
    if case.filters:
        return (
            f"SELECT p.pk FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid "
            f"WHERE papers_fts MATCH ? AND {case.filters} ORDER BY {BARE_BM25} LIMIT 10",
            [case.match],
        )
    return (
        f"SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY {BARE_BM25} LIMIT 10",
        [case.match],
    )


def build(path: Path, papers: int, corpus: ZipfCorpus) -> tuple[Store, float | None]:
    """Open (and fill up to `papers`) the archive; the seconds spent storing, if any."""
    store = Store(path)
    have = store.count_papers()
    if have > papers:
        raise SystemExit(f"{path} holds {have:,} papers, more than --papers {papers:,}")
    if have == papers:
        return store, None
    spent = 0.0
    batch = PER_DAY * 20
    for start in range(have, papers, batch):
        chunk = corpus.make(min(batch, papers - start), start)
        began = time.perf_counter()
        store.upsert_papers(chunk)
        spent += time.perf_counter() - began
        print(f"\r  stored {start + len(chunk):,} / {papers:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    began = time.perf_counter()
    store.optimize_search()  # as paperboy does after a backfill and every night
    spent += time.perf_counter() - began
    return store, spent


def pct(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main() -> int:
    """Build or open the archive, time every case, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=20_000)
    ap.add_argument("--db", type=Path, help="keep the archive in this file (reused when it exists)")
    ap.add_argument("--runs", type=int, default=15, help="timed runs of each query")
    args = ap.parse_args()
    out = console()
    corpus = ZipfCorpus()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "search.db"
        store, spent = build(path, args.papers, corpus)
        if spent is not None:
            out.print(
                f"stored {args.papers:,} papers in {spent:.1f} s "
                f"({args.papers / spent:,.0f} papers/s)"
            )
        titles = [corpus.paper(i).title for i in range(7, args.papers, args.papers // 5)]
        table = run(store, cases(corpus.words, titles), args.runs, args.papers)
        store.close()
    out.print(table)
    out.print(environment())
    return 0


def run(store: Store, all_cases: list[Case], runs: int, papers: int) -> Table:
    """Time every case against its bare query, interleaved; one row per class and overall."""
    ours: dict[str, list[float]] = {}
    bare: dict[str, list[float]] = {}
    worst: dict[str, tuple[float, str]] = {}
    for case in all_cases:
        query_text = case.text
        sql, params = bare_sql(case)
        store.search(parse(query_text), limit=10)  # warm the page cache for both
        store.db.execute(sql, params).fetchall()
        mine: list[float] = []
        for _ in range(runs):
            began = time.perf_counter()
            store.search(parse(query_text), limit=10)
            mine.append(time.perf_counter() - began)
            began = time.perf_counter()
            store.db.execute(sql, params).fetchall()
            bare.setdefault(case.kind, []).append(time.perf_counter() - began)
        ours.setdefault(case.kind, []).extend(mine)
        med = sorted(mine)[len(mine) // 2]
        if med > worst.get(case.kind, (0.0, ""))[0]:
            worst[case.kind] = (med, query_text)
    ours["all"] = [x for k in list(ours) for x in ours[k]]
    bare["all"] = [x for k in list(bare) if k != "all" for x in bare[k]]
    table = Table(
        title=f"Search at {papers:,} papers: paperboy vs the bare FTS5 query "
        f"({runs} runs of each query, ms)"
    )
    for col in (
        "class",
        "queries",
        "paperboy p50",
        "p95",
        "p99",
        "bare p50",
        "p95",
        "p99",
        "p95 ratio",
        "slowest query (paperboy median)",
    ):
        table.add_column(col, justify="right")
    for kind, samples in ours.items():
        b = bare[kind]
        n = len(samples) // runs
        slow = worst.get(kind)
        table.add_row(
            kind,
            str(n),
            ms(pct(samples, 0.5)),
            ms(pct(samples, 0.95)),
            ms(pct(samples, 0.99)),
            ms(pct(b, 0.5)),
            ms(pct(b, 0.95)),
            ms(pct(b, 0.99)),
            f"{pct(samples, 0.95) / pct(b, 0.95):.2f}",
            f"{slow[1][:40]} ({ms(slow[0])})" if slow else "",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
