"""How a Discord client reads markdown, as far as the render tests need it: which links and
mentions a text shows, and what it shows as plain text.

A model written from Discord's documented syntax (docs/reference/discord.md §8), independent of
`adapters.discord.markdown`: code spans and blocks show their text as typed; a backslash before
ASCII punctuation shows that character and nothing else; the rest is searched for every kind of
link and mention Discord makes, generously (a false alarm fails a test, a miss would not).
"""

from __future__ import annotations

import re
from string import punctuation

INERT = "\x00"  # stands for a character Discord shows as typed
_CODE = re.compile(r"(`+)(.*?[^`])\1(?!`)", re.DOTALL)
_MASKED = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^\s)>]*)>?[^)]*\)")
_ANGLE_URL = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s>]+)>")
_BARE_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<]+")
_MENTIONS = re.compile(
    r"<@!?\d+>|<@&\d+>|<#\d+>|</[^\s:>]+(?: [^\s:>]+)*:\d+>|<a?:\w+:\d+>|<t:-?\d+(?::\w)?>"
    r"|<id:\w+>|@everyone|@here"
)
_LINE_MARKUP = re.compile(r"^[ \t]*(?:#{1,3} |-# |> |>>> |[-+*] |\d+\. )", re.MULTILINE)
_FORMATTING = re.compile(r"\*|_|~~|\|\||`")


def _read(text: str) -> list[tuple[str, bool]]:
    """Discord's reading of `text`: each piece it shows, and whether it shows it as typed."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(text):
        code = _CODE.match(text, i) if text[i] == "`" else None
        if code:
            out.append((code.group(0), True))
            i = code.end()
        elif text[i] == "\\" and i + 1 < len(text) and text[i + 1] in punctuation:
            out.append((text[i + 1], True))
            i += 2
        else:
            out.append((text[i], False))
            i += 1
    return out


def flatten(text: str) -> str:
    """`text` as Discord parses it, with every character it shows as typed made INERT."""
    return "".join(INERT * len(piece) if typed else piece for piece, typed in _read(text))


def links(text: str) -> list[str]:
    """The targets of every link Discord would make of `text`: masked, `<url>` and bare."""
    flat = flatten(text)
    found = [m.group(2) for m in _MASKED.finditer(flat)]
    found += [m.group(1) for m in _ANGLE_URL.finditer(flat)]
    found += [m.group(0) for m in _BARE_URL.finditer(_MASKED.sub(r"\1", flat))]
    return found


def mentions(text: str) -> list[str]:
    """Every mention, channel link, timestamp, custom emoji or @everyone/@here in `text` (a
    masked link's target is a URL, not text)."""
    return _MENTIONS.findall(_MASKED.sub(r"\1", flatten(text)))


def markup(text: str) -> list[str]:
    """Formatting Discord would apply to `text`: emphasis, spoilers, code, headings, quotes,
    lists (any character that could open one)."""
    flat = flatten(text)
    return _FORMATTING.findall(flat) + _LINE_MARKUP.findall(flat)


def shown(text: str) -> str:
    """The characters Discord shows for `text` (escapes resolved, code spans as typed)."""
    return "".join(piece for piece, _ in _read(text))
