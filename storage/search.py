"""Search the paper archive with a parsed query: title tiers, BM25, an upvote prior.

`storage.ranking` plans the query: its MATCH, its SQL filters, its title tiers. Most queries
match few papers: they are read in one pass over the match, each scored by bm25 (title ×10)
minus a small upvote prior and put in its title tier, best tier first. A query whose words
are common (it matches more than `BIG_SHARE` of the archive, and at least `BIG_MIN` papers)
would be scored paper by paper like that for tens of milliseconds, so its tiers are read
best first from `titles_fts` (titles alone, ~10 tokens a paper) and search stops once the
page is full; a tier that big is ordered by upvotes, read down the narrow `paper_rank`
table's index: its words are so common that bm25 tells its papers apart by length alone.
Then the page's papers and their snippets are fetched, so snippet() runs at most `limit`
times.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlite_utils

from bot.domain import SearchHit
from bot.domain.query import Query
from storage.papers import row_to_paper
from storage.ranking import BM25_WEIGHTS, UPVOTE_PRIOR, SearchPlan, plan

BIG_MIN = 2_000
BIG_SHARE = 0.05
# Reading a big tier down the upvotes index gives up after PROBE_FACTOR rows per paper
# wanted (its papers are sparser there than its size said) and reads the tier whole.
PROBE_FACTOR = 12
SNIPPET_TOKENS = 16

_BM25 = f"bm25(papers_fts, {', '.join(str(w) for w in BM25_WEIGHTS)})"
_PRIOR = f"{UPVOTE_PRIOR} * ln(1 + max(r.upvotes, 0))"
_TIES = "r.upvotes DESC, r.day DESC, r.id"  # after the score; id is unique
_JSON = "(SELECT value FROM json_each(?))"  # a JSON array, one parameter
MAIN, TITLES = "papers_fts", "titles_fts"

Row = tuple[int, float | None]  # (pk, bm25 score or None where a tier is ordered by upvotes)


def _member(table: str) -> str:
    """SQL: paper r.pk matches `?` in this FTS5 table."""
    return f"EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH ? AND rowid = r.pk)"


class _Scope:
    """What every step of one search shares: the filters and the archive's size."""

    def __init__(self, db: sqlite_utils.Database, p: SearchPlan,
                 days: Iterable[date] | None) -> None:
        self.db = db
        self.where = [p.where] if p.where else []
        self.params = list(p.params)
        self.span: tuple[int, int] | None = None
        if days is not None:
            on = json.dumps(sorted({d.isoformat() for d in days}))
            # A day's papers are stored together, so their pks are a narrow range that FTS5
            # can seek to instead of walking every match.
            lo, hi = db.execute(f"SELECT min(pk), max(pk) FROM paper_rank WHERE day IN {_JSON}",
                                [on]).fetchone()
            self.span = (lo or 0, hi or -1)
            self.where.append(f"r.day IN {_JSON}")
            self.params.append(on)
        size = db.execute("SELECT max(pk) FROM paper_rank").fetchone()[0] or 0
        self.big = max(BIG_MIN, math.ceil(BIG_SHARE * size))

    def filters(self) -> tuple[str, list[Any]]:
        """' AND …' for the filters, and their parameters."""
        return "".join(f" AND {c}" for c in self.where), list(self.params)

    def fts_span(self, table: str) -> tuple[str, list[Any]]:
        """' AND rowid BETWEEN …' on an FTS5 table when a day filter narrows the pks."""
        if self.span is None:
            return "", []
        return f" AND {table}.rowid BETWEEN ? AND ?", list(self.span)

    def is_big(self, match: str, table: str = MAIN) -> bool:
        """True when `match` has at least `big` papers (counted no further than that)."""
        if self.span is not None:
            return False  # a few days' papers: always few enough to score
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)"
        return int(self.db.execute(sql, [match, self.big]).fetchone()[0]) >= self.big

    def scored(self, match: str, need: int, table: str = MAIN) -> list[Row]:
        """The best `need` papers of `match` passing the filters, by bm25 and the prior."""
        bm25 = _BM25 if table == MAIN else f"bm25({table})"
        return self._read(table, match, need, f"{bm25} - {_PRIOR}")

    def upvoted(self, match: str, need: int, table: str = MAIN,
                also: tuple[str, str] | None = None) -> list[Row]:
        """The `need` most upvoted papers of `match` (and of `also`, a (table, match)) that
        pass the filters: down the upvotes index while they are dense there, else read whole."""
        checks = [(table, match), *([also] if also else [])]
        probed = self._probe(checks, need)
        if probed is not None:
            return probed
        if also is not None:  # a title condition and the whole match: one MATCH on papers_fts
            table, match = MAIN, f"({also[1]}) AND ({match})"
        return self._read(table, match, need, None)

    def _probe(self, checks: list[tuple[str, str]], need: int) -> list[Row] | None:
        """Walk the upvotes index testing each paper; None when the budget ran out first."""
        filters, params = self.filters()
        test = " AND ".join(_member(table) for table, _ in checks)
        budget = PROBE_FACTOR * need
        sql = (f"SELECT r.pk, {test} FROM paper_rank r WHERE 1{filters} "
               f"ORDER BY {_TIES} LIMIT ?")
        found: list[Row] = []
        scanned = 0
        cursor = self.db.execute(sql, [*(m for _, m in checks), *params, budget])
        for pk, hit in cursor:
            scanned += 1
            if hit:
                found.append((pk, None))
                if len(found) == need:
                    break
        cursor.close()
        return found if len(found) == need or scanned < budget else None

    def _read(self, table: str, match: str, need: int, score: str | None) -> list[Row]:
        """Every paper of `match` on `table` passing the filters, the best `need` kept."""
        span, span_params = self.fts_span(table)
        filters, params = self.filters()
        select = score or "NULL"
        order = f"score, {_TIES}" if score else _TIES
        sql = (f"SELECT r.pk, {select} AS score FROM {table} "
               f"CROSS JOIN paper_rank r ON r.pk = {table}.rowid "
               f"WHERE {table} MATCH ?{span}{filters} ORDER BY {order} LIMIT ?")
        rows = self.db.execute(sql, [match, *span_params, *params, need]).fetchall()
        return [(pk, score) for pk, score in rows]

    def unranked(self, need: int, without: str | None = None) -> list[Row]:
        """The `need` most upvoted papers passing the filters (and not matching `without`)."""
        filters, params = self.filters()
        extra = f" AND NOT {_member(MAIN)}" if without else ""
        sql = (f"SELECT r.pk, NULL FROM paper_rank r WHERE 1{extra}{filters} "
               f"ORDER BY {_TIES} LIMIT ?")
        rows = self.db.execute(sql, [*([without] if without else []), *params, need])
        return [(pk, None) for pk, _ in rows.fetchall()]

    def tier(self, match: str, need: int) -> list[Row]:
        """The best `need` papers of a match with no title tiers."""
        return self.upvoted(match, need) if self.is_big(match) else self.scored(match, need)

    def tiered(self, p: SearchPlan, need: int) -> list[Row]:
        """The best `need` papers of a small match in one pass: by tier, then score."""
        span, span_params = self.fts_span(MAIN)
        own_span = span.replace(f"{MAIN}.", "")
        filters, params = self.filters()
        flags = " ".join(f"WHEN {MAIN}.rowid IN (SELECT rowid FROM {TITLES} WHERE "
                         f"{TITLES} MATCH ?{own_span}) THEN {i}" for i in range(len(p.titles)))
        sql = (f"SELECT r.pk, {_BM25} - {_PRIOR} AS score, CASE {flags} "
               f"ELSE {len(p.titles)} END AS tier FROM {MAIN} "
               f"CROSS JOIN paper_rank r ON r.pk = {MAIN}.rowid "
               f"WHERE {MAIN} MATCH ?{span}{filters} ORDER BY tier, score, {_TIES} LIMIT ?")
        flag_params = [x for t in p.titles for x in (t, *span_params)]
        rows = self.db.execute(sql, [*flag_params, p.rank, *span_params, *params, need])
        return [(pk, score) for pk, score, _ in rows.fetchall()]

    def common(self, p: SearchPlan, need: int) -> list[Row]:
        """The best `need` papers of a big match: title tiers best first, then the rest."""
        assert p.rank is not None
        rows: list[Row] = []
        better: str | None = None
        for title, exact in zip(p.titles, p.exact, strict=True):
            match = f"({title}) NOT ({better})" if better else title
            also = None if exact else (MAIN, p.rank)
            want = need - len(rows)
            if self.is_big(match, TITLES):
                rows += self.upvoted(match, want, TITLES, also)
            elif exact:
                rows += self.scored(match, want, TITLES)
            else:  # the title condition and the whole match, on papers_fts (title : …)
                rows += self.scored(f"({p.rank}) AND ({match})", want)
            better = title
            if len(rows) >= need:
                return rows
        rest = f"({p.rank}) NOT ({better})" if better else p.rank
        return rows + self.upvoted(rest, need - len(rows))


def _ranked(scope: _Scope, p: SearchPlan, want: int) -> list[Row]:
    """The first `want` (pk, score) pairs of the whole ranking."""
    if want <= 0:
        return []
    if p.rank is None:
        return scope.unranked(want)
    if p.covers:
        if not p.titles:
            return scope.tier(p.rank, want)
        if scope.span is not None or not scope.is_big(p.rank):
            return scope.tiered(p, want)
        return scope.common(p, want)
    # `where` is the whole query: papers with a positive word first, then the rest.
    rows = scope.tier(p.rank, want)
    if len(rows) < want:
        rows += scope.unranked(want - len(rows), p.rank)
    return rows


def _snippets(db: sqlite_utils.Database, highlight: str, pks: list[int]) -> dict[int, str]:
    """snippet() for just these papers (each matches `highlight`), by primary key."""
    if not pks:
        return {}
    sql = (
        f"SELECT rowid, snippet(papers_fts, -1, '**', '**', '…', {SNIPPET_TOKENS}) "
        f"FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN {_JSON}"
    )
    return dict(db.execute(sql, [highlight, json.dumps(pks)]).fetchall())


def search(
    db: sqlite_utils.Database,
    query: Query,
    limit: int = 10,
    offset: int = 0,
    *,
    days: Iterable[date] | None = None,
) -> list[SearchHit]:
    """Papers matching the query (first listed on `days`, when given), best first.

    SearchHit.score is the paper's score inside its tier, higher is better: -(bm25 - the
    upvote prior); 0.0 in a tier ordered by upvotes, or for a paper outside the rank match
    (it matched only via a filter or an OR branch).
    """
    p = plan(query)
    limit, offset = max(0, int(limit)), max(0, int(offset))
    with db.atomic():  # one snapshot for the ranking and the fetch
        scope = _Scope(db, p, days)
        ranked = _ranked(scope, p, offset + limit)[offset:] if limit else []
        pks = json.dumps([pk for pk, _ in ranked])
        rows = {r["pk"]: r for r in db.query(f"SELECT * FROM papers WHERE pk IN {_JSON}", [pks])}
        with_text = [pk for pk, score in ranked if score is not None or p.covers]
        snippets = _snippets(db, p.highlight, with_text) if p.highlight else {}
    return [SearchHit(paper=row_to_paper(rows[pk]), snippet=snippets.get(pk),
                      score=-float(score) if score is not None else 0.0)
            for pk, score in ranked]


def count(
    db: sqlite_utils.Database, query: Query, *, days: Iterable[date] | None = None
) -> int:
    """How many papers match the query (of those first listed on `days`, when given)."""
    p = plan(query)
    with db.atomic():
        scope = _Scope(db, p, days)
        if p.covers and p.rank is not None:
            span, span_params = scope.fts_span(MAIN)
            filters, params = scope.filters()
            sql = ("SELECT count(*) FROM papers_fts CROSS JOIN paper_rank r "
                   f"ON r.pk = papers_fts.rowid WHERE papers_fts MATCH ?{span}{filters}")
            return int(db.execute(sql, [p.rank, *span_params, *params]).fetchone()[0])
        filters, params = scope.filters()
        sql = f"SELECT count(*) FROM paper_rank r WHERE 1{filters}"
        return int(db.execute(sql, params).fetchone()[0])
