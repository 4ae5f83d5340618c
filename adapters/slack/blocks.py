"""Block Kit building blocks and paging for the Slack renderers (pure functions).

A message is a list of blocks; `paginate` fills messages in order with groups of blocks that
stay together (a paper's section and its buttons), so that no message passes Slack's block
count or paperboy's cumulative text budget (adapters/slack/limits.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.slack.limits import BLOCKS_TEXT_BUDGET, FALLBACK_TEXT_MAX, HEADER_TEXT_MAX, MAX_BLOCKS
from adapters.slack.mrkdwn import clip, clip_literal, slack_len

Block = dict[str, Any]
CONTINUED_LABEL_CHARS = 100


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage payload: the notification fallback `text` and the Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def section(text: str) -> Block:
    """A mrkdwn section, `verbatim` so Slack links nothing paperboy did not."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(text: str) -> Block:
    """A one-element mrkdwn context block (small grey text)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def header(text: str) -> Block:
    """A plain-text header, clipped to Slack's limit."""
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


def fits(blocks: list[Block]) -> bool:
    """Whether `blocks` make one message Slack accepts (count and cumulative text)."""
    return len(blocks) <= MAX_BLOCKS and block_cost(blocks) <= BLOCKS_TEXT_BUDGET


def fallback(text: str) -> str:
    """A message's notification text, never empty."""
    return clip(text, FALLBACK_TEXT_MAX) or "paperboy"


# A group of blocks that stays on one page, and whether a divider goes before it when it is
# not first on its page.
Item = tuple[list[Block], bool]


@dataclass
class Page:
    """One message being filled: its blocks and the indices of the items on it."""

    blocks: list[Block]
    items: list[int] = field(default_factory=list)


def _continued(k: int, n: int, label: str) -> Block:
    suffix = f" · {clip_literal(label, CONTINUED_LABEL_CHARS)}" if label.strip() else ""
    return context(f"(continued, {k}/{n}){suffix}")


def paginate(lead: list[Block], items: list[Item], footer: list[Block], label: str) -> list[Page]:
    """Fill messages in order: `lead` opens the first, a "(continued, k/n)" context opens the
    others, `footer` closes the last. An item never splits across messages."""
    reserve = _continued(9999, 9999, label)
    pages = [Page(list(lead))]
    for i, (group, divided) in enumerate(items):
        page = pages[-1]
        extra = ([{"type": "divider"}] if divided and page.items else []) + group
        if page.items and not fits(page.blocks + extra + footer):
            page = Page([reserve])
            pages.append(page)
            extra = list(group)
        page.blocks += extra
        page.items.append(i)
    pages[-1].blocks += footer
    for k, page in enumerate(pages[1:], 2):
        page.blocks[0] = _continued(k, len(pages), label)
    return pages


def messages(texts: list[str], pages: list[Page]) -> list[SlackMessage]:
    """Pages with their notification texts, one each."""
    return [SlackMessage(fallback(t), p.blocks) for t, p in zip(texts, pages, strict=True)]
