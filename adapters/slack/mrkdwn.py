"""Slack mrkdwn text: escaping, UTF-16 lengths, clipping, links and splitting (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from adapters.slack.limits import SECTION_TEXT_MAX
from adapters.text import char_units, cut, fit, split_pieces, utf16_len

# `|` ends the URL part of `<url|label>`; labels show this look-alike instead.
PIPE_LOOKALIKE = "∣"
# mrkdwn has no escape for its formatting characters (docs/reference/slack.md §6): in text
# paperboy did not write they become look-alikes, one UTF-16 unit each like the originals, so
# a title's `*` cannot end paperboy's bold, nor an abstract's ``` swallow the links after it.
LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
# `&gt;` at the start of a line still quotes it; an invisible soft hyphen before it does not.
QUOTE_BREAK = "\u00ad"
# Link URLs longer than this are left out rather than eat a section's budget.
LINK_URL_MAX = 250
# A code block's fence in mrkdwn.
FENCE = "```"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters: & < >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


slack_len = utf16_len


def _width(ch: str, escaped: bool) -> int:
    shown = _ESCAPES.get(ch, ch) if escaped else ch
    return len(shown) * (2 if ord(ch) > 0xFFFF else 1)


def _units(escaped: bool) -> Callable[[str], int]:
    return (lambda ch: _width(ch, True)) if escaped else char_units


def _fit(text: str, limit: int, escaped: bool = True) -> int:
    """How many leading characters of `text` fit in `limit` units (after escaping if `escaped`)."""
    return fit(text, limit, _units(escaped))


def _cut(text: str, limit: int, escaped: bool = True) -> str:
    """The raw prefix of `text` that leaves room for "…" in `limit` units."""
    return cut(text, limit, _units(escaped))


def clip(text: str, limit: int, escaped: bool = True) -> str:
    """One line of text in at most `limit` units, cut at a word boundary with "…"; mrkdwn-escaped
    unless `escaped` is False (for plain_text)."""
    text = " ".join(text.split())
    if _fit(text, limit, escaped) < len(text):
        text = _cut(text, limit, escaped) + "…"
    return escape(text) if escaped else text


def _plain(text: str) -> str:
    """Escaped, with look-alikes for the formatting characters."""
    return escape(text).translate(LOOKALIKES)


def _unquoted(mrkdwn: str) -> str:
    """A line that cannot start a quote."""
    return QUOTE_BREAK + mrkdwn if mrkdwn.startswith("&gt;") else mrkdwn


def literal(text: str) -> str:
    """Text paperboy did not write as mrkdwn that shows it as typed: escaped, with no
    formatting of its own (no link or mention can survive the escaping of `<`)."""
    return _unquoted(_plain(text))


def clip_literal(text: str, limit: int) -> str:
    """`clip` for text paperboy did not write: the same line, made `literal`."""
    text = " ".join(text.split())
    limit -= text.startswith(">")  # room for QUOTE_BREAK
    if _fit(text, limit) < len(text):
        text = _cut(text, limit) + "…"
    return literal(text)


def label(text: str, limit: int) -> str:
    """Link text that cannot break `<url|label>`: literal, one line, no `|`."""
    return clip_literal(text, limit).replace("|", PIPE_LOOKALIKE)


def safe_url(url: str | None) -> str | None:
    """A URL safe inside `<url|label>`, or None when it is not http(s) or too long to show."""
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        return None
    safe = escape(quote(url, safe="!#$%&'()*+,/:;=?@[]~-._"))
    return safe if slack_len(safe) <= LINK_URL_MAX else None


def link(url: str | None, text: str) -> str | None:
    """`<url|text>` for a safe URL (text already made safe with `label`), else None."""
    safe = safe_url(url)
    return f"<{safe}|{text}>" if safe else None


def split_text(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Escaped pieces of mrkdwn `text`, each within `limit`; nothing is cut off. A ``` code
    block that spans pieces is closed at the end of each and opened again at the start of the
    next, so every piece shows its part as code."""
    if FENCE not in text:
        return [escape(p) for p in split_pieces(text, limit, _units(True))]
    room = 2 * (len(FENCE) + 1)  # "```\n" before a piece, "\n```" after it
    out: list[str] = []
    inside = False
    # Each fence becomes one character while splitting, so no piece ends inside one.
    mark = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
    units = _units(True)

    def width(ch: str) -> int:
        return len(FENCE) if ch == mark else units(ch)

    for piece in split_pieces(text.replace(FENCE, mark), limit - room, width):
        piece = piece.replace(mark, FENCE)
        if inside and piece.startswith(FENCE):
            piece = piece[len(FENCE) :].lstrip("\n")  # the block's own end: already closed
        elif inside:
            piece = f"{FENCE}\n{piece}"
        inside = piece.count(FENCE) % 2 == 1
        if inside:
            piece += f"\n{FENCE}"
        if piece.strip():
            out.append(escape(piece))
    return out


def snippet_mrkdwn(snippet: str, limit: int) -> str:
    """A search snippet whose matches are marked `**word**` as Slack mrkdwn (`*word*`), with
    everything else `literal`, clipped to `limit` units."""
    parts = _BOLD.split(" ".join(snippet.split()))
    out: list[str] = []
    left = limit - 1  # room for a QUOTE_BREAK
    for i, part in enumerate(parts):
        bold = i % 2 == 1 and bool(part.strip())
        text = part.strip() if bold else part
        cost = sum(_width(ch, True) for ch in text) + (2 if bold else 0)
        if cost > left:
            head = _cut(text, left - (2 if bold else 0)) if left > 3 else ""
            out.append(f"*{_plain(head)}*…" if bold and head else f"{_plain(head)}…")
            break
        out.append(f"*{_plain(text)}*" if bold else _plain(text))
        left -= cost
    return _unquoted("".join(out).strip())
