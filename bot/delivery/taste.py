"""Ranking nudges from a channel's clicks: bounded, fading, never hiding a paper (pure).

Each click of the last `WINDOW` pulls papers like the clicked one up (More like this, Save) or
down (Not relevant), by how alike they are (Jaccard over the papers' terms: lower-cased AI
keywords plus title content words, stemmed by FTS5's own tokenizer) and by how recent it is
(a half-life of `HALF_LIFE` days). The sum goes through tanh, so a paper's score moves by less
than `MAX_NUDGE` (15 %) however many clicks agree: the ranking is `upvotes × (1 + nudge)`, and
no paper is ever left out for it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from bot.domain import Action, Click, Paper
from bot.query.text import tokenize_columns, tokenize_tuple

WINDOW = timedelta(days=60)  # older clicks are forgotten
HALF_LIFE = 14.0  # days
MAX_NUDGE = 0.15
STEEPNESS = 2.0  # one More like this on the very paper: 0.15 × tanh(2) ≈ 14 %
WEIGHTS = {Action.MORE_LIKE: 1.0, Action.SAVE: 0.5, Action.NOT_RELEVANT: -1.0}
# Title words that say nothing about a topic (tokenized like the titles before comparing).
STOPWORDS = (
    "a an and are as at be beyond by can do does for from how in into is it its new of on or "
    "our over the their them this through to toward towards under use using via vs we what "
    "when where which while why with without you your"
)
SHOWN_TERMS = 3  # terms raised and lowered that `describe` names
# Each action's count as `describe` says it: (one, many).
LABELS = {
    Action.MORE_LIKE: ("more like this", "more like this"),
    Action.SAVE: ("save", "saves"),
    Action.NOT_RELEVANT: ("not relevant", "not relevant"),
}
_WORD = re.compile(r"\w+")


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(tokenize_tuple(STOPWORDS))


def paper_terms(papers: Sequence[Paper]) -> list[frozenset[str]]:
    """Each paper's terms: its lower-cased AI keywords and its title's content words (stemmed),
    tokenized in one pass."""
    stop = _stopwords()
    titles = tokenize_columns([(p.title,) for p in papers])
    return [
        frozenset(t for t in title if len(t) > 1 and t not in stop)
        | {" ".join(k.lower().split()) for k in p.ai_keywords if k.strip()}
        for p, (title,) in zip(papers, titles, strict=True)
    ]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two term sets are: shared terms over all terms (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def nudge_of(score: float) -> float:
    """A click score as a bounded nudge: 0.15 × tanh(k × score), within ±15 %."""
    return MAX_NUDGE * math.tanh(STEEPNESS * score)


def decay(age: timedelta) -> float:
    """How much a click of that age still counts: 1 when new, ½ after `HALF_LIFE` days."""
    days = max(age.total_seconds(), 0.0) / 86400
    return 0.5 ** (days / HALF_LIFE)


@dataclass(frozen=True)
class Signal:
    """One click as it weighs now: the clicked paper's terms and its signed, faded weight."""

    paper: Paper
    action: Action
    terms: frozenset[str]
    weight: float


@dataclass(frozen=True)
class Taste:
    """A channel's clicks of the last `WINDOW`, as nudges of its digests' ranking."""

    signals: tuple[Signal, ...]
    counts: dict[Action, int] = field(default_factory=dict)
    # A stemmed title term as the clicked titles spelled it, for `describe`.
    spelled: dict[str, str] = field(default_factory=dict)

    def nudges(self, papers: Sequence[Paper]) -> list[float]:
        """Each paper's nudge, within ±`MAX_NUDGE`."""
        if not self.signals:
            return [0.0 for _ in papers]
        # Only clicked papers sharing a term with a paper move it: find those through an index
        # of the terms, not by comparing every paper with every click.
        index: dict[str, list[int]] = defaultdict(list)
        for k, signal in enumerate(self.signals):
            for term in signal.terms:
                index[term].append(k)
        nudges = []
        for terms in paper_terms(papers):
            shared = Counter(k for term in terms for k in index.get(term, ()))
            # Jaccard: shared terms over all terms, |A ∩ B| / (|A| + |B| - |A ∩ B|).
            score = sum(
                self.signals[k].weight * n / (len(terms) + len(self.signals[k].terms) - n)
                for k, n in shared.items()
            )
            nudges.append(nudge_of(score))
        return nudges

    def rank(self, papers: Sequence[Paper]) -> list[Paper]:
        """The papers by upvotes × (1 + nudge); ties by upvotes, comments, then id (without
        clicks, the order `papers_on` gives)."""
        scored = zip(papers, self.nudges(papers), strict=True)
        return [p for p, _ in sorted(scored, key=lambda pn: _key(*pn))]

    def terms(self) -> tuple[list[str], list[str]]:
        """The terms the clicks raise and lower most, as people read them."""
        weights: dict[str, float] = defaultdict(float)
        for s in self.signals:
            for term in s.terms:
                weights[term] += s.weight
        ranked = sorted(weights.items(), key=lambda tw: (-abs(tw[1]), tw[0]))
        up = dict.fromkeys(self.spelled.get(t, t) for t, w in ranked if w > 0)
        down = dict.fromkeys(self.spelled.get(t, t) for t, w in ranked if w < 0)
        return list(up)[:SHOWN_TERMS], list(down)[:SHOWN_TERMS]


def _key(paper: Paper, nudge: float) -> tuple[float, int, int, str]:
    return (-paper.upvotes * (1 + nudge), -paper.upvotes, -paper.comments, paper.id)


def taste(clicks: Iterable[tuple[Click, Paper]], now: datetime) -> Taste:
    """The channel's taste at `now` from its clicks (each with the clicked paper); clicks
    older than `WINDOW` are left out, later ones count as new."""
    recent = [(c, p) for c, p in clicks if now - c.at <= WINDOW]
    terms = paper_terms([p for _, p in recent])
    signals = tuple(
        Signal(p, c.action, t, WEIGHTS[c.action] * decay(now - c.at))
        for (c, p), t in zip(recent, terms, strict=True)
    )
    spelled: dict[str, str] = {}
    for _, paper in recent:
        for word in _WORD.findall(paper.title):
            for stem in tokenize_tuple(word):
                spelled.setdefault(stem, word.lower())
    return Taste(signals, dict(Counter(c.action for c, _ in recent)), spelled)


def moved(before: Sequence[Paper], after: Sequence[Paper]) -> int:
    """How many papers of `after` (the nudged top) are not where `before` had them."""
    place = {p.id: i for i, p in enumerate(before)}
    return sum(1 for i, p in enumerate(after) if place.get(p.id) != i)


def describe(found: Taste | None) -> str:
    """What a channel's clicks change, in words, for `digest show`."""
    if found is None or not found.signals:
        return (
            "No clicks here in the last 60 days: Save, Not relevant and More like this on a "
            "post's papers nudge this channel's ranking (at most 15 %)."
        )
    counts = ", ".join(f"{n} {LABELS[a][n != 1]}" for a in LABELS if (n := found.counts.get(a, 0)))
    up, down = found.terms()
    effects = []
    if up:
        effects.append(f"papers about {_quoted(up)} rank up to 15 % higher")
    if down:
        effects.append(f"papers about {_quoted(down)} up to 15 % lower")
    change = "; ".join(effects) if effects else "they change no paper's rank yet"
    return (
        f"Clicks here in the last 60 days: {counts}. In digests and roll-ups, {change}; "
        f"a click counts half after {HALF_LIFE:g} days and no paper is hidden."
    )


def _quoted(terms: list[str]) -> str:
    return ", ".join(f"“{t}”" for t in terms)
