"""Search the paper archive with a parsed query: title tiers, then BM25 and an upvote prior.

`storage.ranking` plans the query: its MATCH, its SQL filters and its title tiers. Search
reads the tiers best first and stops once the page is full:

- A title tier whose condition alone decides (no excluded words, no other fields) is read
  from `titles_fts`, titles alone, ~10 tokens a paper: cheap whatever the words. Its papers
  all have the words in the title, so they are ordered by upvotes.
- The other tiers need the whole match. When it is small, one pass over it scores every
  paper (bm25 with the title ×10, minus a small upvote prior) and sorts it into its tier.
  When it is big (at least `BIG_SHARE` of the archive and `BIG_MIN` papers: the query's
  words are common), each tier is read on its own, and a big tier by upvotes: bm25 would
  tell its papers apart by length alone, and scoring them all costs what the bare query does.
  "Some of the words in the title" is then no tier of its own but part of the last.

A tier "by upvotes" is read one of three ways, whichever its size makes cheapest: joined and
sorted when it is small, down the `paper_rank` upvotes index testing each paper when it is
dense there (giving up after `PROBE_FACTOR` papers per paper wanted), else down the same
index against the tier's papers gathered once. Then the page's papers and their snippets are
fetched, so snippet() runs at most `limit` times.
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
PROBE_FACTOR = 25  # papers tested per paper wanted, for a one-word test
SMALL_TIER = 200  # a tier this small is joined and sorted whole
MARK_TITLES = 500  # a match this small has its titles marked by FTS5 (see `one_pass`)
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
    """One search's reads: the filters, the day span and the archive's size."""

    def __init__(
        self, db: sqlite_utils.Database, p: SearchPlan, days: Iterable[date] | None
    ) -> None:
        self.db = db
        self.where = [p.where] if p.where else []
        self.params = list(p.params)
        self.span: tuple[int, int] | None = None
        if days is not None:
            on = json.dumps(sorted({d.isoformat() for d in days}))
            # A day's papers are stored together, so their pks are a narrow range that FTS5
            # can seek to instead of walking every match.
            lo, hi = db.execute(
                f"SELECT min(pk), max(pk) FROM paper_rank WHERE day IN {_JSON}", [on]
            ).fetchone()
            self.span = (lo or 0, hi or -1)
            self.where.append(f"r.day IN {_JSON}")
            self.params.append(on)
        size = db.execute("SELECT max(pk) FROM paper_rank").fetchone()[0] or 0
        self.big = max(BIG_MIN, math.ceil(BIG_SHARE * size))

    def filters(self) -> tuple[str, list[Any]]:
        """' AND …' for the filters, and their parameters."""
        return "".join(f" AND {c}" for c in self.where), list(self.params)

    def fts_span(self, table: str, qualified: bool = True) -> tuple[str, list[Any]]:
        """' AND rowid BETWEEN …' on an FTS5 table when a day filter narrows the pks."""
        if self.span is None:
            return "", []
        return f" AND {f'{table}.' if qualified else ''}rowid BETWEEN ? AND ?", list(self.span)

    def size(self, match: str, table: str = MAIN) -> int:
        """How many papers `match` has, counted no further than `big`."""
        span, span_params = self.fts_span(table)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ?{span} LIMIT ?)"
        return int(self.db.execute(sql, [match, *span_params, self.big]).fetchone()[0])

    def best(self, match: str, need: int, member: str | None = None) -> list[Row]:
        """The best `need` papers of `match` (on papers_fts) passing the filters: by bm25 and
        the prior, or by upvotes when `match` is big."""
        size = self.size(match)
        if size >= self.big:
            return self.upvoted(match, need, MAIN, member, size)
        return self._join(MAIN, match, need, f"{_BM25} - {_PRIOR}", member)

    def upvoted(
        self,
        match: str,
        need: int,
        table: str = MAIN,
        member: str | None = None,
        size: int | None = None,
    ) -> list[Row]:
        """The `need` most upvoted papers of `match` on `table` (also matching `member` on
        papers_fts) that pass the filters; `size`: `match`'s, when counted already."""
        size = self.size(match, table) if size is None else size
        if size <= SMALL_TIER:
            return self._join(table, match, need, None, member)
        checks = [(table, match), *([(MAIN, member)] if member else [])]
        if size >= self.big:
            probed = self._probe(checks, need)
            if probed is not None:
                return probed
        return self._gathered(checks, need)

    def _join(
        self, table: str, match: str, need: int, score: str | None, member: str | None
    ) -> list[Row]:
        """Every paper of `match` on `table` passing the filters, sorted, `need` kept."""
        span, span_params = self.fts_span(table)
        filters, params = self.filters()
        also = f" AND {_member(MAIN)}" if member else ""
        order = f"score, {_TIES}" if score else _TIES
        sql = (
            f"SELECT r.pk, {score or 'NULL'} AS score FROM {table} "
            f"CROSS JOIN paper_rank r ON r.pk = {table}.rowid "
            f"WHERE {table} MATCH ?{span}{also}{filters} ORDER BY {order} LIMIT ?"
        )
        args = [match, *span_params, *([member] if member else []), *params, need]
        return [(pk, sc) for pk, sc in self.db.execute(sql, args).fetchall()]

    def _probe(self, checks: list[tuple[str, str]], need: int) -> list[Row] | None:
        """Down the upvotes index testing each paper; None when the budget ran out first."""
        filters, params = self.filters()
        test = " AND ".join(_member(table) for table, _ in checks)
        # A test costs about one doclist seek per phrase: fewer tests for longer queries.
        phrases = sum(m.count('"') // 2 for _, m in checks)
        budget = PROBE_FACTOR * need // max(1, phrases - 1)
        sql = (
            f"SELECT r.pk, {test} FROM paper_rank r INDEXED BY paper_rank_order "
            f"WHERE 1{filters} ORDER BY {_TIES} LIMIT ?"
        )
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

    def _gathered(self, checks: list[tuple[str, str]], need: int) -> list[Row]:
        """Down the upvotes index against the papers of each check, gathered once."""
        filters, params = self.filters()
        tests = " AND ".join(
            f"r.pk IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)" for table, _ in checks
        )
        sql = (
            f"SELECT r.pk, NULL FROM paper_rank r INDEXED BY paper_rank_order "
            f"WHERE {tests}{filters} ORDER BY {_TIES} LIMIT ?"
        )
        rows = self.db.execute(sql, [*(m for _, m in checks), *params, need]).fetchall()
        return [(pk, None) for pk, _ in rows]

    def unranked(self, need: int, without: str | None = None) -> list[Row]:
        """The `need` most upvoted papers passing the filters (and not matching `without`)."""
        filters, params = self.filters()
        extra = f" AND NOT {_member(MAIN)}" if without else ""
        sql = (
            f"SELECT r.pk, NULL FROM paper_rank r WHERE 1{extra}{filters} ORDER BY {_TIES} LIMIT ?"
        )
        rows = self.db.execute(sql, [*([without] if without else []), *params, need])
        return [(pk, None) for pk, _ in rows.fetchall()]

    def one_pass(
        self, p: SearchPlan, need: int, first: int, taken: list[Row], size: int
    ) -> list[Row]:
        """The best `need` papers of tiers `first`… of a small match (of `size` papers), in
        one pass over it; `taken` are every paper of the tiers before (read already)."""
        span, span_params = self.fts_span(MAIN)
        own, own_params = self.fts_span(TITLES, qualified=False)
        filters, params = self.filters()
        last = len(p.titles)
        # "Some of the words in the title", for a few papers: FTS5 marks the match's words in
        # each title (column 0) itself; gathering every title with one of the words would
        # cost more. For many papers, reading each one's title costs more.
        # (Only when every word can be in the title: FTS5 marks a match's every word.)
        marked = p.partial and p.titled and first < last and size <= MARK_TITLES
        tested = range(first, last - marked)
        flags = " ".join(
            f"WHEN {MAIN}.rowid IN (SELECT rowid FROM {TITLES} WHERE "
            f"{TITLES} MATCH ?{own}) THEN {i}"
            for i in tested
        )
        if marked:
            flags += f" WHEN instr(highlight({MAIN}, 0, char(1), ''), char(1)) THEN {last - 1}"
        tier = f"CASE {flags} ELSE {last} END" if flags else str(last)
        skip = f" AND r.pk NOT IN {_JSON}" if taken else ""
        inner = (
            f"SELECT r.pk AS pk, {tier} AS tier, "
            f"{_BM25} - {_PRIOR} AS bm, r.upvotes AS up, r.day AS day, r.id AS id "
            f"FROM {MAIN} CROSS JOIN paper_rank r ON r.pk = {MAIN}.rowid "
            f"WHERE {MAIN} MATCH ?{span}{skip}{filters}"
        )
        # Title tiers go by upvotes, the last (words elsewhere only) by bm25 and the prior.
        score = f"CASE WHEN tier = {last} THEN bm END"
        sql = (
            f"SELECT pk, {score} FROM ({inner}) "
            f"ORDER BY tier, {score}, up DESC, day DESC, id LIMIT ?"
        )
        flag_params = [x for i in tested for x in (p.titles[i], *own_params)]
        skipped = [json.dumps([pk for pk, _ in taken])] if taken else []
        args = [*flag_params, p.rank, *span_params, *skipped, *params, need]
        return [(pk, sc) for pk, sc in self.db.execute(sql, args).fetchall()]

    def titled(self, p: SearchPlan, need: int) -> list[Row]:
        """The ranking of a query with title tiers (see the module docstring)."""
        assert p.rank is not None
        rows: list[Row] = []
        better: str | None = None
        first = 0
        if self.span is None:  # a day filter leaves few papers: one pass reads them all
            for title, exact in zip(p.titles, p.exact, strict=True):
                if not exact:
                    break
                match = f"({title}) NOT ({better})" if better else title
                rows += self.upvoted(match, need - len(rows), TITLES)
                better, first = title, first + 1
                if len(rows) >= need:
                    return rows
        size = self.size(p.rank)
        if self.span is not None or size < self.big:
            return rows + self.one_pass(p, need - len(rows), first, rows, size)
        # A big match: the other title tiers one by one, but for "some of the words in the
        # title": with common words it holds most of the archive, and reading it costs what
        # the bare query does, so those papers go by upvotes with the rest.
        for title in p.titles[first : len(p.titles) - p.partial]:
            match = f"({title}) NOT ({better})" if better else title
            rows += self.upvoted(match, need - len(rows), TITLES, p.rank)
            better = title
            if len(rows) >= need:
                return rows
        rest = f"({p.rank}) NOT ({better})" if better else p.rank
        return rows + self.best(rest, need - len(rows))


def _ranked(scope: _Scope, p: SearchPlan, want: int) -> list[Row]:
    """The first `want` (pk, score) pairs of the whole ranking."""
    if want <= 0:
        return []
    if p.rank is None:
        return scope.unranked(want)
    if p.covers:
        return scope.titled(p, want) if p.titles else scope.best(p.rank, want)
    # `where` is the whole query: papers with a positive word first, then the rest.
    rows = scope.best(p.rank, want)
    if len(rows) < want:
        rows += scope.unranked(want - len(rows), p.rank)
    return rows


def _snippets(db: sqlite_utils.Database, highlight: str, pks: list[int]) -> dict[int, str]:
    """snippet() for just these papers (each matches `highlight`), by primary key."""
    if not pks:
        return {}
    # A literal IN list reaches FTS5 as one rowid lookup per paper; a subquery would make it
    # walk every paper the words are in.
    sql = (
        f"SELECT rowid, snippet(papers_fts, -1, '**', '**', '…', {SNIPPET_TOKENS}) "
        f"FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN ({', '.join('?' * len(pks))})"
    )
    return dict(db.execute(sql, [highlight, *pks]).fetchall())


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
        snippets = _snippets(db, p.highlight, [pk for pk, _ in ranked]) if p.highlight else {}
    return [
        SearchHit(
            paper=row_to_paper(rows[pk]),
            snippet=snippets.get(pk),
            score=-float(score) if score is not None else 0.0,
        )
        for pk, score in ranked
    ]


def count(db: sqlite_utils.Database, query: Query, *, days: Iterable[date] | None = None) -> int:
    """How many papers match the query (of those first listed on `days`, when given)."""
    p = plan(query)
    with db.atomic():
        scope = _Scope(db, p, days)
        if p.covers and p.rank is not None:
            span, span_params = scope.fts_span(MAIN)
            filters, params = scope.filters()
            sql = (
                "SELECT count(*) FROM papers_fts CROSS JOIN paper_rank r "
                f"ON r.pk = papers_fts.rowid WHERE papers_fts MATCH ?{span}{filters}"
            )
            return int(db.execute(sql, [p.rank, *span_params, *params]).fetchone()[0])
        filters, params = scope.filters()
        sql = f"SELECT count(*) FROM paper_rank r WHERE 1{filters}"
        return int(db.execute(sql, params).fetchone()[0])
