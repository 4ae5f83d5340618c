"""Discord markdown for text paperboy did not write (titles, abstracts, authors, queries): every
markup character is escaped, so the text shows as typed and carries no link, mention or
formatting of its own.

Discord reads a backslash before any ASCII punctuation character as that character, literally
(docs/reference/discord.md §9). Escaping `[` `]` leaves no masked link, `<` no `<@id>`,
`<#id>`, `<t:…>`, `<:emoji:id>` or `<https://…>`, `@` no @everyone/@here, and the `:` of
`://` no bare URL (Discord links one only where `scheme://` is written out). discord.py's own
`escape_markdown` is not used: it leaves URLs alone and escapes only the first masked link of
a string. Bidirectional controls are dropped (`plain`): in a title they would reorder what
follows them, so the text would show other than it reads in the data.
"""

from __future__ import annotations

import re

# Unicode's Bidi_Control characters: the ALM, LRM and RLM marks and the explicit embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069). In text paperboy did not write they
# can make a title, a label or a list line show reordered ("Trojan Source", CVE-2021-42574).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
# Markup anywhere in a line: emphasis, underline, strikethrough, spoilers, code, masked links,
# `<…>` mentions, timestamps, emoji and links, @everyone/@here, quotes, the `:` of a bare
# URL's `scheme://`, and the backslash itself.
_ANYWHERE = re.compile(r"([\\*_~`|\[\]<>@]|:(?=/))")
# Markup only at the start of a line: headings and subtext (`#`, `-#`) and lists (`- `, `+ `,
# `1. `); `*` and `>` are above.
_LINE_START = re.compile(r"^([ \t]*)(?:([-+#])|(\d+)\.)", re.MULTILINE)
# A code span or block as Discord finds it: a run of backticks, then the same run again.
_CODE = re.compile(r"(`+)(.*?[^`])\1(?!`)", re.DOTALL)


def _line_start(match: re.Match[str]) -> str:
    indent, mark, number = match.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{number}\\."


def plain(text: str) -> str:
    """`text` without bidirectional controls (for plain text: labels, embed titles, names)."""
    return _BIDI.sub("", text)


def escape(text: str) -> str:
    """Text paperboy did not write, made literal in Discord markdown (bidi controls dropped)."""
    return _LINE_START.sub(_line_start, _ANYWHERE.sub(r"\\\1", plain(text)))


def defuse(text: str) -> str:
    """Markdown paperboy wrote, with user text quoted in code spans (a command's reply): the
    code spans are kept, everything else is escaped, so a stray word of user text outside
    them cannot link or mention either. Bidi controls are dropped, in code spans too."""
    text = plain(text)
    out: list[str] = []
    at = 0
    for match in _CODE.finditer(text):
        out += [escape(text[at : match.start()]), match.group(0)]
        at = match.end()
    out.append(escape(text[at:]))
    return "".join(out)
