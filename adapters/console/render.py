"""Pure renderers from domain objects to rich renderables for the terminal.

Titles and subtitles are `rich.text.Text`, never `str`: rich parses a `str` title as markup,
and queries and paper titles are user text (`mamba [/bold]` would raise MarkupError).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.text import Text

from adapters.text import authors_line, digest_when
from bot.domain import Alert, Digest, Paper, Reply, SearchHit

SUMMARY_CHARS = 300


def clip(text: str, limit: int) -> str:
    """Shorten text to `limit` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def paper_text(paper: Paper, rank: int | None = None, snippet: str | None = None) -> Text:
    """One paper as a few lines of styled text (user content is never parsed as markup)."""
    text = Text()
    if rank is not None:
        text.append(f"{rank}. ", style="bold")
    text.append(paper.title, style=Style(bold=True, link=paper.url))
    text.append(f"  ▲ {paper.upvotes}  💬 {paper.comments}", style="cyan")
    byline = authors_line(paper)
    if paper.organization:
        byline = f"{byline} · {paper.organization}" if byline else paper.organization
    if byline:
        text.append(f"\n   {byline}", style="dim")
    body = snippet or paper.ai_summary or clip(paper.summary, SUMMARY_CHARS)
    if body:
        text.append(f"\n   {clip(body, SUMMARY_CHARS)}")
    links = [paper.url, paper.arxiv_url]
    if paper.github_repo:
        stars = f" ★{paper.github_stars}" if paper.github_stars is not None else ""
        links.append(f"{paper.github_repo}{stars}")
    text.append("\n   " + " · ".join(links), style="blue")
    return text


def _papers(hits: tuple[SearchHit, ...] | list[SearchHit]) -> list[RenderableType]:
    return [paper_text(h.paper, i, h.snippet) for i, h in enumerate(hits, 1)]


def digest_title(digest: Digest) -> str:
    """The digest's headline."""
    return f"{digest.title} · {digest_when(digest)}"


def render_digest(digest: Digest) -> RenderableType:
    """A digest as a titled panel of ranked papers."""
    if digest.notice:
        return Panel(Text(digest.notice), title=Text(digest_title(digest)))
    hits = [SearchHit(p) for p in digest.papers]
    return Panel(
        Group(*_papers(hits)),
        title=Text(digest_title(digest)),
        subtitle=Text(f"top {len(digest.papers)} by upvotes"),
        title_align="left",
    )


def render_alert(alert: Alert) -> RenderableType:
    """An alert: which subscriptions matched, and the paper."""
    matched = ", ".join(alert.matched)
    return Panel(
        paper_text(alert.paper),
        title=Text(f"New paper · matched: {matched}"),
        title_align="left",
        border_style="yellow",
    )


def render_reply(reply: Reply) -> RenderableType:
    """A command's reply; errors in red."""
    body: list[RenderableType] = [Text(reply.text)]
    body.extend(_papers(reply.hits))
    if not reply.ok:
        return Panel(Group(*body), title=Text("error"), border_style="red", title_align="left")
    title = Text(reply.title) if reply.title else None
    return Panel(Group(*body), title=title, title_align="left")
