"""Pictures of a real digest in Slack and in Discord, for the README.

Run from the repository root, in paperboy's environment (`pip install -e .`):

    python docs/screenshots/render.py --day path/to/daily_papers_2026-05-13.json

`--day` takes one real `/api/daily_papers?date=DAY` body (the day is read from the file name,
`daily_papers_YYYY-MM-DD…`, or given with `--date`); without it, the recorded fixture
`tests/data/daily_papers_2024-10-25.json` is used (two papers only).

The day goes through paperboy's own code, as in production: `bot/feed/parse.py` parses it,
`Paperboy.poll` stores it in a Store on a temporary SQLite file, and `Paperboy.send_scheduled`
builds the day's digest (top `--top` papers) and delivers it through the ledger to two
publishers that render it with the real renderers, `adapters/slack/render.py` (Block Kit) and
`adapters/discord/render.py` (embeds). Those payloads are laid out as HTML that looks like
Slack's light theme and Discord's dark theme (`slack.css`, `discord.css` next to this file) and
screenshotted with headless Chromium into `docs/img/digest-slack.png` and
`docs/img/digest-discord.png` (`--out` changes the folder; `--html DIR` keeps the pages).

Needs Chromium (Debian: `apt-get install chromium`; `--chromium PATH` picks another binary);
the pictures look best with `fonts-noto-color-emoji` and `fonts-lato` installed. Nothing is
fetched: Chromium runs with networking off, so the papers' thumbnails are left out. Nothing else
is needed (no Pillow): a first Chromium pass measures the page, the second is sized to fit.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from adapters.discord.render import DiscordMessage
from adapters.discord.render import render_digest as discord_digest
from adapters.slack.render import SlackMessage
from adapters.slack.render import render_digest as slack_digest
from bot.delivery.deliverer import Outcome
from bot.domain import ChannelRef, Digest, Layout, Paper, Post, PostKey
from bot.feed.parse import FeedError, parse_entries
from bot.ports import DeliveryError, Tracker
from bot.service import Paperboy
from storage.store import Store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_DAY = ROOT / "tests" / "data" / "daily_papers_2024-10-25.json"
DEFAULT_OUT = ROOT / "docs" / "img"
SENT_AT = time(9, 0)  # the digest goes out at 09:00 UTC the next morning (the default time)
SLACK = ChannelRef("slack", "T0PAPERBOY", "C0PAPERS")
DISCORD = ChannelRef("discord", "100000000000000001", "100000000000000002")
SLACK_CHANNEL = "papers"
DISCORD_CHANNEL = "daily-papers"
TOPIC = "Hugging Face Daily Papers, every morning"
AVATAR = "📰"
_DAY_IN_NAME = re.compile(r"daily_papers_(\d{4}-\d{2}-\d{2})")

M = TypeVar("M")


# --- the real path: parse, store, build, deliver, render --------------------------------------


@dataclass
class DayFeed:
    """A Feed that answers one recorded day (and nothing for any other)."""

    day: date
    papers: list[Paper]

    async def fetch_day(self, day: date) -> list[Paper]:
        """The recorded papers when `day` is the recorded day."""
        return list(self.papers) if day == self.day else []

    async def fetch_week(self, week: str) -> list[Paper] | None:
        """None: ask day by day."""
        return None


@dataclass
class Capture(Generic[M]):
    """A Publisher that renders a digest with a platform's real renderer and keeps the result."""

    platform: str
    render: Callable[[Digest], list[M]]
    messages: list[M] = field(default_factory=list)

    async def publish(self, post: Post, tracker: Tracker) -> str:
        """Render the post and report each of its parts sent, as a publisher does."""
        if not isinstance(post, Digest):
            raise DeliveryError("only digests are pictured", message_fault=True)
        self.messages = self.render(post)
        for part in range(tracker.parts_sent + 1, len(self.messages) + 1):
            await tracker.claim(part)
            await tracker.sent(part, f"{self.platform}-{part}", thread_id=f"{self.platform}-1")
        return f"{self.platform}-1"

    async def find(
        self, key: PostKey, part: int, since: datetime, thread_id: str | None
    ) -> str | None:
        """Nothing was ever posted before this run."""
        return None


def read_day(path: Path, day: date | None) -> tuple[date, list[Paper]]:
    """The Daily Papers day of a recorded body and its papers, parsed by paperboy's parser."""
    if day is None:
        found = _DAY_IN_NAME.search(path.name)
        if found is None:
            raise SystemExit(f"render.py: cannot tell the day from {path.name!r}; pass --date")
        day = date.fromisoformat(found.group(1))
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"render.py: cannot read {path}: {exc}") from None
    try:
        return day, parse_entries(body, day)
    except FeedError as exc:
        raise SystemExit(f"render.py: {path} is not a Daily Papers body: {exc}") from None


async def build(
    day: date, papers: list[Paper], top: int, db: Path, layout: Layout = Layout.COMPACT
) -> tuple[datetime, list[SlackMessage], list[DiscordMessage]]:
    """Store the day and send its digest, in `layout`, to a Slack and a Discord channel; the
    rendered parts."""
    sent_at = datetime.combine(day + timedelta(days=1), SENT_AT, UTC)
    slack: Capture[SlackMessage] = Capture("slack", slack_digest)
    discord: Capture[DiscordMessage] = Capture("discord", discord_digest)
    store = Store(db)
    try:
        core = Paperboy(
            store, DayFeed(day, papers), {"slack": slack, "discord": discord}, clock=lambda: sent_at
        )
        report = await core.poll([day], alerts=False)
        if report.errors:
            raise SystemExit(f"render.py: storing {day} failed: {'; '.join(report.errors)}")
        for ref in (SLACK, DISCORD):
            core.save_schedule(replace(core.schedule(ref), layout=layout))
            outcome = await core.send_scheduled(ref, day=day, top=top)
            if outcome is not Outcome.SENT:
                shown = outcome.value if outcome else "nothing to post"
                raise SystemExit(f"render.py: the {ref.platform} digest for {day}: {shown}")
    finally:
        store.close()
    return sent_at, slack.messages, discord.messages


# --- markup to HTML ---------------------------------------------------------------------------


class _Stash:
    """HTML pieces set aside behind placeholders while the text around them is formatted."""

    _MARK = re.compile("\x00(\\d+)\x00")

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def put(self, piece: str) -> str:
        """A placeholder for `piece` (HTML), restored by `restore`."""
        self.pieces.append(piece)
        return f"\x00{len(self.pieces) - 1}\x00"

    def restore(self, text: str) -> str:
        """`text` with every placeholder (also nested ones) replaced by its piece."""
        while self._MARK.search(text):
            text = self._MARK.sub(lambda m: self.pieces[int(m.group(1))], text)
        return text


def _styles(text: str, rules: Sequence[tuple[re.Pattern[str], str]]) -> str:
    """`text` with each rule's matches wrapped in its tag (`.name`: a span of that class)."""
    for pattern, tag in rules:
        opening, closing = (
            (f'<span class="{tag[1:]}">', "</span>")
            if tag.startswith(".")
            else (f"<{tag}>", f"</{tag}>")
        )

        def wrap(m: re.Match[str], opening: str = opening, closing: str = closing) -> str:
            return f"{opening}{m.group(1)}{closing}"

        text = pattern.sub(wrap, text)
    return text


# Slack mrkdwn: https://docs.slack.dev/messaging/formatting-message-text
_SLACK_PRE = re.compile(r"```(.+?)```", re.S)
_SLACK_CODE = re.compile(r"`([^`\n]+)`")
_SLACK_ANGLE = re.compile(r"<([^<>\n]+)>")
_SLACK_RULES = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
]


def _slack_raw(text: str) -> str:
    """mrkdwn text without Slack's &amp; &lt; &gt; escapes."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _slack_plain(text: str) -> str:
    """mrkdwn text as HTML text."""
    return html.escape(_slack_raw(text), quote=False)


def slack_mrkdwn(text: str) -> str:
    """Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, <url|links>."""
    stash = _Stash()
    text = _SLACK_PRE.sub(lambda m: stash.put(f"<pre>{_slack_plain(m.group(1))}</pre>"), text)
    text = _SLACK_CODE.sub(lambda m: stash.put(f"<code>{_slack_plain(m.group(1))}</code>"), text)
    text = _SLACK_ANGLE.sub(lambda m: stash.put(_slack_angle(m.group(1))), text)
    text = _styles(_slack_plain(text), _SLACK_RULES)
    return stash.restore(text).replace("\n", "<br>")


def _slack_angle(inner: str) -> str:
    """One `<…>`: a link, a user or channel mention, or a special mention."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{_slack_plain(label or target[1:])}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{_slack_plain(label or target[1:])}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{_slack_plain(label or target[1:].split("^")[0])}</span>'
    href = html.escape(_slack_raw(target), quote=True)
    shown = _styles(_slack_plain(label), _SLACK_RULES) if label else _slack_plain(target)
    return f'<a href="{href}">{shown}</a>'


# Discord markdown: https://support.discord.com/hc/en-us/articles/210298617
_DISCORD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation
_DISCORD_CODE = re.compile(r"``?([^`]+?)``?")
_DISCORD_LINK = re.compile(r"\[([^\[\]\n]+)\]\(<?(https?://[^\s()<>\x00]+)>?\)")
_DISCORD_URL = re.compile(r"https?://[^\s<>\x00]+[^\s<>\x00.,:;\"')\]]")
_DISCORD_RULES = [
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), "strong"),
    (re.compile(r"__(?=\S)(.+?)(?<=\S)__"), "u"),
    (re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"), "em"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), "s"),
    (re.compile(r"\|\|(.+?)\|\|"), ".spoiler"),
]
_DISCORD_BLOCK = re.compile(r"^(#{1,3}) (.+)$|^> (.*)$")


def discord_inline(text: str, links: bool = True) -> str:
    """Discord inline markdown as HTML: escapes, `code`, [masked](links), bare links, styles."""
    stash = _Stash()
    text = _DISCORD_ESCAPE.sub(lambda m: stash.put(html.escape(m.group(1))), text)
    text = _DISCORD_CODE.sub(lambda m: stash.put(f"<code>{html.escape(m.group(1))}</code>"), text)
    if links:
        text = _DISCORD_LINK.sub(
            lambda m: stash.put(
                f'<a href="{html.escape(m.group(2))}">'
                f"{discord_inline(stash.restore(m.group(1)), links=False)}</a>"
            ),
            text,
        )
        text = _DISCORD_URL.sub(
            lambda m: stash.put(
                f'<a href="{html.escape(m.group(0))}">{html.escape(m.group(0))}</a>'
            ),
            text,
        )
    return stash.restore(_styles(html.escape(text, quote=False), _DISCORD_RULES))


def discord_markdown(text: str) -> str:
    """Discord message markdown as HTML: headings and quotes by line, inline markdown within."""
    lines: list[str] = []
    for line in text.split("\n"):
        block = _DISCORD_BLOCK.match(line)
        if block and block.group(1):
            level = len(block.group(1))
            lines.append(f'<div class="h{level}">{discord_inline(block.group(2))}</div>')
        elif block:
            lines.append(f'<div class="quote">{discord_inline(block.group(3))}</div>')
        else:
            lines.append(discord_inline(line) + "<br>")
    return "".join(lines).removesuffix("<br>")


# --- pages ------------------------------------------------------------------------------------


def _page(css: str, body: str) -> str:
    """A whole HTML page: the stylesheet inlined, then `body`."""
    # The script leaves the page's height where the measuring pass (--dump-dom) can read it.
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<style>{(HERE / css).read_text(encoding='utf-8')}</style></head><body>{body}"
        "<script>document.body.dataset.height ="
        " Math.ceil(document.documentElement.getBoundingClientRect().height);</script>"
        "</body></html>"
    )


def _clock(moment: datetime) -> str:
    """`9:00 AM`, as both platforms show a message's time."""
    return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def _ordinal(n: int) -> str:
    """`14th`, as Slack's day dividers read."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def slack_block(block: dict[str, Any]) -> str:
    """One Block Kit block as HTML."""
    kind = block["type"]
    if kind == "header":
        return f'<div class="block header">{html.escape(block["text"]["text"])}</div>'
    if kind == "divider":
        return '<hr class="divider">'
    if kind == "section":
        accessory = block.get("accessory") or {}
        extra = ""
        if accessory.get("type") == "image":
            extra = f'<img class="accessory" alt="{html.escape(accessory.get("alt_text", ""))}">'
        elif accessory.get("type") == "overflow":
            extra = '<span class="overflow">⋮</span>'
        return f'<div class="block section">{extra}{_slack_text(block["text"])}</div>'
    if kind == "actions":
        buttons = "".join(
            f'<span class="button">{html.escape(e["text"]["text"])}</span>'
            for e in block["elements"]
            if e.get("type") == "button"
        )
        return f'<div class="block actions">{buttons}</div>'
    if kind == "context":
        parts = [
            f'<img alt="{html.escape(e.get("alt_text", ""))}">'
            if e["type"] == "image"
            else _slack_text(e)
            for e in block["elements"]
        ]
        return f'<div class="block context">{"&nbsp; ".join(parts)}</div>'
    raise SystemExit(f"render.py: no HTML for Block Kit {kind!r} blocks yet")


def _slack_text(obj: dict[str, Any]) -> str:
    """A Block Kit text object (mrkdwn or plain_text) as HTML."""
    text = str(obj["text"])
    return slack_mrkdwn(text) if obj["type"] == "mrkdwn" else html.escape(text)


def slack_page(
    messages: Sequence[SlackMessage], sent_at: datetime, *, channel_only: bool = False
) -> str:
    """The channel with the digest's messages (parts after the first are thread replies);
    with `channel_only`, part 1 as the channel shows it, its thread folded into a link."""
    parts = []
    shown = messages[:1] if channel_only else messages
    for k, message in enumerate(shown):
        where = '<span class="where">replied in thread</span>' if k else ""
        blocks = "".join(slack_block(b) for b in message.blocks)
        if channel_only and len(messages) > 1:
            n = len(messages) - 1
            blocks += f'<div class="replies">{n} repl{"y" if n == 1 else "ies"}</div>'
        parts.append(
            f'<div class="msg"><div class="avatar">{AVATAR}</div><div class="body">'
            '<div class="meta"><span class="name">paperboy</span><span class="badge">APP</span>'
            f'<span class="time">{_clock(sent_at)}</span>{where}</div>{blocks}</div></div>'
        )
    day = f"{sent_at:%A}, {sent_at:%B} {_ordinal(sent_at.day)}"
    return _page(
        "slack.css",
        f'<div class="topbar"><span class="hash">#</span>{SLACK_CHANNEL}'
        f'<span class="topic">{html.escape(TOPIC)}</span></div>'
        f'<div class="day"><span>{day}</span></div>{"".join(parts)}',
    )


def _field_rows(fields: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Each field with its width in twelfths: Discord puts up to three inline fields a row."""
    placed: list[tuple[dict[str, Any], int]] = []
    row: list[dict[str, Any]] = []
    for f in [*fields, None]:
        if f is not None and f.get("inline") and len(row) < 3:
            row.append(f)
            continue
        placed += [(r, 12 // len(row)) for r in row]
        row = []
        if f is not None and f.get("inline"):
            row = [f]
        elif f is not None:
            placed.append((f, 12))
    return placed


def discord_embed(embed: dict[str, Any]) -> str:
    """One embed (as `Embed.to_dict()` sends it) as HTML."""
    colour = f"#{embed['color']:06x}" if "color" in embed else "#1e1f22"
    title = html.escape(embed.get("title", ""))
    if title and embed.get("url"):
        title = f'<a href="{html.escape(embed["url"])}">{title}</a>'
    parts = [f'<div class="title">{title}</div>'] if title else []
    if embed.get("description"):
        parts.append(f'<div class="description">{discord_markdown(embed["description"])}</div>')
    fields = "".join(
        f'<div class="field" style="grid-column: span {span}">'
        f'<div class="name">{discord_inline(f["name"])}</div>'
        f"<div>{discord_markdown(f['value'])}</div></div>"
        for f, span in _field_rows(embed.get("fields", []))
    )
    if fields:
        parts.append(f'<div class="fields">{fields}</div>')
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(f'<div class="footer">{html.escape(footer)}</div>')
    return (
        f'<div class="embed" style="border-left-color: {colour}">'
        f'<div class="inner">{"".join(parts)}</div></div>'
    )


def discord_row(row: dict[str, Any]) -> str:
    """One action row: a select menu (its placeholder) or buttons."""
    items = []
    for item in row.get("components") or []:
        if item.get("type") == 3:
            placeholder = html.escape(str(item.get("placeholder") or "Choose…"))
            items.append(f'<span class="select">{placeholder}<span class="caret">⌄</span></span>')
        elif item.get("type") == 2:
            items.append(f'<span class="button">{html.escape(str(item.get("label") or ""))}</span>')
    return f'<div class="row">{"".join(items)}</div>'


def discord_page(messages: Sequence[DiscordMessage], sent_at: datetime) -> str:
    """The channel as Discord shows the digest: its messages grouped under one author, those
    that go in the first message's thread (a compact digest's details) folded into a
    "N messages in thread" line under it, as the publisher posts them."""
    parts = []
    shown = [m for m in messages if not m.in_thread]
    in_thread = len(messages) - len(shown)
    for k, message in enumerate(shown):
        head = (
            f'<div class="avatar">{AVATAR}</div><div class="meta"><span class="name">paperboy'
            f'</span><span class="badge">APP</span><span class="time">Today at {_clock(sent_at)}'
            "</span></div>"
            if k == 0
            else ""
        )
        content = (
            f'<div class="content">{discord_markdown(message.content)}</div>'
            if message.content
            else ""
        )
        embeds = "".join(discord_embed(cast("dict[str, Any]", e.to_dict())) for e in message.embeds)
        rows = "".join(discord_row(row) for row in message.components)
        thread = (
            f'<div class="thread"><span class="icon">🧵</span>{in_thread} '
            f"message{'' if in_thread == 1 else 's'} in thread"
            '<span class="caret">›</span></div>'
            if k == 0 and in_thread
            else ""
        )
        parts.append(
            f'<div class="msg{" follow" if k else ""}">{head}{content}{embeds}{rows}{thread}</div>'
        )
    return _page(
        "discord.css",
        f'<div class="topbar"><span class="hash">#</span>{DISCORD_CHANNEL}'
        f'<span class="topic">{html.escape(TOPIC)}</span></div>'
        f'<div class="day"><span>{sent_at:%B} {sent_at.day}, {sent_at.year}</span></div>'
        f"{''.join(parts)}",
    )


# --- screenshots ------------------------------------------------------------------------------


_OFFLINE = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
_HEIGHT = re.compile(r'data-height="(\d+)"')


def _chromium(binary: str, page: Path, width: int, height: int, *extra: str) -> str:
    """Run headless Chromium, offline, on a fresh profile; its stdout."""
    with tempfile.TemporaryDirectory(prefix="render-chromium-") as profile:
        done = subprocess.run(
            [
                binary,
                *_OFFLINE,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                *extra,
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"render.py: chromium failed ({done.returncode}): {last}")
    return done.stdout


def page_height(binary: str, page: Path, width: int) -> int:
    """How tall an HTML page lays out at `width`, in pixels."""
    found = _HEIGHT.search(_chromium(binary, page, width, 600, "--dump-dom"))
    if found is None:
        raise SystemExit(f"render.py: chromium did not measure {page.name}")
    return int(found.group(1))


def screenshot(binary: str, page: Path, out: Path, width: int) -> None:
    """Screenshot an HTML page at `width`, the window as tall as the page."""
    height = page_height(binary, page, width)
    out.parent.mkdir(parents=True, exist_ok=True)
    _chromium(binary, page, width, height, f"--screenshot={out}")
    if not out.is_file():
        raise SystemExit(f"render.py: chromium wrote no {out}")


def measure(binary: str, day: date, papers: list[Paper], top: int, width: int) -> None:
    """Print how tall the day's digest is in each layout: what the channel shows (Slack: part
    1, its thread folded; Discord: what the channel shows, the details' thread folded; and part 1
    alone) and everything, in pixels at `width`, and per paper."""
    rows: list[tuple[str, str, int]] = []
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        for layout in (Layout.FULL, Layout.COMPACT):
            db = Path(tmp) / f"{layout.value}.db"
            sent_at, slack, discord = asyncio.run(build(day, papers, top, db, layout))
            pages = {
                "slack, channel": slack_page(slack, sent_at, channel_only=True),
                "slack, with thread": slack_page(slack, sent_at),
                "discord, first message": discord_page(discord[:1], sent_at),
                "discord, channel": discord_page(discord, sent_at),
            }
            for what, page in pages.items():
                source = Path(tmp) / f"{layout.value}-{len(rows)}.html"
                source.write_text(page, encoding="utf-8")
                rows.append((layout.value, what, page_height(binary, source, width)))
    count = min(top, len(papers))
    print(f"{day}, top {count}, {width} px wide")
    print("layout\tview\theight px\tpx per paper")
    for layout_name, what, height in rows:
        print(f"{layout_name}\t{what}\t{height}\t{height / max(count, 1):.0f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Render the Slack and Discord pictures of one day's digest."""
    ask = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ask.add_argument("--day", type=Path, default=DEFAULT_DAY, help="a daily_papers JSON body")
    ask.add_argument("--date", type=date.fromisoformat, help="its day, if not in the file name")
    ask.add_argument("--top", type=int, default=5, help="papers in the digest (default 5)")
    ask.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNGs go")
    ask.add_argument("--width", type=int, default=800, help="picture width in pixels")
    ask.add_argument("--html", type=Path, help="keep the HTML pages in this folder")
    ask.add_argument("--chromium", help="the Chromium binary (default: chromium on PATH)")
    ask.add_argument(
        "--layout", choices=[x.value for x in Layout], default="compact", help="digest layout"
    )
    ask.add_argument(
        "--measure",
        action="store_true",
        help="print each layout's height in pixels (channel and in all) instead of pictures",
    )
    args = ask.parse_args(argv)
    binary = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        raise SystemExit("render.py: needs Chromium (apt-get install chromium) or --chromium PATH")
    day, papers = read_day(args.day, args.date)
    if args.measure:
        measure(binary, day, papers, args.top, args.width)
        return
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        sent_at, slack, discord = asyncio.run(
            build(day, papers, args.top, Path(tmp) / "db", Layout(args.layout))
        )
        pages = args.html or Path(tmp)
        pages.mkdir(parents=True, exist_ok=True)
        for name, page in (
            ("digest-slack", slack_page(slack, sent_at, channel_only=True)),
            ("digest-discord", discord_page(discord, sent_at)),
        ):
            source = pages / f"{name}.html"
            source.write_text(page, encoding="utf-8")
            out = args.out / f"{name}.png"
            screenshot(binary, source, out, args.width)
            print(f"{out}: {out.stat().st_size / 1024:.0f} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
