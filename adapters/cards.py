"""The presentation model every renderer shares: what to show for a paper and for a post.

A `PaperCard` is built once for a paper in a post (its title, counts, byline, one-line
summary or search snippet, tags, links, thumbnail and day), and a `PostView` once for a post
(a digest, a weekly roll-up, an alert, a command's reply). Everything here is raw text: the
renderers (Slack, Discord, the console) only escape it and fit it to their platform's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.text import authors_line, day_label, digest_when, one_line
from bot.domain import (
    LIKE_EXTRA,
    UNDO_EXTRA,
    Alert,
    Climber,
    Digest,
    DigestEdit,
    DirectMessage,
    Layout,
    Mention,
    Paper,
    Reply,
    SearchHit,
)

HF_DAILY_URL = "https://huggingface.co/papers"
HF_DAILY_NAME = "Hugging Face Daily Papers"
NO_PAPERS = "No Daily Papers for this day."
# A refused direct message, posted in the channel: why the person is mentioned.
MENTION_INTRO = (
    "Direct messages from paperboy don't reach you, so here is your match. "
    "`/papers mine` lists your alerts."
)
TAGS = 3
EXCERPT_CHARS = 400
_GITHUB_NAME = re.compile(r"[\w.-]+/[\w.-]+")
_GITHUB_URL = re.compile(r"^https?://(www\.)?github\.com/", re.I)

# --- sentences -------------------------------------------------------------------------------

# Words a full stop follows without ending the sentence (lower case, without their last ".").
ABBREVIATIONS = frozenset(
    {
        *("e.g", "i.e", "cf", "vs", "al", "viz", "incl", "approx", "resp"),
        *("fig", "figs", "eq", "eqs", "sec", "secs", "tab", "tabs", "ref", "refs", "app", "appx"),
        *("no", "nos", "vol", "ch", "def", "thm", "lem", "prop", "cor", "ex"),
        *("dr", "mr", "mrs", "ms", "prof", "st"),
    }
)
# A sentence's end: `.`, `!` or `?` (a few at once), closing quotes or brackets, then a space
# before a capital, a digit or an opening quote or bracket.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]*[A-Z0-9])")
_WORD_BEFORE = re.compile(r"(\S+)$")


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    if not match.group(0).startswith("."):
        return True
    word = _WORD_BEFORE.search(text[: match.start()])
    if word is None:
        return False
    name = word.group(1).lstrip("\"'“‘([").lower()
    # "et al." "e.g." "Fig. 2", or an initial ("A. Turing"), or a number ("Eq. (3). We" ends)
    return name not in ABBREVIATIONS and not (len(name) == 1 and name.isalpha())


def sentences(text: str) -> list[str]:
    """`text` on one line, split into its sentences; joined with spaces they are the line."""
    line = one_line(text)
    out: list[str] = []
    start = 0
    for match in _END.finditer(line):
        if _ends_sentence(line, match):
            out.append(line[start : match.end()])
            start = match.end() + 1  # the one space after it
    if start < len(line):
        out.append(line[start:])
    return out


def first_sentence(text: str) -> str:
    """The first sentence of `text` (all of it when it has one), on one line."""
    return next(iter(sentences(text)), "")


# --- cards -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link under a paper: its label as shown and where it goes (raw, http or https)."""

    label: str
    url: str
    code: bool = False  # the paper's code: its stars follow it


@dataclass(frozen=True)
class PaperCard:
    """What a post shows for one paper, decided once for every platform."""

    id: str
    title: str  # one line, never empty
    url: str  # the paper's Hugging Face page
    upvotes: int
    comments: int
    byline: str  # the first authors, then the organization
    summary: str  # Hugging Face's AI summary, else the abstract's first sentence
    excerpt: str  # the abstract's first sentences, up to EXCERPT_CHARS (a compact post's thread)
    snippet: str | None  # a search hit's snippet, its matches marked **word**
    tags: tuple[str, ...]  # a few of Hugging Face's AI keywords
    links: tuple[Link, ...]  # arXiv, PDF, code, project page
    stars: int | None  # the code's GitHub stars
    thumbnail: str | None  # an https image
    day: str  # the Daily Papers day, as people read it
    rank: int | None = None
    dated: bool = False  # the headline names the day (search hits)

    @property
    def body(self) -> str:
        """The text under the headline: the snippet of a search hit, else the summary."""
        return self.snippet or self.summary

    @property
    def footer(self) -> str:
        """`Daily Papers · Fri 27 Nov 2026`."""
        return f"Daily Papers · {self.day}"


def _url(url: str | None) -> str | None:
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def code_link(repo: str | None) -> Link | None:
    """The GitHub link of `owner/repo` or a repository URL, labelled `owner/repo`."""
    repo = (repo or "").strip()
    if _GITHUB_NAME.fullmatch(repo):
        repo = f"https://github.com/{repo}"
    url = _url(repo)
    if url is None:
        return None
    name = _GITHUB_URL.sub("", url).strip("/").removesuffix(".git")
    return Link(one_line(name) or "code", url, code=True)


def links(paper: Paper) -> tuple[Link, ...]:
    """arXiv, PDF, the code and the project page, those with an http(s) URL."""
    found = [
        Link("arXiv", paper.arxiv_url),
        Link("PDF", paper.pdf_url),
        code_link(paper.github_repo),
    ]
    page = _url(paper.project_page)
    found.append(Link("project page", page) if page else None)
    return tuple(link for link in found if link is not None)


def tags(paper: Paper, most: int = TAGS) -> tuple[str, ...]:
    """The first few distinct AI keywords, each on one line."""
    seen: dict[str, str] = {}
    for keyword in map(one_line, paper.ai_keywords):
        if keyword and keyword.lower() not in seen:
            seen[keyword.lower()] = keyword
    return tuple(seen.values())[:most]


def excerpt(text: str, most: int = EXCERPT_CHARS) -> str:
    """The abstract's first whole sentences that fit in `most` characters (at least one,
    which the renderer clips), on one line."""
    out = ""
    for sentence in sentences(text):
        if out and len(out) + 1 + len(sentence) > most:
            break
        out = f"{out} {sentence}" if out else sentence
    return out


def summary(paper: Paper) -> str:
    """One line about the paper: Hugging Face's AI summary, else the abstract's first sentence."""
    return one_line(paper.ai_summary or "") or first_sentence(paper.summary)


def paper_card(
    paper: Paper, rank: int | None = None, snippet: str | None = None, *, dated: bool = False
) -> PaperCard:
    """The card of `paper` in a post, at `rank`, with a search hit's `snippet`."""
    thumbnail = (paper.thumbnail or "").strip()
    byline = " · ".join(s for s in (authors_line(paper), one_line(paper.organization or "")) if s)
    return PaperCard(
        id=paper.id,
        title=one_line(paper.title) or one_line(paper.id) or "(untitled)",
        url=paper.url,
        upvotes=paper.upvotes,
        comments=paper.comments,
        byline=one_line(byline),
        summary=summary(paper),
        excerpt=excerpt(paper.summary),
        snippet=snippet if snippet and snippet.strip() else None,
        tags=tags(paper),
        links=links(paper),
        stars=paper.github_stars,
        thumbnail=thumbnail if thumbnail.lower().startswith("https://") else None,
        day=day_label(paper.day),
        rank=rank,
        dated=dated,
    )


# --- posts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostView:
    """What a post shows, decided once for every platform."""

    name: str  # "Daily Papers", "Weekly top papers", "New paper", a reply's title; "" none
    when: str = ""  # the day, days or period a digest covers
    intro: str = ""  # a notice, or a reply's text (paperboy's markdown, several lines)
    cards: tuple[PaperCard, ...] = ()
    footer: str = ""  # "top 10 by upvotes"
    matched: str = ""  # an alert's subscriptions
    ok: bool = True  # False: an error reply
    layout: Layout = Layout.FULL  # COMPACT: a ranked list in the channel, details in its thread
    buttons: bool = False  # each card carries Save, Not relevant and More like this
    undo: int | None = None  # a click's confirmation: the click its Undo button takes back
    like: str | None = None  # a More like this confirmation: alert on papers like this one
    # An alert's "Notify me too" button follows these subscriptions (none: no such button).
    notify: tuple[int, ...] = ()
    # A person to mention first (a refused direct message, delivered in the channel instead):
    # their platform id, rendered as that platform's mention (`<@U123>` on Slack and Discord).
    mention: str | None = None

    @property
    def title(self) -> str:
        """`Daily Papers · Fri 27 Nov 2026`, or the name alone."""
        return f"{self.name} · {self.when}" if self.when else self.name


def papers_count(n: int) -> str:
    """`1 paper`, `2 papers`."""
    return f"{n} paper{'s' if n != 1 else ''}"


def digest_view(digest: Digest) -> PostView:
    """A digest or a roll-up: its ranked cards (with buttons) and footer, or its notice."""
    when = digest_when(digest)
    if digest.notice or not digest.papers:
        return PostView(digest.title, when, intro=digest.notice or NO_PAPERS)
    cards = tuple(paper_card(p, i) for i, p in enumerate(digest.papers, 1))
    return PostView(
        digest.title,
        when,
        cards=cards,
        footer=f"top {len(cards)} by upvotes",
        layout=digest.layout,
        buttons=True,
    )


def edit_view(edit: DigestEdit) -> PostView:
    """A posted digest's new version: what its channel message shows now."""
    return digest_view(edit.digest)


def matched_text(matched: tuple[str, ...], why: str | None) -> str:
    """What an alert matched, and why for a similarity alert:
    `like 2401.12345 (similar to 2401.12345, score 0.42)`."""
    text = ", ".join(one_line(q) for q in matched) or "a subscription"
    return f"{text} ({one_line(why)})" if why else text


def alert_view(alert: Alert) -> PostView:
    """An alert: the subscriptions it matched (and why), the paper's card (with buttons), and
    a "Notify me too" button following those subscriptions."""
    return PostView(
        "New paper",
        cards=(paper_card(alert.paper),),
        matched=matched_text(alert.matched, alert.why),
        layout=alert.layout,
        buttons=True,
        notify=alert.subscriptions,
    )


def direct_view(dm: DirectMessage) -> PostView:
    """A match of a person's own interests, in their direct messages: what matched, and the
    paper's full card (no buttons: clicks count in a channel)."""
    return PostView(
        "For you",
        cards=(paper_card(dm.paper),),
        matched=matched_text(dm.matched, dm.why),
        layout=Layout.FULL,
    )


def mention_view(mention: Mention) -> PostView:
    """A refused direct message, in the channel instead: the person mentioned, why they are,
    and the paper's full card."""
    return PostView(
        "For you",
        intro=MENTION_INTRO,
        cards=(paper_card(mention.paper),),
        matched=matched_text(mention.matched, mention.why),
        layout=Layout.FULL,
        mention=mention.user,
    )


def climber_view(climber: Climber) -> PostView:
    """A late climber, in its digest's thread: why it is there, and the paper (with buttons)."""
    when = digest_when(
        Digest(
            climber.channel,
            climber.digest_days or (climber.paper.day,),
            (),
            title=climber.digest_title,
            period=climber.digest_period,
        )
    )
    return PostView(
        "Late climber",
        when,
        intro=one_line(climber.reason),
        cards=(paper_card(climber.paper),),
        buttons=True,
    )


def hit_cards(hits: tuple[SearchHit, ...]) -> tuple[PaperCard, ...]:
    """Search hits as ranked cards that name their day."""
    return tuple(paper_card(h.paper, i, h.snippet, dated=True) for i, h in enumerate(hits, 1))


def reply_view(reply: Reply) -> PostView:
    """A command's reply: its title, text and hits."""
    text = reply.text if reply.text.strip() else ("" if reply.hits else "(no details)")
    undo = reply.extra.get(UNDO_EXTRA)
    like = reply.extra.get(LIKE_EXTRA)
    return PostView(
        one_line(reply.title or ""),
        intro=text,
        cards=hit_cards(reply.hits),
        ok=reply.ok,
        undo=undo if isinstance(undo, int) and not isinstance(undo, bool) else None,
        like=like if isinstance(like, str) else None,
    )
