"""Similarity alerts by command: `subscribe like <ids>`, `alerts test like <ids>`, and how
`subscriptions` lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.reading import named, stored
from bot.commands.table import CommandError, echo
from bot.domain import Invocation, Paper, Reply, SearchHit, Subscription
from bot.similarity.matcher import rank_like, seeds_of, why_text
from bot.similarity.seeds import SeedError, like_text, parse_like

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

# The days a dry run and the subscribe preview read (as a keyword alert's do).
RECENT_DAYS = 7
SHOWN = 10
# Papers of those days scored at most (7 days of Daily Papers are about 350).
RECENT_PAPERS = 2_000
TITLE_CHARS = 60
NOT_A_SEED = (
    "only papers that appeared on Daily Papers can seed an alert. `/papers search` finds "
    "stored ones."
)


def seed_papers(handlers: Handlers, text: str) -> list[Paper]:
    """The stored seed papers of `like <ids>`; CommandError (one line) otherwise."""
    try:
        ids = parse_like(text)
    except SeedError as exc:
        raise CommandError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from exc
    return [stored(handlers.repo, paper_id, NOT_A_SEED) for paper_id in ids]


def _named(papers: list[Paper]) -> str:
    return ", ".join(named(p, TITLE_CHARS) for p in papers)


def _recent(handlers: Handlers, seeds: list[Paper]) -> list[tuple[Paper, str, float]]:
    """The recent papers the seeds would have alerted on, best first."""
    repo = handlers.repo
    days = repo.recent_days(RECENT_DAYS)
    papers = repo.papers_on(days, limit=RECENT_PAPERS) if days else []
    return rank_like(handlers.core.similarity, repo, seeds, papers)


def subscribe(handlers: Handlers, text: str, inv: Invocation) -> Reply:
    """Add a similarity alert: new papers scoring at least the engine's threshold against
    one of the seeds."""
    seeds = seed_papers(handlers, text)
    added = handlers.add_alert(like_text(tuple(p.id for p in seeds)), inv)
    if isinstance(added, Reply):
        return added
    recent = len(_recent(handlers, seeds))
    engine = handlers.core.similarity
    return Reply(
        text=f"Alert #{added.id} added: papers like {_named(seeds)}. This channel gets a post "
        f"when a new paper scores at least {engine.threshold:.2f} against one of them "
        f"({recent:,} in the last {RECENT_DAYS} stored days would have). "
        f"`/papers alerts test {added.query}` shows them."
    )


def alerts_test(handlers: Handlers, text: str, inv: Invocation) -> Reply:
    """Dry run of a similarity alert over the last stored days, best score first."""
    seeds = seed_papers(handlers, text)
    ranked = _recent(handlers, seeds)
    shown = tuple(
        SearchHit(paper, snippet=why_text(seed, score), score=score)
        for paper, seed, score in ranked[:SHOWN]
    )
    echoed = echo(like_text(tuple(p.id for p in seeds)), 300)
    if not ranked:
        return Reply(
            text=f"`{echoed}` would not have matched any paper in the last {RECENT_DAYS} "
            f"stored days (none scored {handlers.core.similarity.threshold:.2f} or more)."
        )
    more = len(ranked) > len(shown)
    return Reply(
        text=f"`{echoed}` would have alerted on {len(ranked):,} "
        f"paper{'' if len(ranked) == 1 else 's'} in the last {RECENT_DAYS} stored days"
        + (f"; the top {len(shown)}:" if more else ":"),
        title="Alert dry run",
        hits=shown,
    )


def describe(handlers: Handlers, sub: Subscription) -> str | None:
    """How `subscriptions` lists a similarity alert (None for a keyword alert)."""
    seeds = seeds_of(sub)
    if seeds is None:
        return None
    papers = [handlers.repo.get_paper(s) for s in seeds]
    listed = ", ".join(
        named(p, TITLE_CHARS) if p is not None else s for s, p in zip(seeds, papers, strict=True)
    )
    return f"#{sub.id} papers like {listed} (by {sub.created_by}, {sub.created_at:%Y-%m-%d})"
