"""Pure renderers from domain objects to Slack Block Kit messages that Slack always accepts.

Every text is clipped to its own limit, but no paper and no line of a reply is ever dropped:
when one message's blocks or its cumulative text budget run out, the rest continues in the next
`SlackMessage`, which the caller posts in the thread of the first. Lengths are measured in UTF-16
code units after mrkdwn escaping, so a limit holds whichever unit Slack counts in. Text
paperboy did not write is made `literal` (escaped, formatting characters as look-alikes): it
can carry no link, mention or formatting of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.limits import (
    ALT_TEXT_MAX,
    BLOCKS_TEXT_BUDGET,
    FALLBACK_TEXT_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS,
    URL_MAX,
)
from adapters.slack.mrkdwn import (
    clip,
    clip_literal,
    label,
    link,
    slack_len,
    snippet_mrkdwn,
    split_text,
)
from adapters.text import authors_line, day_label, digest_when
from bot.domain import Alert, Digest, Paper, Reply, SearchHit

Block = dict[str, Any]

# Presentation budgets (ours, not Slack's), in escaped UTF-16 units. With links capped at
# mrkdwn.LINK_URL_MAX, one paper section stays under about 2,600 units, inside the 3,000 limit.
TITLE_CHARS = 250
BYLINE_CHARS = 300
SUMMARY_CHARS = 500
REPO_LABEL_CHARS = 80
MATCHED_CHARS = 1000
CONTINUED_LABEL_CHARS = 100
HF_DAILY_URL = "https://huggingface.co/papers"
_GITHUB_NAME = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage payload: the notification fallback `text` and the Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


# --- blocks ----------------------------------------------------------------------------------


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, HEADER_TEXT_MAX, False), "emoji": True},
    }


def block_cost(value: Any) -> int:
    """Units a block spends of the cumulative budget: every string in it but the `type` names."""
    if isinstance(value, dict):
        return sum(block_cost(v) for k, v in value.items() if k != "type")
    if isinstance(value, list):
        return sum(block_cost(v) for v in value)
    return slack_len(value) if isinstance(value, str) else 0


def paper_section(
    paper: Paper,
    rank: int | None = None,
    snippet: str | None = None,
    thumbnail: bool = False,
    dated: bool = False,
) -> Block:
    """One paper as a section: title link, ▲ 💬 (and its Daily Papers day if `dated`), byline,
    summary or snippet, and links."""
    title = label(paper.title, TITLE_CHARS) or label(paper.id, TITLE_CHARS) or "(untitled)"
    head = link(paper.url, title) or title
    day = f"  · {day_label(paper.day)}" if dated else ""
    lines = [
        f"*{f'{rank}. ' if rank is not None else ''}{head}*"
        f"  ▲ {paper.upvotes:,}  💬 {paper.comments:,}{day}"
    ]
    byline = " · ".join(s for s in (authors_line(paper), paper.organization or "") if s.strip())
    if byline:
        lines.append(clip_literal(byline, BYLINE_CHARS))
    body = (
        snippet_mrkdwn(snippet, SUMMARY_CHARS)
        if snippet and snippet.strip()
        else clip_literal(paper.ai_summary or "", SUMMARY_CHARS)
        or clip_literal(paper.summary, SUMMARY_CHARS)
    )
    if body:
        lines.append(body)
    links = [link(paper.arxiv_url, "arXiv"), link(paper.pdf_url, "PDF")]
    repo = (paper.github_repo or "").strip()
    if _GITHUB_NAME.fullmatch(repo):
        repo = f"https://github.com/{repo}"
    name = re.sub(r"^https?://(www\.)?github\.com/", "", repo, flags=re.I).strip("/")
    code = link(repo, label(name.removesuffix(".git") or "code", REPO_LABEL_CHARS))
    if code and paper.github_stars is not None:
        code += f" ★{paper.github_stars:,}"
    links += [code, link(paper.project_page, "project page")]
    lines.append(" · ".join(link for link in links if link))
    block = _section("\n".join(line for line in lines if line))
    image = (paper.thumbnail or "").strip()
    if thumbnail and image.lower().startswith("https://") and slack_len(image) <= URL_MAX:
        block["accessory"] = {
            "type": "image",
            "image_url": image,
            "alt_text": clip(paper.title, min(TITLE_CHARS, ALT_TEXT_MAX), False)
            or "paper thumbnail",
        }
    return block


# --- paging ----------------------------------------------------------------------------------


@dataclass
class _Page:
    blocks: list[Block]
    items: list[int] = field(default_factory=list)  # indices of the items on this page


def _continued(k: int, n: int, label: str) -> Block:
    suffix = f" · {clip_literal(label, CONTINUED_LABEL_CHARS)}" if label.strip() else ""
    return _context(f"(continued, {k}/{n}){suffix}")


def _paginate(
    lead: list[Block], items: list[tuple[Block, bool]], footer: list[Block], label: str
) -> list[_Page]:
    """Fill messages in order: `lead` opens the first, a "(continued, k/n)" context opens the
    others, `footer` closes the last. Items flagged True get a divider when not first on a page."""
    reserve = _continued(9999, 9999, label)
    pages = [_Page(list(lead))]
    for i, (block, divided) in enumerate(items):
        page = pages[-1]
        extra = ([{"type": "divider"}] if divided and page.items else []) + [block]
        blocks = page.blocks + extra + footer
        if page.items and (len(blocks) > MAX_BLOCKS or block_cost(blocks) > BLOCKS_TEXT_BUDGET):
            page = _Page([reserve])
            pages.append(page)
            extra = [block]
        page.blocks += extra
        page.items.append(i)
    pages[-1].blocks += footer
    for k, page in enumerate(pages[1:], 2):
        page.blocks[0] = _continued(k, len(pages), label)
    return pages


def _fallback(text: str) -> str:
    return clip(text, FALLBACK_TEXT_MAX) or "paperboy"


# --- renderers -------------------------------------------------------------------------------


def _papers(n: int) -> str:
    return f"{n} paper{'s' if n != 1 else ''}"


def render_digest(digest: Digest, *, thumbnails: bool = False) -> list[SlackMessage]:
    """A digest: [0] is the channel post, the rest continue in its thread.

    Thumbnails are opt-in: Slack fetches `image_url` and rejects the whole message
    (`invalid_blocks`) when the image cannot be downloaded."""
    when = digest_when(digest)
    title = f"{digest.title} · {when}"
    if digest.notice or not digest.papers:
        notice = digest.notice or "No Daily Papers for this day."
        pages = _paginate(
            [_header(title)], [(_section(p), False) for p in split_text(notice)], [], title
        )
        return [
            SlackMessage(_fallback(f"{digest.title} for {when}: {notice}"), p.blocks) for p in pages
        ]
    papers = digest.papers
    items = [(paper_section(p, i, thumbnail=thumbnails), True) for i, p in enumerate(papers, 1)]
    footer = [
        _context(f"top {len(papers)} by upvotes · via <{HF_DAILY_URL}|Hugging Face Daily Papers>")
    ]
    pages = _paginate([_header(title)], items, footer, title)
    texts = [f"{digest.title} for {when}: {_papers(len(papers))} — top: {papers[0].title}"]
    texts += [
        f"{digest.title} for {when} (continued, {k}/{len(pages)}): papers "
        f"{p.items[0] + 1}–{p.items[-1] + 1}"
        for k, p in enumerate(pages[1:], 2)
    ]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]


def render_alert(alert: Alert, *, thumbnails: bool = False) -> list[SlackMessage]:
    """An alert: which subscriptions matched, then the paper."""
    matched = ", ".join(" ".join(q.split()) for q in alert.matched) or "a subscription"
    items = [
        (_section(f"*New paper* · matched: {clip_literal(matched, MATCHED_CHARS)}"), False),
        (paper_section(alert.paper, thumbnail=thumbnails), False),
    ]
    pages = _paginate([], items, [], "New paper")
    texts = [f"New paper matching {matched}: {alert.paper.title}"]
    texts += [f"New paper (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]


def _hits(hits: tuple[SearchHit, ...]) -> list[tuple[Block, bool]]:
    return [(paper_section(h.paper, i, h.snippet, dated=True), True) for i, h in enumerate(hits, 1)]


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command's answer: title, mrkdwn text split at line boundaries, then the hits.
    Errors start with ":warning:"."""
    title = " ".join((reply.title or "").split())
    text = reply.text if reply.text.strip() else ("" if reply.hits else "(no details)")
    lead: list[Block] = []
    if not reply.ok:
        text = f":warning: {f'*{title}* ' if title else ''}{text}"
    elif title:
        lead = [_header(title)]
    items = [(_section(p), False) for p in split_text(text)] + _hits(reply.hits)
    pages = _paginate(lead, items, [], title)
    first = next((line for line in text.splitlines() if line.strip()), "")
    texts = [
        f"{title}: {first}" if title and reply.ok else first or title or _papers(len(reply.hits))
    ]
    texts += [
        f"{title or 'paperboy'} (continued, {k}/{len(pages)})" for k in range(2, len(pages) + 1)
    ]
    return [SlackMessage(_fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]
