"""A "papers like these" alert's text: `like 2401.12345 2402.00001`, stored as its query."""

from __future__ import annotations

from bot.feed.parse import normalize_id

LIKE_WORD = "like"
# Seeds per alert: enough for a topic's few defining papers, few enough to read in its list.
MAX_SEEDS = 10


class SeedError(ValueError):
    """The seeds of a `like` alert cannot be read; the message says how to write them."""


def asks_like(text: str) -> bool:
    """True when a command's text asks for a similarity alert (its first word is `like`,
    unquoted): its seeds are then read, or the error says how to write them."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() == LIKE_WORD


def is_like(text: str) -> bool:
    """True when a stored alert is a similarity alert: `like` and readable seeds. (A keyword
    alert stored before similarity alerts existed, such as `like humans`, stays one.)"""
    if not asks_like(text):
        return False
    try:
        parse_like(text)
    except SeedError:
        return False
    return True


def parse_like(text: str) -> tuple[str, ...]:
    """The seed papers' versionless arXiv ids, in order, each once; SeedError otherwise."""
    words = text.split()
    if not words or words[0].lower() != LIKE_WORD:
        raise SeedError("a similarity alert starts with `like`, e.g. `like 2401.12345`")
    seeds: list[str] = []
    for raw in words[1:]:
        for part in filter(None, raw.split(",")):
            paper_id = normalize_id(part)
            if paper_id is None:
                shown = part if len(part) <= 40 else part[:39] + "…"
                raise SeedError(
                    f"`{shown}` is not an arXiv id: `like` takes the ids of example papers, "
                    "e.g. `like 2401.12345 2402.00001` (to match the word itself, quote it)"
                )
            if paper_id not in seeds:
                seeds.append(paper_id)
    if not seeds:
        raise SeedError("`like` needs at least one arXiv id, e.g. `like 2401.12345`")
    if len(seeds) > MAX_SEEDS:
        raise SeedError(f"`like` takes at most {MAX_SEEDS} papers, not {len(seeds)}")
    return tuple(seeds)


def like_text(seeds: tuple[str, ...]) -> str:
    """The canonical stored text of a similarity alert on these seeds."""
    return " ".join((LIKE_WORD, *seeds))
