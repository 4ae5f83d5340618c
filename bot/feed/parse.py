"""Turn raw `/api/daily_papers` JSON into `Paper`s: both the 2024 and the 2026 payload shapes.

Two kinds of bad input, treated differently (docs/reference/hugging-face.md §4, §9):

- Schema violations (the body is not a list, an entry or its `paper` is not an object, an entry
  has no string `paper.id` or no title, a required number is not a number) reject the whole
  response with `FeedError`: half a day is worse than a retry on the next poll.
- Data we cannot use (an id that is not an arXiv id, a hidden author, an optional field of the
  wrong type) is skipped, with a warning for ids; unknown keys are ignored.

A `date=` answer puts every paper on the day asked for. A `week=` answer mixes days, so there
(`day=None`) each entry's day is the UTC date of its `paper.submittedOnDailyAt`, the field HF's
`date=` filter matches (§2, §4); an entry without a usable one raises `UndatedEntries`, never a
guessed day, so the caller can ask day by day instead.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

from bot.domain import Paper

log = logging.getLogger(__name__)

# New-style ids as the HF index accepts them (SKILL.md "Index a paper"), and pre-2007 ids
# (arXiv `arxiv_identifier.md`). ASCII only: `\d` would also match e.g. Arabic-Indic digits.
NEW_STYLE_ID = re.compile(r"[0-9]{4}\.[0-9]{4,5}", re.ASCII)
OLD_STYLE_ID = re.compile(r"[a-z\-]+(\.[A-Z]{2})?/[0-9]{7}", re.ASCII)
_ID_PREFIX = re.compile(r"^(arxiv:|oai:arxiv\.org:|https?://(www\.)?arxiv\.org/(abs|pdf)/)", re.I)
_VERSION_SUFFIX = re.compile(r"v[0-9]+$", re.ASCII)


# SQLite integers are 64-bit; a count beyond that is not a count.
MAX_COUNT = 2**63 - 1
_UNDATED = date.min  # placeholder day of an entry that is only schema-checked, never returned


class FeedError(Exception):
    """The Daily Papers feed failed or answered something paperboy cannot use."""


class UndatedEntries(Exception):
    """Entries whose Daily Papers day is unknown: no parseable `paper.submittedOnDailyAt`."""

    def __init__(self, indexes: list[int]) -> None:
        self.indexes = indexes
        shown = ", ".join(str(i) for i in indexes[:10]) + (", …" if len(indexes) > 10 else "")
        super().__init__(
            f"{len(indexes)} entries without a usable `paper.submittedOnDailyAt`: {shown}"
        )


def fold(text: str) -> str:
    """Collapse arXiv hard wraps and whitespace runs into single spaces."""
    return " ".join(text.split())


# A `$…$` pair is math, not two prices: inner text that does not start with a digit, or has
# no space.
_MATH = re.compile(r"\$((?:[^$\d\s][^$]*|\d[^$\s]*))\$")
# Commands whose one braced argument is their text: `\textit{Trans-LoRA}` reads "Trans-LoRA".
_STYLES = frozenset(
    [f"text{s}" for s in ("", "it", "bf", "tt", "sc", "rm", "sf", "up", "sl", "normal")]
    + [f"math{s}" for s in ("rm", "bf", "it", "cal", "bb", "sf", "tt", "frak", "scr")]
    + ["emph", "underline", "mbox", "boldsymbol", "bm", "operatorname"]
)
_STYLED = re.compile(
    r"\\(?:" + "|".join(sorted(_STYLES, key=len, reverse=True)) + r")\s*\{([^{}]*)\}"
)
_WORDS = {"eg": "e.g.", "ie": "i.e.", "etal": "et al.", "etc": "etc.", "vs": "vs.", "wrt": "w.r.t."}
# Greek letters and the symbols titles use, as their characters.
_SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "varepsilon": "ε",
    "vartheta": "θ",
    "varphi": "φ",
    "ell": "ℓ",
    "infty": "∞",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "approx": "≈",
    "sim": "∼",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "partial": "∂",
    "nabla": "∇",
    "sqrt": "√",
    "ldots": "…",
    "dots": "…",
    "cdots": "…",
    "circ": "∘",
    "star": "⋆",
}
# Inside math every command reads as something: one not known (`\log`, `\frac`) as its name, a
# word set apart from the letters around it (`n\log n` reads "n log n"). Outside math only
# these are LaTeX: `C:\Users` is a path, not the command `\Users`.
_KNOWN = _STYLES | frozenset(_WORDS) | frozenset(_SYMBOLS)
# A title "has LaTeX" when it holds a known command (`\textit`, `\alpha`), an escape or a
# spacing command (`\&`, `\ `, `\\`), or `$…$` math.
_LATEX = re.compile(
    r"\\(?:[&%$#_{} ,;!\\]|(?:"
    + "|".join(sorted(_KNOWN, key=len, reverse=True))
    + r")(?![A-Za-z]))|"
    + _MATH.pattern
)
_COMMAND = re.compile(r"\\([A-Za-z]+)(\s*\{\})?|\\([^A-Za-z])")
_MATH_WORD = re.compile(r"\\([A-Za-z]+)(\s*\{\})?")
# Escaped characters; braces stand in as \x01 \x02 until the grouping braces are gone.
_ESCAPED = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "\x01", "}": "\x02"}


def has_latex(text: str) -> bool:
    """True when text holds LaTeX markup: a command or inline math."""
    return _LATEX.search(text) is not None


def latex_to_text(text: str) -> str:
    """Simple LaTeX as plain text: styles, inline math, `\\eg`, `\\&`, `~`, Greek letters;
    outside math, a backslash word that is no command (a path's `C:\\Users`) stays as it is.

    Only for text that has LaTeX (`has_latex`): elsewhere `~` and `$` mean themselves.
    """
    # `\\` (a line break) first, as a space: its second backslash starts no command.
    text = text.replace("\\\\", " ").replace("\\$", "\x00")
    out = _MATH.sub(lambda m: _math_words(m.group(1)), text)
    while (styled := _STYLED.sub(lambda m: m.group(1), out)) != out:
        out = styled

    def command(m: re.Match[str]) -> str:
        if m.group(3) is not None:  # `\&`, or a spacing command (`\ `, `\,`, `\\`)
            return _ESCAPED.get(m.group(3), " ")
        name = m.group(1)
        if name in _STYLES:  # left without its argument (`\textbf{a {b}}`): only a style
            return ""
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        if name in _WORDS:
            return _spaced(_WORDS[name], m)
        return m.group(0).replace("\\", "\x03")  # no LaTeX: a path's `\Users` stays

    out = _COMMAND.sub(command, out).replace("~", " ")
    out = out.replace("{", "").replace("}", "").replace("\\", "")
    out = out.replace("\x00", "$").replace("\x01", "{").replace("\x02", "}")
    return fold(out.replace("\x03", "\\"))


def _math_words(math: str) -> str:
    """Inline math's commands that read as words (`\\log`, and any not known) as their names,
    set apart by a space from a letter or digit beside them; the rest as outside math."""

    def word(m: re.Match[str]) -> str:
        name = m.group(1)
        return m.group(0) if name in _KNOWN else _spaced(name, m)

    return _MATH_WORD.sub(word, math)


def _spaced(word: str, m: re.Match[str]) -> str:
    """`word` in place of the match, with a space on each side where a letter or digit would
    otherwise touch it."""
    text, start, end = m.string, m.start(), m.end()
    before = " " if start > 0 and text[start - 1].isalnum() else ""
    after = " " if end < len(text) and text[end].isalnum() else ""
    return f"{before}{word}{after}"


def normalize_id(raw: str) -> str | None:
    """A versionless arXiv id (`arXiv:2410.17243v2` → `2410.17243`), or None if it is not one."""
    candidate = _VERSION_SUFFIX.sub("", _ID_PREFIX.sub("", raw.strip()))
    if NEW_STYLE_ID.fullmatch(candidate) or OLD_STYLE_ID.fullmatch(candidate):
        return candidate
    return None


def parse_entries(data: object, day: date | None) -> list[Paper]:
    """Parse one response body, on `day` or (None) each entry's `submittedOnDailyAt` UTC date."""
    if not isinstance(data, list):
        raise FeedError(f"expected a JSON array of entries, got {_kind(data)}")
    papers: list[Paper] = []
    undated: list[int] = []
    for index, entry in enumerate(data):
        own = day if day is not None else submitted_day(entry)
        if own is None:
            undated.append(index)
        # An undated entry is still schema-checked: a broken body is a FeedError either way.
        paper = _parse_entry(entry, own or _UNDATED, index)
        if paper is not None and own is not None:
            papers.append(paper)
    if undated:
        raise UndatedEntries(undated)
    return papers


def submitted_day(entry: object) -> date | None:
    """The UTC date of an entry's `paper.submittedOnDailyAt`, None when absent or unparseable."""
    inner = entry.get("paper") if isinstance(entry, dict) else None
    when = _timestamp(inner.get("submittedOnDailyAt")) if isinstance(inner, dict) else None
    return when.date() if when is not None else None


def _parse_entry(entry: object, day: date, index: int) -> Paper | None:
    where = f"entry {index}"
    if not isinstance(entry, dict):
        raise FeedError(f"{where}: expected an object, got {_kind(entry)}")
    inner = entry.get("paper")
    if not isinstance(inner, dict):
        raise FeedError(f"{where}: `paper` is {_kind(inner)}, expected an object")
    raw_id = inner.get("id")
    if not isinstance(raw_id, str):
        # A number here is a schema break, and a float round-trip loses digits (§8).
        raise FeedError(f"{where}: `paper.id` is {_kind(raw_id)}, expected a string")
    where = f"entry {index} ({raw_id[:40]!r})"
    paper_id = normalize_id(raw_id)
    if paper_id is None:
        log.warning("skipping Daily Papers %s: not an arXiv id", where)
        return None
    title = _title(_text(entry.get("title")), _text(inner.get("title")))
    if not title:
        raise FeedError(f"{where}: no title")
    return Paper(
        id=paper_id,
        title=title,
        summary=_text(inner.get("summary")) or _text(entry.get("summary")) or "",
        authors=_authors(inner.get("authors"), where),
        upvotes=_count(inner.get("upvotes"), f"{where}: `paper.upvotes`"),
        comments=_count(entry.get("numComments"), f"{where}: `numComments`"),
        # For `date=`, the Daily Papers day is the day we asked for. HF's `date=` filter is
        # authoritative (it matches `paper.submittedOnDailyAt`, §2), the 2024 shape has no such
        # field and its top-level `publishedAt` changed meaning by 2026 (§4), and the ~0.1% of
        # papers listed on two days (§9) belong to both: storage decides which day wins. For
        # `week=`, it is that same `submittedOnDailyAt`, read by `parse_entries`.
        day=day,
        published_at=_timestamp(inner.get("publishedAt")),
        ai_summary=_text(inner.get("ai_summary")),
        ai_keywords=_keywords(inner.get("ai_keywords")),
        github_repo=_text(inner.get("githubRepo")),
        github_stars=_optional_count(inner.get("githubStars")),
        project_page=_text(inner.get("projectPage")),
        organization=_organization(inner.get("organization"))
        or _organization(entry.get("organization")),
        thumbnail=_text(entry.get("thumbnail")),
    )


def _title(entry: str | None, paper: str | None) -> str | None:
    """The entry's cleaned title, unless it kept LaTeX that the paper's own title has not;
    simple LaTeX left in either reads as text."""
    chosen = paper if entry and paper and has_latex(entry) and not has_latex(paper) else None
    chosen = chosen or entry or paper
    return (latex_to_text(chosen) or chosen) if chosen and has_latex(chosen) else chosen


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: object) -> str | None:
    """Folded text, or None when absent, not a string or blank."""
    if not isinstance(value, str):
        return None
    return fold(value) or None


def _optional_count(value: object) -> int | None:
    """An integer from a JSON number or numeric string (the OpenAPI spec says `number`),
    within what SQLite can store."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        number = int(value) if math.isfinite(value) else None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not -MAX_COUNT <= number <= MAX_COUNT:
        return None
    return number


def _count(value: object, what: str) -> int:
    """A required count: missing or null is 0, anything non-numeric breaks the schema."""
    if value is None:
        return 0
    number = _optional_count(value)
    if number is None:
        shown = f" {value[:40]!r}" if isinstance(value, str) else ""
        raise FeedError(f"{what} is {_kind(value)}{shown}, expected a number")
    return number


def _authors(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FeedError(f"{where}: `paper.authors` is {_kind(value)}, expected an array")
    names: list[str] = []
    for author in value:
        if not isinstance(author, dict):
            raise FeedError(f"{where}: an author is {_kind(author)}, expected an object")
        if author.get("hidden") is True:
            continue
        name = _text(author.get("name"))
        if name:
            names.append(name)
    return tuple(names)


def _keywords(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(k for k in (_text(item) for item in value) if k)


def _organization(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    return _text(value.get("fullname")) or _text(value.get("name"))


def _timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (`Z` or offset); naive means UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


__all__ = [
    "FeedError",
    "UndatedEntries",
    "fold",
    "has_latex",
    "latex_to_text",
    "normalize_id",
    "parse_entries",
    "submitted_day",
]
