"""Pure renderers from domain objects to rich renderables for the terminal.

Titles and subtitles are `rich.text.Text`, never `str`: rich parses a `str` title as markup,
and queries and paper titles are user text (`mamba [/bold]` would raise MarkupError). The
core's own chat markup (`` `code` `` in replies, `**match**` in search snippets) is shown as
rich styles instead of its characters.

On a terminal a post is a panel whose wrapped lines keep their indent. Anywhere else (a pipe,
a file) it is plain lines that are never wrapped: print them with `soft_wrap=True`
(`ConsolePublisher` does), so a line is not cut at the console's width either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from adapters.cards import (
    EXCERPT_CHARS,
    PaperCard,
    PostView,
    alert_view,
    climber_view,
    digest_view,
    direct_view,
    edit_view,
    mention_view,
    reply_view,
)
from adapters.text import clip
from bot.domain import (
    Alert,
    Climber,
    Digest,
    DigestEdit,
    DirectMessage,
    Layout,
    Mention,
    Notice,
    Post,
    Reply,
)

SUMMARY_CHARS = 300
# A compact post's one-line summary is clipped to this many characters.
COMPACT_SUMMARY_CHARS = 160
# The console's controls are commands: how to act on the papers of a post (`<id>`: one of
# theirs, shown beside each in a list; a post of one paper names its own).
ACT_HINT = (
    "Act on {what}: `/papers save {id}`, `/papers not-relevant {id}`, `/papers more-like {id}`"
)
# A paper's lines after its headline start this far in (under its title, past "1. ").
INDENT = 3
# The core's chat markup: `code` (replies) and **bold** (search snippets' matches).
_MARKUP = re.compile(r"`([^`\n]+)`|\*\*(.+?)\*\*")
CODE_STYLE = Style(bold=True, color="cyan")
BOLD_STYLE = Style(bold=True)


def chat_text(text: str, style: Style | str = "") -> Text:
    """Text with the core's `code` and **bold** shown as styles; nothing else is markup."""
    out = Text(style=style)
    end = 0
    for match in _MARKUP.finditer(text):
        out.append(text[end : match.start()])
        code, bold = match.groups()
        out.append(
            code if code is not None else bold, CODE_STYLE if code is not None else BOLD_STYLE
        )
        end = match.end()
    out.append(text[end:])
    return out


@dataclass(frozen=True)
class Block:
    """Some lines of a post: `head` at `indent`, and `rest` further in by `hang`."""

    head: Text
    rest: tuple[Text, ...] = ()
    indent: int = 0
    hang: int = INDENT
    prefix: str = ""  # e.g. a rank "1. ", before the head; `rest` lines up after it

    def terminal(self) -> RenderableType:
        """Wrapped lines that keep their indent (rich pads every wrapped line)."""
        lines: RenderableType
        if self.prefix:  # the prefix in a column of its own: every line lines up after it
            lines = Table.grid()
            lines.add_column(width=len(self.prefix), no_wrap=True)
            lines.add_column()
            lines.add_row(Text(self.prefix, style="bold"), Group(self.head, *self.rest))
        else:
            lines = Group(self.head, *(Padding(t, (0, 0, 0, self.hang)) for t in self.rest))
        return Padding(lines, (0, 0, 0, self.indent)) if self.indent else lines

    def plain(self) -> list[Text]:
        """The same lines, each whole, never wrapped."""
        under = " " * (self.indent + (len(self.prefix) if self.prefix else self.hang))
        first = Text(" " * self.indent) + Text(self.prefix, style="bold") + self.head
        return [_unwrapped(first), *(_unwrapped(Text(under) + t) for t in self.rest)]


def _unwrapped(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ignore"
    return text


@dataclass(frozen=True)
class Card:
    """A post or a reply: a panel on a terminal, unwrapped lines anywhere else."""

    blocks: tuple[Block, ...]
    title: Text | None = None
    subtitle: Text | None = None
    border_style: str = "none"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.is_terminal:
            yield Panel(
                Group(*(b.terminal() for b in self.blocks)),
                title=self.title,
                subtitle=self.subtitle,
                title_align="left",
                border_style=self.border_style,
            )
            return
        if self.title is not None:
            yield _unwrapped(Text("── ", style=self.border_style) + self.title)
        for block in self.blocks:
            yield from block.plain()
        if self.subtitle is not None:
            yield _unwrapped(Text("── ", style="dim") + self.subtitle)
        yield Text()


def links_text(card: PaperCard) -> Text:
    """A paper's links on one line: its page, arXiv, PDF, code (with its stars), project."""
    links = [card.url]
    for link in card.links:
        stars = f" ★{card.stars:,}" if link.code and card.stars is not None else ""
        links.append(f"{link.url}{stars}")
    return Text(" · ".join(links), style="blue")


def paper_block(card: PaperCard) -> Block:
    """One paper: its headline (rank, title, counts, and its day on a dated card), then its
    byline, summary or snippet, and links (user content is never parsed as markup)."""
    head = Text()
    head.append(card.title, style=Style(bold=True, link=card.url))
    head.append(f"  ▲ {card.upvotes:,}  💬 {card.comments:,}", style="cyan")
    if card.dated:
        head.append(f"  {card.day}", style="dim")
    rest: list[Text] = []
    if card.byline:
        rest.append(Text(card.byline, style="dim"))
    if card.snippet:
        rest.append(chat_text(clip(card.snippet, SUMMARY_CHARS)))
    elif card.summary:
        rest.append(Text(clip(card.summary, SUMMARY_CHARS)))
    rest.append(links_text(card))
    return Block(head, tuple(rest), prefix=f"{card.rank}. " if card.rank is not None else "")


def detail_block(card: PaperCard) -> Block:
    """One paper's details, printed after a compact list (the console has no thread): its
    rank and title, byline, abstract excerpt and links."""
    head = Text(card.title, style=Style(bold=True, link=card.url))
    rest: list[Text] = []
    if card.byline:
        rest.append(Text(card.byline, style="dim"))
    if card.excerpt or card.summary:
        rest.append(Text(clip(card.excerpt or card.summary, EXCERPT_CHARS)))
    rest.append(links_text(card))
    return Block(head, tuple(rest), prefix=f"{card.rank}. " if card.rank is not None else "")


def compact_block(card: PaperCard) -> Block:
    """One paper of a ranked list: its rank, linked title, ▲ upvotes and id (what the
    commands take), then its one-line summary and a few tags."""
    head = Text()
    head.append(card.title, style=Style(bold=True, link=card.url))
    head.append(f"  ▲ {card.upvotes:,}", style="cyan")
    head.append(f"  {card.id}", style="dim")
    rest: list[Text] = []
    if card.summary:
        rest.append(Text(clip(card.summary, COMPACT_SUMMARY_CHARS)))
    if card.tags:
        rest.append(Text(" · ".join(card.tags), style="magenta"))
    return Block(head, tuple(rest), prefix=f"{card.rank}. " if card.rank is not None else "")


def text_blocks(text: str) -> list[Block]:
    """A reply's text, line by line; a line's leading spaces are its indent, kept when it
    wraps."""
    blocks = []
    for line in text.splitlines():
        body = line.lstrip(" ")
        blocks.append(Block(chat_text(body), indent=len(line) - len(body)))
    return blocks


def _card(view: PostView, *, details: bool = False, **style: str) -> Card:
    """A view as a card: its intro, its papers (a ranked list when compact), the hint how
    to act on them when they carry controls, the Undo of a click's confirmation; with
    `details`, a compact list's details after it."""
    compact = view.layout is Layout.COMPACT
    blocks = [
        *text_blocks(view.intro),
        *((compact_block if compact else paper_block)(c) for c in view.cards),
    ]
    if view.buttons and view.cards:
        one = len(view.cards) == 1
        hint = ACT_HINT.format(
            what="it" if one else "a paper", id=view.cards[0].id if one else "<id>"
        )
        blocks.append(Block(chat_text(hint, style="dim")))
    if view.undo is not None:
        blocks.append(Block(chat_text(f"undo with `/papers undo {view.undo}`", style="dim")))
    if view.notify:
        ids = " ".join(map(str, view.notify))
        blocks.append(
            Block(
                chat_text(f"get it by direct message too: `/papers mine follow {ids}`", style="dim")
            )
        )
    if view.like is not None:
        blocks.append(
            Block(
                chat_text(
                    f"alert on papers like it with `/papers subscribe like {view.like}`",
                    style="dim",
                )
            )
        )
    if details and compact and view.cards:
        blocks.append(Block(Text("Details", style="bold")))
        blocks.extend(detail_block(c) for c in view.cards)
    subtitle = Text(view.footer) if view.footer else None
    title = Text(view.title) if view.title else None
    return Card(tuple(blocks), title=title, subtitle=subtitle, **style)


def render_digest(digest: Digest) -> RenderableType:
    """A digest as a titled panel of ranked papers (when compact, a list and then each
    paper's details), or its notice."""
    return _card(digest_view(digest), details=True)


def render_edit(edit: DigestEdit) -> RenderableType:
    """A posted digest's new version: that it was updated, and its list as it reads now."""
    view = edit_view(edit)
    said = f"The digest above was updated (version {edit.version}): its list as it reads now."
    return _card(replace(view, intro="\n".join(s for s in (said, view.intro) if s)))


def render_climber(climber: Climber) -> RenderableType:
    """A late climber's reply: why, and the paper's card."""
    view = climber_view(climber)
    return _card(replace(view, intro=f"📈 {view.intro}"), border_style="green")


def render_alert(alert: Alert) -> RenderableType:
    """An alert: which subscriptions matched, and the paper (one compact line, or its
    card)."""
    view = alert_view(alert)
    return _card(
        replace(view, name=f"{view.name} · matched: {view.matched}"), border_style="yellow"
    )


def render_direct(dm: DirectMessage) -> RenderableType:
    """A match of the person's own alerts, as their direct message shows it."""
    view = direct_view(dm)
    return _card(
        replace(view, name=f"{view.name} · matched: {view.matched}"), border_style="magenta"
    )


def render_mention(mention: Mention) -> RenderableType:
    """A refused direct message, in the channel: the person named first."""
    view = mention_view(mention)
    intro = f"@{mention.user}: {view.intro}"
    return _card(
        replace(view, name=f"{view.name} · matched: {view.matched}", intro=intro),
        border_style="magenta",
    )


def render_post(post: Post) -> RenderableType:
    """Any post paperboy makes in a channel."""
    if isinstance(post, Notice):
        return render_reply(post.as_reply())
    if isinstance(post, Digest):
        return render_digest(post)
    if isinstance(post, DigestEdit):
        return render_edit(post)
    if isinstance(post, Climber):
        return render_climber(post)
    if isinstance(post, DirectMessage):
        return render_direct(post)
    if isinstance(post, Mention):
        return render_mention(post)
    return render_alert(post)


def render_reply(reply: Reply) -> RenderableType:
    """A command's reply, its papers with their day; errors in red; a click's confirmation
    says how to undo it."""
    view = reply_view(reply)
    if not view.ok:
        return _card(replace(view, name="error"), border_style="red")
    return _card(view)
