"""Presentation helpers every platform renderer shares (pure functions on domain objects)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.domain import Digest, Paper

FIRST_AUTHORS = 3


def one_line(text: str) -> str:
    """`text` on one line: every run of whitespace a single space, none at either end."""
    return " ".join(text.split())


def authors_line(paper: Paper, first: int = FIRST_AUTHORS) -> str:
    """The first few authors, then `et al.` (raw text)."""
    names = [one_line(a) for a in paper.authors]
    names = [n for n in names if n]
    shown = names[:first] + (["et al."] if len(names) > first else [])
    return ", ".join(shown)


def day_label(day: date) -> str:
    """A Daily Papers day as people read it: `Fri 27 Nov 2026`."""
    return f"{day:%a %d %b %Y}"


def digest_when(digest: Digest) -> str:
    """The day, or for a catch-up the range of days, or the period, a digest covers."""
    if digest.period is not None:
        return digest.period
    first, last = digest.days[0], digest.day
    if not digest.is_catch_up:
        return day_label(last)
    start = f"{first:%d %b}" if first.year == last.year else f"{first:%d %b %Y}"
    return f"{start} – {last:%d %b %Y} (catch-up)"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: never less than code points, whichever a platform counts."""
    return len(text.encode("utf-16-le")) // 2


def char_units(ch: str) -> int:
    """A character's UTF-16 length: 2 beyond the Basic Multilingual Plane, else 1."""
    return 2 if ord(ch) > 0xFFFF else 1


def fit(text: str, limit: int, width: Callable[[str], int] = char_units) -> int:
    """How many leading characters of `text` fit in `limit` units of `width`."""
    used = 0
    for i, ch in enumerate(text):
        used += width(ch)
        if used > limit:
            return i
    return len(text)


def cut(text: str, limit: int, width: Callable[[str], int] = char_units) -> str:
    """The prefix of `text` that leaves room for "…" in `limit` units, at a word boundary when
    there is one near the end."""
    head = text[: fit(text, limit - 1, width)]
    space = head.rfind(" ")
    if space > len(head) * 2 // 3:
        head = head[:space]
    return head.rstrip()


def clip(text: str, limit: int, width: Callable[[str], int] = char_units) -> str:
    """`text` on one line in at most `limit` units, cut at a word boundary with "…"."""
    text = one_line(text)
    return text if fit(text, limit, width) == len(text) else cut(text, limit, width) + "…"


def split_pieces(text: str, limit: int, width: Callable[[str], int] = char_units) -> list[str]:
    """Pieces of `text`, each within `limit` units: split at line breaks, else at a space in
    the second half, else anywhere; nothing is cut off. Blank pieces are left out."""
    pieces: list[str] = []
    rest = text
    while fit(rest, limit, width) < len(rest):
        head = rest[: fit(rest, limit, width)]
        at = head.rfind("\n")
        if at <= 0:
            at = head.rfind(" ")
            at = at if at > len(head) // 2 else 0  # no stub like "⚠️" left on its own
        if at <= 0:
            pieces.append(head)
            rest = rest[len(head) :]
        else:
            pieces.append(head[:at])
            rest = rest[at + 1 :]
    pieces.append(rest)
    return [p for p in pieces if p.strip()]
