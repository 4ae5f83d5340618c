"""Presentation helpers every platform renderer shares (pure functions on domain objects)."""

from __future__ import annotations

from datetime import date

from bot.domain import Digest, Paper

FIRST_AUTHORS = 3


def authors_line(paper: Paper, first: int = FIRST_AUTHORS) -> str:
    """The first few authors, then `et al.` (raw text)."""
    names = [" ".join(a.split()) for a in paper.authors]
    names = [n for n in names if n]
    shown = names[:first] + (["et al."] if len(names) > first else [])
    return ", ".join(shown)


def day_label(day: date) -> str:
    """A Daily Papers day as people read it: `Fri 27 Nov 2026`."""
    return f"{day:%a %d %b %Y}"


def digest_when(digest: Digest) -> str:
    """The day, or for a catch-up the range of days, a digest covers."""
    first, last = digest.days[0], digest.day
    if not digest.is_catch_up:
        return day_label(last)
    start = f"{first:%d %b}" if first.year == last.year else f"{first:%d %b %Y}"
    return f"{start} – {last:%d %b %Y} (catch-up)"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: never less than code points, whichever a platform counts."""
    return len(text.encode("utf-16-le")) // 2
