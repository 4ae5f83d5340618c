"""The `like` query: `like 2401.12345 2402.00001` is a similarity alert on those papers."""

from __future__ import annotations

from bot.feed.parse import normalize_id

LIKE_WORD = "like"
MAX_SEEDS = 10


class SeedError(ValueError):
    """A `like` query that names no paper, or something that is not an arXiv id."""


def is_like(query: str) -> bool:
    """Whether a subscription's query is a `like …` similarity alert (not a keyword query)."""
    words = query.split(maxsplit=1)
    return bool(words) and words[0].lower() == LIKE_WORD


def like_seeds(query: str) -> tuple[str, ...]:
    """The arXiv ids a `like` query names, in order, once each; raise SeedError when it names
    none, more than MAX_SEEDS, or a word that is not an arXiv id."""
    words = query.split()
    if not words or words[0].lower() != LIKE_WORD:
        raise SeedError("a similarity alert starts with `like`, e.g. `like 2401.12345`")
    seeds: list[str] = []
    for word in words[1:]:
        paper_id = normalize_id(word.strip(","))
        if paper_id is None:
            raise SeedError(f"{word[:40]!r} is not an arXiv id (e.g. 2401.12345)")
        if paper_id not in seeds:
            seeds.append(paper_id)
    if not seeds:
        raise SeedError("name at least one paper: `like 2401.12345 [2402.00001 …]`")
    if len(seeds) > MAX_SEEDS:
        raise SeedError(f"a similarity alert takes at most {MAX_SEEDS} papers")
    return tuple(seeds)


def like_query(seeds: tuple[str, ...]) -> str:
    """The stored query of a similarity alert on `seeds` (`like 2401.12345 2402.00001`)."""
    return " ".join((LIKE_WORD, *seeds))
