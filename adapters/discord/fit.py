"""Text fitted to Discord: escaped, clipped and split within its limits, measured in UTF-16
code units after markdown escaping (so a limit holds whichever unit Discord counts in).

Text paperboy did not write is escaped with `adapters.discord.markdown.escape` wherever
Discord reads markdown; a command's reply, paperboy's markdown with user text in code spans,
is `defuse`d.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import discord

from adapters.discord import markdown
from adapters.discord.limits import CONTENT_MAX
from adapters.text import char_units, cut, fit, split_pieces, utf16_len

LINK_URL_MAX = 2000
SUMMARY_CHARS = 700

_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Every character `markdown.escape` may put a backslash before.
_ESCAPABLE = frozenset("\\*_~`|[]<>@:#-+.")
# A line that opens or closes a fenced code block, and the language a block may name.
FENCE = "```"
_FENCE_LINE = re.compile(r"^[ \t]*```")
_LANGUAGE = re.compile(r"```(\w{1,16})\s*$")
# Room a piece keeps for the fences that close its block and reopen it in the next piece
# (```language + newline, newline + ```), at their escaped worst.
_FENCE_RESERVE = 2 * (len("```") + 16 + 1 + 1 + len("```"))

discord_len = utf16_len


def escape(text: str) -> str:
    """User text made literal in Discord markdown: no formatting, link or mention survives."""
    return markdown.escape(text)


def clip(text: str, limit: int, escaped: bool = True) -> str:
    """One line of text in at most `limit` units, cut at a word boundary with "…"; markdown-escaped
    unless `escaped` is False (for embed titles and other plain text); bidi controls dropped
    either way."""
    text = " ".join(markdown.plain(text).split())
    budget = limit
    while True:
        out = text if fit(text, budget) == len(text) else cut(text, budget) + "…"
        if escaped:
            out = escape(out)
        over = discord_len(out) - limit
        if over <= 0 or budget <= 1:
            return out if over <= 0 else ""
        budget -= over  # escaping added characters: cut the raw text shorter and try again


def _defused_units(ch: str) -> int:
    """At least a character's length once defused: escaping adds one backslash at most."""
    return char_units(ch) + (ch in _ESCAPABLE)


def _open_block(text: str, opener: str | None) -> str | None:
    """The fence line of the code block still open at the end of `text` (None: none is),
    given the block open at its start."""
    for line in text.split("\n"):
        if _FENCE_LINE.match(line) and line.count(FENCE) % 2 == 1:
            if opener is None:
                language = _LANGUAGE.search(line.strip())
                opener = FENCE + (language.group(1) if language else "")
            else:
                opener = None
    return opener


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Pieces of paperboy's markdown `text`, each defused and within `limit` units; nothing is
    cut off. Each piece is defused on its own, so a code span cut in two is escaped, not left
    open; a fenced code block cut in two is closed at the end of one piece and opened again at
    the start of the next, so it shows as code in every message it spans."""
    if FENCE not in text:
        return [markdown.defuse(p) for p in split_pieces(text, limit, _defused_units)]
    out: list[str] = []
    opener: str | None = None
    for piece in split_pieces(text, limit - _FENCE_RESERVE, _defused_units):
        body = piece if opener is None else f"{opener}\n{piece}"
        opener = _open_block(piece, opener)
        out.append(markdown.defuse(body if opener is None else f"{body}\n{FENCE}"))
    return out


def snippet_markdown(snippet: str, limit: int = SUMMARY_CHARS) -> str:
    """A search snippet whose matches are marked `**word**` (already Discord bold), with
    everything else escaped, clipped to `limit` units."""
    parts = _BOLD.split(" ".join(snippet.split()))
    out: list[str] = []
    left = limit
    for i, part in enumerate(parts):
        bold = i % 2 == 1 and bool(part.strip())
        text = escape(part.strip() if bold else part)
        cost = discord_len(text) + (4 if bold else 0)
        if cost > left:
            if bold and left > 5:
                out.append(f"**{clip(part, left - 4)}**")
            else:
                space = " " if out and part[:1].isspace() else ""
                out.append(space + clip(part, left - len(space)) if left > len(space) else "")
            break
        out.append(f"**{text}**" if bold else text)
        left -= cost
    return "".join(out).strip()


def safe_url(url: str | None) -> str | None:
    """A URL safe in an embed and inside `[label](url)`, or None when it is not http(s) or too
    long to show."""
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        return None
    safe = quote(url, safe="!#$%&'*+,/:;=?@~-._")
    return safe if discord_len(safe) <= LINK_URL_MAX else None


def link(url: str | None, label: str) -> str | None:
    """`[label](url)` for a safe URL (the label already escaped), else None."""
    safe = safe_url(url)
    return f"[{label}]({safe})" if safe else None


def embed_cost(embed: discord.Embed) -> int:
    """Units an embed spends of the message's 6000: title, description, field names and values,
    footer text and author name (what `len(embed)` counts, in UTF-16 units)."""
    texts = [embed.title, embed.description, embed.footer.text, embed.author.name]
    texts += [s for f in embed.fields for s in (f.name, f.value)]
    return sum(discord_len(t or "") for t in texts)
